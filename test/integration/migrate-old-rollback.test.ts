/**
 * Why a rollback past the point of no return copies the new tree back (issue 14 §1): the same
 * rollback done the old way wedges the cluster. On a sandbox fleet: migrate by copy; on the new
 * ensemble a replica server dies and comes back (membership changes: ballots move on the new tree
 * and on the replicas, not on the old tree); then every meta's config is pointed back at the old
 * ensemble through the agents' config edit and the metas restart there, on the stale tree, with
 * the level restored, as a rollback before the point of no return does. `ls -d` is healthy; but the
 * next replica death is never repaired: the replicas ask the meta for ballot + 1 of their own
 * ballot and the meta refuses (ERR_INVALID_VERSION), the meta's proposals are older than the
 * replicas' ballots (src/meta/server_state.cpp, server_state::on_update_configuration;
 * src/replica/replica_config.cpp, replica::on_config_proposal).
 *
 * The contrast, `zkmig rollback RUN` past the point of no return (the new tree copied back, a
 * replica death repaired afterwards), is test/integration/migrate-no-return.test.ts.
 */
import * as fs from 'node:fs';
import anyTest, { TestFn } from 'ava';
import { AgentPool } from '../../coordinator/lib/fleet';
import { readState } from '../../coordinator/lib/sandbox';
import { PegasusShell } from '../../coordinator/lib/shell';
import { INVALID_ADDRESS } from '../../sim/common/address';
import { readPartitions } from '../../sim/testing';
import { waitFor } from '../harness/tmp';
import { cli, currentZk, Fleet, health, killReplica, startFleet, withZk } from './migrate-support';

const test = anyTest as TestFn<{ fleet: Fleet }>;

// A replica lease (and grace) that outlives a restart of every meta: the replicas stay primaries and
// secondaries across the rollback, as they do in a real cluster (20 s / 22 s by default there).
const TIMING = { fdLeaseSeconds: 10, fdGraceSeconds: 12 };

test.before(async (t) => {
  t.context.fleet = await startFleet('zkmig-mig-oldway-', { tables: [{ name: 'temp', partitions: 4 }], timing: TIMING });
});

test.after.always(async (t) => {
  await t.context.fleet?.close();
});

/** The text appended to a log file since `from` bytes. */
function logSince(file: string, from: number): string {
  const buf = fs.readFileSync(file);
  return buf.subarray(Math.min(from, buf.length)).toString('utf8');
}

test.serial('rolling back the old way after a failover on the new ensemble looks healthy, then never repairs a replica death (ERR_INVALID_VERSION)', async (t) => {
  t.timeout(8 * 60_000);
  const f = t.context.fleet;
  const { oldZk, newZk, clusterRoot: root, cluster } = f.info;
  const shell = PegasusShell.forCluster(f.cluster);
  const appId = (await shell.listApps()).apps.find((a) => a.appName === 'temp')!.appId;

  const m = await cli(f, ['migrate', '--cluster', cluster, '--to', newZk, '--method', 'copy', '--yes']);
  t.is(m.code, 0, m.out + m.err);
  t.is(await currentZk(f), newZk);
  const stale = await withZk(oldZk, (s) => readPartitions(s, root, appId));

  // A failover on the new ensemble: replica0 dies, the meta takes it out of every partition, it
  // comes back and is added again.
  const addr = (name: string): string => readState(f.info.dir)!.replicas.find((r) => r.name === name)!.address;
  const revive0 = await killReplica(f, 'replica0');
  // (With one of three nodes dead the meta freezes: partitions it led lose their primary until it is back.)
  await waitFor('replica0 out of every partition on the new tree', async () => {
    const pcs = await withZk(newZk, (s) => readPartitions(s, root, appId));
    return pcs.every((pc) => pc.primary !== addr('replica0') && !pc.secondaries.includes(addr('replica0')));
  }, 60000, 300);
  revive0();
  await waitFor('healthy again on the new ensemble', async () => (await health(f, newZk).catch(() => undefined))?.verdict === 'healthy', 120000, 500);
  const moved = await withZk(newZk, (s) => readPartitions(s, root, appId));
  t.true(moved.every((p, i) => p.ballot >= stale[i]!.ballot + 2), `ballots moved on the new tree: ${stale.map((p) => p.ballot).join(',')} -> ${moved.map((p) => p.ballot).join(',')}`);

  // The old way back: every meta stopped, its config pointed at the old ensemble through the agents,
  // started again, the level set to steady as a rollback restores it.
  const pool = new AgentPool({ coordinator: 'old-way-rollback-test' });
  try {
    for (const h of f.cluster.metas) await pool.client(h).controlService(h.metaService, 'stop');
    const set = await cli(f, ['config', 'set', '--cluster', cluster, `zookeeper.hosts_list=${oldZk}`]);
    t.is(set.code, 0, set.out + set.err);
    for (const h of f.cluster.metas) await pool.client(h).controlService(h.metaService, 'start');
  } finally {
    pool.close();
  }
  await waitFor('a leader on the old ensemble', async () => (await currentZk(f).catch(() => '')) === oldZk, 60000, 300);
  await shell.setMetaLevel('steady');
  await waitFor('ls -d healthy on the stale tree', async () => (await health(f, oldZk).catch(() => undefined))?.verdict === 'healthy', 60000, 500);
  t.deepEqual((await withZk(oldZk, (s) => readPartitions(s, root, appId))).map((p) => p.ballot), stale.map((p) => p.ballot), 'the meta serves the old ballots');

  // The next replica death.
  const st = readState(f.info.dir)!;
  const logs = [...st.metas.map((x) => x.log), ...st.replicas.map((x) => x.log)];
  const sizes = new Map(logs.map((l) => [l, fs.statSync(l).size]));
  const since = (which: 'metas' | 'replicas'): string => st[which].map((x) => logSince(x.log, sizes.get(x.log)!)).join('\n');
  // The victim: the stale tree's primary of some partition (the meta takes it out itself, then
  // proposes a new primary with a ballot below the replicas' own) and a secondary, there, of a
  // partition whose stale primary still leads it with a newer ballot (that primary asks the meta to
  // remove the dead secondary at its own ballot + 1).
  const victim = ['replica1', 'replica2'].find(
    (n) => stale.some((pc) => pc.primary === addr(n)) && stale.some((pc, i) => pc.secondaries.includes(addr(n)) && pc.primary === moved[i]!.primary),
  );
  if (!victim) return t.fail(`no replica server fits: ${JSON.stringify({ stale, moved })}`);
  const revive = await killReplica(f, victim);
  await waitFor('a replica refused with ERR_INVALID_VERSION', () => /reject coz ballot not match/.test(since('metas')) && /update configuration reply with err ERR_INVALID_VERSION/.test(since('replicas')), 60000, 300);
  // The victim comes back (on a sound tree this is where the cluster heals, migrate-no-return):
  // the partitions it led never get a primary again, however long the guardian tries.
  await waitFor('the meta to declare the victim dead', () => since('metas').includes(`set node(${addr(victim)}) state to dead`), 60000, 300);
  revive();
  await waitFor('the victim back', () => since('metas').includes(`set node(${addr(victim)}) state to alive`), 60000, 300);
  const led = stale.flatMap((pc, i) => (pc.primary === addr(victim) ? [i] : []));
  const until = Date.now() + (TIMING.fdGraceSeconds + 2) * 1000 + 20 * 500;
  while (Date.now() < until) {
    const h = await health(f, oldZk).catch(() => undefined);
    t.not(h?.verdict, 'healthy', 'the stale meta repairs nothing');
    await new Promise((r) => setTimeout(r, 1000));
  }
  const now = await withZk(oldZk, (s) => readPartitions(s, root, appId));
  for (const i of led) t.is(now[i]!.primary, INVALID_ADDRESS, `partition ${appId}.${i} has no primary: ${JSON.stringify(now[i])}`);
  t.regex(since('replicas'), /on_config_proposal out-dated/);
});
