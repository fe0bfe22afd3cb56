/**
 * The recover method with its coordinator killed (SIGKILL, watching the run journal) after the
 * steps where a half-done recovery is most dangerous: every meta stopped; a meta waiting in
 * recovery mode on the new ensemble; the recovery done but recovery mode still on. Each time `zkmig resume RUN` finishes the run and
 * the cluster is healthy on the new ensemble with every table.
 */
import anyTest, { TestFn } from 'ava';
import { PegasusShell } from '../../coordinator/lib/shell';
import { Fleet, health, killAfterStepThenResume, readJournal, RECOVER_STEPS, startFleet } from './migrate-support';

const test = anyTest as TestFn<{ fleet: Fleet }>;

test.before(async (t) => {
  t.context.fleet = await startFleet('zkmig-mig-resume-rec-');
});

test.after.always(async (t) => {
  await t.context.fleet?.close();
});

for (const step of ['stop-metas', 'start-recovery-meta', 'recover']) {
  const n = RECOVER_STEPS.indexOf(step) + 1;
  test.serial(`recover: SIGKILL after step ${n} (${step}) then resume: the migration completes, healthy on the new ensemble`, async (t) => {
    const f = t.context.fleet;
    const k = await killAfterStepThenResume(f, n, 'recover');
    t.deepEqual(k.doneAtKill.slice(0, n), RECOVER_STEPS.slice(0, n));
    t.is(k.resume.code, 0, k.resume.err + k.resume.out.slice(-3000));
    const entries = readJournal(`${f.stateDir}/${k.run}.jsonl`);
    t.deepEqual(entries.filter((e) => e.kind === 'step-done').map((e) => (e as { step: string }).step), RECOVER_STEPS);
    t.like(entries[entries.length - 1], { kind: 'run-end', outcome: 'succeeded' });
    const h = await health(f, k.to);
    t.is(h.verdict, 'healthy', h.problems.join('; '));
    const apps = await PegasusShell.forCluster(f.cluster).listApps();
    t.deepEqual(apps.apps.map((a) => a.appName).sort(), ['orders', 'stat', 'temp']);
  });
}
