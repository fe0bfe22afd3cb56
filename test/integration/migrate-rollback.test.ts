/**
 * Rollback on a sandbox fleet: the target ensemble dies right after the copy, so the leader cannot
 * start on it; the run rolls back by itself and the cluster is healthy on the old ensemble with the
 * old tree's digest unchanged and every config byte-identical to before. With --no-auto-rollback
 * the run stops instead, and `zkmig rollback RUN` finishes the job.
 */
import anyTest, { TestFn } from 'ava';
import { migrate, MigrateEvent } from '../../coordinator/lib/migrate';
import { startZk, ZkEnsemble } from '../harness/zookeeper';
import { waitFor } from '../harness/tmp';
import { cli, currentZk, Fleet, health, readJournal, sandboxPids, sha256File, startFleet, treeFingerprint } from './migrate-support';

interface Ctx {
  fleet: Fleet;
  third?: { zk: ZkEnsemble; cleanup: () => Promise<void> };
}
const test = anyTest as TestFn<Ctx>;

test.before(async (t) => {
  t.context.fleet = await startFleet('zkmig-mig-rollback-');
});

test.after.always(async (t) => {
  await t.context.third?.cleanup().catch(() => undefined);
  await t.context.fleet?.close();
});

const gone = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
};

test.serial('the target killed after the copy: the leader cannot start there, the run rolls back by itself to a healthy cluster on the untouched old tree', async (t) => {
  const f = t.context.fleet;
  const { oldZk, newZk, clusterRoot: root, cluster } = f.info;
  const oldBefore = await treeFingerprint(oldZk, root);
  const shas = f.cluster.metas.map((m) => sha256File(m.metaConfig));
  const events: MigrateEvent[] = [];
  const r = await migrate(
    { inventory: f.info.inventory, cluster, to: newZk, method: 'copy', precopy: false, leaderTimeoutMs: 30000 },
    {
      stateDir: f.stateDir,
      env: f.env,
      emit: (e) => events.push(e),
      afterStep: async (step) => {
        if (step !== 'check-source') return;
        for (const pid of sandboxPids(f).zkNew) process.kill(pid, 'SIGKILL');
        await waitFor('the new ensemble to be dead', () => sandboxPids(f).zkNew.every(gone));
      },
    },
  );
  t.is(r.outcome, 'rolled-back', r.error?.message);
  t.regex(r.rolledBackBecause?.message ?? '', /step (start-leader|wait-leader) failed/);
  const entries = readJournal(r.journal);
  const done = entries.filter((e) => e.kind === 'step-done').map((e) => (e as { step: string }).step);
  for (const s of ['update-configs', 'rollback-stop-metas', 'rollback-restore-configs', 'rollback-start-metas', 'rollback-restore-level', 'rollback-verify', 'rollback-clean-target']) t.true(done.includes(s), s);
  t.true(events.some((e) => e.kind === 'warning' && /rolling back automatically/.test(e.message)));
  // The metas were pointed at the new ensemble, then restored from the agents' backups byte for byte.
  t.deepEqual(f.cluster.metas.map((m) => sha256File(m.metaConfig)), shas);
  t.is(await currentZk(f), oldZk);
  const h = await health(f, oldZk);
  t.is(h.verdict, 'healthy', h.problems.join('; '));
  const oldAfter = await treeFingerprint(oldZk, root);
  t.is(oldAfter.digest, oldBefore.digest);
  t.is(oldAfter.nodes, oldBefore.nodes);
  t.true(typeof r.summary.writeFreezeMs === 'number', 'the freeze ended when the old ensemble served again');
  t.regex(r.summary.message, /rolled back to the old ensemble after: step/);
});

test.serial('--no-auto-rollback stops at the failure; "zkmig rollback RUN" returns the cluster to the old ensemble; resume then refuses', async (t) => {
  const f = t.context.fleet;
  const { oldZk, clusterRoot: root, cluster } = f.info;
  t.context.third = await startZk();
  const third = t.context.third.zk;
  const oldBefore = await treeFingerprint(oldZk, root);
  const r = await migrate(
    { inventory: f.info.inventory, cluster, to: third.connectString, method: 'copy', autoRollback: false, leaderTimeoutMs: 30000 },
    {
      stateDir: f.stateDir,
      env: f.env,
      emit: () => undefined,
      afterStep: async (step) => {
        if (step === 'update-configs') await third.stop();
      },
    },
  );
  t.is(r.outcome, 'failed');
  const st = await cli(f, ['status', r.run]);
  t.is(st.code, 0);
  t.regex(st.out, /FAILED\s+(start-leader|wait-leader)/);
  t.regex(st.out, /: failed/);

  const rb = await cli(f, ['rollback', r.run, '--yes']);
  t.is(rb.code, 1, rb.out + rb.err);
  t.regex(rb.out, /ROLLED-BACK/);
  t.regex(rb.out, /could not remove \/pegasus\/sandbox from/); // the dead target is left for the operator, with the command to clean it
  t.is(await currentZk(f), oldZk);
  const h = await health(f, oldZk);
  t.is(h.verdict, 'healthy', h.problems.join('; '));
  t.is((await treeFingerprint(oldZk, root)).digest, oldBefore.digest);

  const again = await cli(f, ['resume', r.run, '--yes']);
  t.is(again.code, 2);
  t.regex(again.err, /already ended: rolled-back/);
});
