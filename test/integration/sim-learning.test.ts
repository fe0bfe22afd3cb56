import * as path from 'node:path';
import { simZkTest } from '../harness/sim-fixture';
import { waitFor } from '../harness/tmp';
import { SimCluster, isFullyHealthy } from '../../sim/cluster';
import { readPartitions } from '../../sim/testing';

/**
 * Learning (src/replica/replica_learn.cpp: a re-added secondary counts only once it has learned) and
 * the cost of `blind` (src/replica/replica_config.cpp update_configuration_on_meta_server: a primary
 * that reconfigures turns PS_INACTIVE until the meta writes its request, which blind defers).
 */

const test = simZkTest();

test.serial('a re-added secondary is not counted until it has learned its table; ls -d is unhealthy meanwhile', async (t) => {
  const c = await SimCluster.create({
    baseDir: path.join(t.context.tmp.dir, 'learn'),
    zkHosts: t.context.zk.connectString,
    clusterName: 'learn',
    defaultTables: [],
    learnSecondsPerGb: 1,
    tableDataGb: { big: 4 },
  });
  t.context.clusters.push(c);
  c.startAll();
  await c.createTable('big', 2, 3);
  await c.waitHealthy(120000);
  // A replica server crashes; with 3 nodes the partitions wait for it (replica_assign_delay_ms_for_dropouts).
  await c.killReplica(2);
  const addr = c.replicas[2]!.address;
  await waitFor('the dead node to leave every config', async () => (await readPartitions(t.context.s, c.opts.clusterRoot, 1)).every((pc) => !pc.secondaries.includes(addr) && pc.primary !== addr), 60000);
  const mark = c.log(c.replicas[2]!).length;
  c.startReplica(2);
  await waitFor('the restarted node to start learning', () => c.log(c.replicas[2]!).slice(mark).includes('start learning'), 60000);
  const during = await c.shell('ls -d', { rpcTimeoutMs: 3000 });
  t.false(isFullyHealthy(during.stdout), `ls -d while learning:\n${during.stdout}`);
  t.true((await readPartitions(t.context.s, c.opts.clusterRoot, 1)).some((pc) => !pc.secondaries.includes(addr)), 'the learner is not in the config yet');
  await c.waitHealthy(120000);
  t.regex(c.log(c.replicas[2]!).slice(mark), /start learning from \S+: 4 GB, 4000 ms/);
  t.regex(c.log(c.replicas[2]!).slice(mark), /learning completed after 4000 ms, learner ready for secondary/);
});

test.serial('at blind a primary that loses a secondary turns PS_INACTIVE until the level lifts; ls -d does not show it', async (t) => {
  const c = await SimCluster.create({ baseDir: path.join(t.context.tmp.dir, 'blind'), zkHosts: t.context.zk.connectString, clusterName: 'blind', replicaCount: 4, defaultTables: [] });
  t.context.clusters.push(c);
  c.startAll();
  await c.createTable('temp', 4, 3);
  await c.waitHealthy();
  await c.shell('set_meta_level blind');
  const pcs = await readPartitions(t.context.s, c.opts.clusterRoot, 1);
  // A node that is a secondary somewhere, and the primaries that will notice it is gone.
  const q = c.replicas.findIndex((r) => pcs.some((pc) => pc.secondaries.includes(r.address)));
  const qAddr = c.replicas[q]!.address;
  const hit = pcs.filter((pc) => pc.secondaries.includes(qAddr) && pc.primary !== qAddr);
  const primaryOf = (pid: string, addr: string) => c.replicaState(c.replicas.findIndex((r) => r.address === addr)).get(pid);
  await c.killReplica(q);
  await waitFor('the primaries to ask the meta and turn PS_INACTIVE', () => hit.every((pc) => primaryOf(pc.pid, pc.primary)?.status === 'PS_INACTIVE'), 60000);
  const metaLogs = (): string => c.metas.map((m) => c.log(m)).join('\n');
  await waitFor('the meta to defer the update', () => /ignore update configuration on remote due to level is fl_blind/.test(metaLogs()), 30000);
  // The config is unchanged (the dead node is still listed), so `ls -d` reports the partitions healthy
  // although their primaries accept no writes.
  await new Promise((r) => setTimeout(r, 3 * c.timing.groupCheckIntervalMs));
  t.true(hit.every((pc) => primaryOf(pc.pid, pc.primary)?.status === 'PS_INACTIVE'), 'still write-unavailable at blind');
  const ls = await c.shell('ls -d', { rpcTimeoutMs: 3000 });
  t.true(isFullyHealthy(ls.stdout), ls.stdout);
  // The level lifts: the deferred writes land and the primaries serve again.
  await c.shell('set_meta_level steady');
  await waitFor('the primaries to be back', () => hit.every((pc) => primaryOf(pc.pid, pc.primary)?.status === 'PS_PRIMARY'), 60000);
  const after = await readPartitions(t.context.s, c.opts.clusterRoot, 1);
  for (const pc of hit) t.false(after[Number(pc.pid.split('.')[1])]!.secondaries.includes(qAddr));
});
