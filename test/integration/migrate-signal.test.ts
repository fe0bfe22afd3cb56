/**
 * SIGTERM to a real `zkmig migrate` process mid-run (spawned directly from node: a background job
 * of a non-interactive shell would ignore SIGINT): the step in progress finishes, the run stops at
 * the next step boundary, journals `interrupted`, prints where the cluster is and the exact resume
 * command, and exits 143; `zkmig resume RUN` then completes to a healthy cluster.
 */
import anyTest, { TestFn } from 'ava';
import { waitFor } from '../harness/tmp';
import { cli, cliChild, COPY_STEPS, currentZk, Fleet, health, journals, newJournal, readJournal, runIdOf, startFleet } from './migrate-support';

const test = anyTest as TestFn<{ fleet: Fleet }>;

test.before(async (t) => {
  t.context.fleet = await startFleet('zkmig-mig-signal-');
});

test.after.always(async (t) => {
  await t.context.fleet?.close();
});

/** The step whose intent is journaled and whose done line is not (the one running now). */
function inFlight(file: string): string | undefined {
  const entries = readJournal(file);
  const done = new Set(entries.flatMap((e) => (e.kind === 'step-done' ? [e.step] : [])));
  const intents = entries.flatMap((e) => (e.kind === 'step-intent' ? [e.step] : []));
  const last = intents[intents.length - 1];
  return last && !done.has(last) ? last : undefined;
}

test.serial('SIGTERM while update-configs runs: that step finishes, the run stops before start-leader, exit 143 with the resume command; resume completes healthy', async (t) => {
  const f = t.context.fleet;
  const from = await currentZk(f);
  const to = from === f.info.oldZk ? f.info.newZk : f.info.oldZk;
  const before = journals(f);
  const child = cliChild(f, ['migrate', '--cluster', f.info.cluster, '--to', to, '--method', 'copy', '--no-precopy', '--yes']);
  const file = await newJournal(f, before);
  let exited = false;
  void child.done.then(() => (exited = true));
  await waitFor('update-configs to start', () => inFlight(file) === 'update-configs' || exited, 120000, 2);
  t.false(exited, 'the run ended before update-configs');
  child.proc.kill('SIGTERM');
  const r = await child.done;
  const run = runIdOf(file);
  t.is(r.code, 143, r.err + r.out.slice(-3000));
  t.regex(r.err, /SIGTERM received: stopping at the next step boundary \(step update-configs is finishing/);
  t.true(r.err.includes(`"zkmig resume ${run}"`), r.err);
  t.true(r.err.includes(`"zkmig rollback ${run}"`), r.err);
  t.regex(r.err, /before the point of no return/);
  t.regex(r.err, new RegExp(`no meta runs \\(write freeze\\); every meta config names ${to.replace(/[.]/g, '\\.')}`));

  // The journal: the signalled step finished, no later step started, the run ended interrupted.
  const entries = readJournal(file);
  const done = entries.flatMap((e) => (e.kind === 'step-done' ? [e.step] : []));
  t.deepEqual(done, COPY_STEPS.slice(0, COPY_STEPS.indexOf('update-configs') + 1));
  t.is(inFlight(file), undefined);
  t.false(entries.some((e) => e.kind === 'step-intent' && e.step === 'start-leader'));
  t.like(entries.find((e) => e.kind === 'note' && e.text === 'interrupted'), { data: { signal: 'SIGTERM', nextStep: 'start-leader', pastNoReturn: false } });
  t.like(entries[entries.length - 1], { kind: 'run-end', outcome: 'interrupted' });

  const res = await cli(f, ['resume', run, '--yes']);
  t.is(res.code, 0, res.err + res.out.slice(-3000));
  const all = readJournal(file).flatMap((e) => (e.kind === 'step-done' ? [e.step] : []));
  t.deepEqual(all, COPY_STEPS);
  const h = await health(f, to);
  t.is(h.verdict, 'healthy', h.problems.join('; '));
});
