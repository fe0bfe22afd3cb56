/**
 * `zkmig migrate --method copy` with the live pre-copy (the default) end to end on a sandbox fleet
 * (two real ZooKeepers, real agents running simulated metas): `plan` lists the pre-copy's steps
 * (and `--no-precopy` the old ones); a migration whose source a writer keeps changing during the
 * pre-copy ends healthy on the new ensemble, the target proven equal to the frozen source (the
 * finalize step's digest is the old tree's, which nothing wrote since), every write of the writer
 * on the target, the freeze reported in its parts. The path without the pre-copy is
 * migrate-copy.test.ts. A failure after the pre-copy rolls back and removes what it wrote on the
 * target; a coordinator killed after the pre-copy resumes with a full copy and a full verify in
 * place of the follower it lost.
 */
import anyTest, { TestFn } from 'ava';
import { migrate, MigrateEvent } from '../../coordinator/lib/migrate';
import { startLiveWriter, LiveWriter } from '../harness/zk-live-writer';
import { cli, currentZk, Fleet, health, journals, killAfterStepThenResume, readJournal, runIdOf, startFleet, treeFingerprint } from './migrate-support';

const test = anyTest as TestFn<{ fleet: Fleet }>;

const PRECOPY_STEPS = ['preflight', 'precopy', 'stop-followers', 'set-blind', 'stop-leader', 'finalize', 'update-configs', 'start-leader', 'wait-leader', 'start-followers', 'final-health'];

test.before(async (t) => {
  t.context.fleet = await startFleet('zkmig-mig-precopy-');
});

test.after.always(async (t) => {
  await t.context.fleet?.close();
});

test.serial('plan lists the pre-copy steps by default and the copy inside the freeze with --no-precopy', async (t) => {
  const f = t.context.fleet;
  const args = ['plan', '--cluster', f.info.cluster, '--to', f.info.newZk, '--method', 'copy', '--json'];
  const names = async (extra: string[]): Promise<string[]> => {
    const r = await cli(f, [...args, ...extra]);
    t.is(r.code, 0, r.err + r.out);
    return (JSON.parse(r.out) as { steps: { name: string }[] }).steps.map((s) => s.name);
  };
  t.deepEqual(await names(['--precopy-threshold', '7']), PRECOPY_STEPS.slice(1));
  t.deepEqual(await names(['--no-precopy']), ['stop-followers', 'set-blind', 'copy', 'check-source', 'stop-leader', 'recheck-source', 'update-configs', 'start-leader', 'wait-leader', 'start-followers', 'final-health']);
  const text = await cli(f, ['plan', '--cluster', f.info.cluster, '--to', f.info.newZk, '--method', 'copy', '--precopy-threshold', '7']);
  t.regex(text.out, /Pre-copy \/\S+ to \S+ while the cluster runs\n\s+.*until fewer than 7 changes are outstanding/);
  // Which method freezes less for this cluster, said before anything runs.
  t.regex(text.out, /\n {2}write freeze, estimated: copy ~\d+\.\d s \(stop, blind, last delta and proof.*; compared: copy ~\d+\.\d s, recover ~\d+\.\d s\n/);
  const bad = await cli(f, [...args, '--precopy-threshold', 'many']);
  t.is(bad.code, 2);
  t.regex(bad.err, /--precopy-threshold must be a whole number >= 1, got "many"/);
});

test.serial('a failure after the pre-copy rolls back: nothing was stopped, the pre-copied tree is removed from the target', async (t) => {
  const f = t.context.fleet;
  const { oldZk, newZk, clusterRoot: root, cluster } = f.info;
  const oldBefore = await treeFingerprint(oldZk, root);
  let precopied = false;
  const r = await migrate(
    { inventory: f.info.inventory, cluster, to: newZk, method: 'copy' },
    {
      stateDir: f.stateDir,
      env: f.env,
      emit: () => undefined,
      afterStep: async (step) => {
        if (step !== 'precopy') return;
        precopied = (await treeFingerprint(newZk, root)).digest === (await treeFingerprint(oldZk, root)).digest;
        throw new Error('test: the run fails right after the pre-copy');
      },
    },
  );
  t.true(precopied, 'the pre-copy had written the whole tree to the target');
  t.is(r.outcome, 'rolled-back', r.error?.message);
  const steps = readJournal(r.journal).flatMap((e) => (e.kind === 'step-done' ? [e.step] : []));
  t.false(steps.includes('stop-followers'));
  t.true(steps.includes('rollback-clean-target'));
  t.false((await treeFingerprint(newZk, root)).exists, 'the pre-copied tree is gone from the target');
  t.is((await treeFingerprint(oldZk, root)).digest, oldBefore.digest);
  t.is(await currentZk(f), oldZk);
});

test.serial('a writer changes the source during the pre-copy: healthy on the new ensemble, the target proven equal to the frozen source', async (t) => {
  t.timeout(5 * 60_000);
  const f = t.context.fleet;
  const { oldZk, newZk, clusterRoot: root, cluster } = f.info;
  const writer: LiveWriter = await startLiveWriter(oldZk, root, { rate: 200 });
  let writtenAtPrecopyStart = -1;
  let writtenDuringPrecopy = 0;
  let stopped: Awaited<ReturnType<LiveWriter['stop']>> | undefined;
  const events: MigrateEvent[] = [];
  try {
    const r = await migrate(
      { inventory: f.info.inventory, cluster, to: newZk, method: 'copy', precopyThreshold: 20, stayStoppedMs: 1000, leaderTimeoutMs: 60000 },
      {
        stateDir: f.stateDir,
        env: f.env,
        emit: (e) => {
          events.push(e);
          if (e.kind === 'step-start' && e.step === 'precopy') writtenAtPrecopyStart = writer.done;
        },
        afterStep: async (step) => {
          if (step !== 'precopy') return;
          // The writer stands for the metas: they stop writing when the freeze starts.
          writtenDuringPrecopy = writer.done - writtenAtPrecopyStart;
          stopped = await writer.stop();
        },
      },
    );
    t.is(r.outcome, 'succeeded', `${r.error?.message ?? ''} ${r.rolledBackBecause?.message ?? ''}`);
    t.true(writtenAtPrecopyStart >= 0 && writtenDuringPrecopy > 0, `the writer wrote during the pre-copy (${writtenDuringPrecopy})`);
    t.is(stopped?.errors, 0);

    const entries = readJournal(r.journal);
    t.deepEqual(
      entries.flatMap((e) => (e.kind === 'step-done' ? [e.step] : [])),
      PRECOPY_STEPS,
    );
    const data = (step: string): Record<string, unknown> => {
      const e = entries.find((x) => x.kind === 'step-done' && x.step === step);
      return e && e.kind === 'step-done' ? e.data : {};
    };
    const pre = data('precopy');
    const fin = data('finalize');
    t.true((pre.outstanding as number) < 20, `below the threshold when the freeze began: ${JSON.stringify(pre)}`);
    t.true((pre.applied as number) + (fin.applied as number) + ((fin.appliedSincePrecopy as number | undefined) ?? 0) > 0, `the follower wrote changes after the copy: ${JSON.stringify(pre)} ${JSON.stringify(fin)}`);
    t.is(fin.proof, 'delta', JSON.stringify(fin));
    // The freeze began after the pre-copy: nothing was stopped while it ran.
    const freezeAt = entries.findIndex((e) => e.kind === 'note' && e.text === 'freeze-start');
    const preDone = entries.findIndex((e) => e.kind === 'step-done' && e.step === 'precopy');
    t.true(preDone >= 0 && freezeAt > preDone);

    // The old tree was frozen from the leader's stop on: finalize proved the target equal to it.
    const old = await treeFingerprint(oldZk, root);
    t.is(fin.digest, old.digest);
    // The metas never touch the writer's nodes: they are the same on both ensembles now.
    const [a, b] = await Promise.all([treeFingerprint(oldZk, `${root}/live`), treeFingerprint(newZk, `${root}/live`)]);
    t.true(a.nodes > 1);
    t.is(b.digest, a.digest);

    const h = await health(f, newZk);
    t.is(h.verdict, 'healthy', h.problems.join('; '));
    t.true(typeof r.summary.precopyMs === 'number' && r.summary.precopyMs > 0);
    t.true(typeof r.summary.writeFreezeMs === 'number' && r.summary.writeFreezeMs > 0);
    const parts = r.summary.freezeParts;
    for (const k of ['stopMs', 'blindMs', 'finalDeltaMs', 'proofMs', 'configEditMs', 'restartMs', 'leaderLoadMs', 'firstHealthMs'] as const) t.true(typeof parts?.[k] === 'number', `${k}: ${JSON.stringify(parts)}`);
    t.is(parts?.copyMs, undefined, 'no copy inside the freeze');
    t.log(`pre-copy ${r.summary.precopyMs} ms, write freeze ${r.summary.writeFreezeMs} ms: ${JSON.stringify(parts)}`);
  } finally {
    if (!stopped) await writer.stop();
  }
});

test.serial('a coordinator killed after the pre-copy: resume cannot trust the lost follower and copies in full, verified in full', async (t) => {
  t.timeout(5 * 60_000);
  const f = t.context.fleet;
  // Step 2 is the pre-copy (after the preflight): killed with every meta still running.
  const k = await killAfterStepThenResume(f, 2, 'copy', { precopy: true });
  t.deepEqual(k.doneAtKill.slice(0, 2), ['preflight', 'precopy']);
  t.is(k.resume.code, 0, k.resume.err + k.resume.out.slice(-3000));
  const entries = readJournal(journals(f).find((j) => runIdOf(j) === k.run)!);
  t.deepEqual(entries.flatMap((e) => (e.kind === 'step-done' ? [e.step] : [])), PRECOPY_STEPS);
  const fin = entries.find((e) => e.kind === 'step-done' && e.step === 'finalize');
  const data = fin && fin.kind === 'step-done' ? fin.data : {};
  t.is(data.proof, 'copy', JSON.stringify(data));
  t.regex(String(data.summary), /^resumed: the pre-copy follower lived in the previous coordinator and cannot be trusted: full copy \(--on-exists sync\)/);
  t.is(data.digest, (await treeFingerprint(k.from, f.info.clusterRoot)).digest, 'the copy equals the frozen source');
  t.is(await currentZk(f), k.to);
  const h = await health(f, k.to);
  t.is(h.verdict, 'healthy', h.problems.join('; '));
});
