import * as path from 'node:path';
import { ZkSession } from '../../shared/zk/client';
import { simZkTest } from '../harness/sim-fixture';
import { waitFor } from '../harness/tmp';
import { SimCluster } from '../../sim/cluster';
import { decodeAppInfo, decodePartition } from '../../sim/common/types';
import { appsPath, getText, mzxid } from '../../sim/testing';

/**
 * Meta function levels (docs/pegasus-internals.md §6): held in memory, `blind` defers every partition-config write
 * while DDL still writes ZooKeeper, automatic freeze when too few nodes are alive, and a restart
 * always starts at meta_function_level_on_start.
 */

const test = simZkTest();

async function partitionZxids(s: ZkSession, c: SimCluster, appId: number, n: number): Promise<bigint[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => mzxid(s, `${appsPath(c)}/${appId}/${i}`)));
}

test.serial('blind defers partition writes while DDL still writes; auto-freeze; restart resets the level', async (t) => {
  const c = await SimCluster.create({ baseDir: path.join(t.context.tmp.dir, 'lv'), zkHosts: t.context.zk.connectString, clusterName: 'lv' });
  t.context.clusters.push(c);
  const s = t.context.s;
  c.startAll();
  await c.createTable('temp', 4, 3);
  await c.waitHealthy();
  const leaderAddr = (await c.leader())!;
  const leader = c.metas.find((m) => m.address === leaderAddr)!;

  const set = await c.shell(['set_meta_level blind', 'get_meta_level', 'cluster_info']);
  t.regex(set.stdout, /^control meta level ok, the old level is fl_steady$/m);
  t.regex(set.stdout, /^current meta level is fl_blind$/m);
  t.regex(set.stdout, /^meta_function_level +: blind *$/m);

  // A replica dies: the leader must downgrade it, but at blind the partition writes wait.
  const tempZxids = await partitionZxids(s, c, 2, 4);
  const statZxids = await partitionZxids(s, c, 1, 4);
  await c.stopReplica(2, 'SIGKILL');
  await waitFor('the leader to defer a partition write', () => /ignore update configuration on remote due to level is fl_blind/.test(c.log(leader)), 15000);
  const lines = () => c.log(leader).split('ignore update configuration on remote due to level is fl_blind').length;
  const seen = lines();
  await waitFor('another round of deferrals (they retry every second)', () => lines() > seen + 4, 10000);
  t.deepEqual(await partitionZxids(s, c, 2, 4), tempZxids, 'no partition node of temp was written');
  t.deepEqual(await partitionZxids(s, c, 1, 4), statZxids, 'no partition node of stat was written');

  // DDL is not level-gated: drop rewrites the app node at once (its partition drops wait like the
  // rest), so the shell's call times out. create is refused at <= freezed.
  const appZxid = await mzxid(s, `${appsPath(c)}/2`);
  const ddl = await c.shell(['drop temp', 'create other -p 2'], { rpcTimeoutMs: 2000 });
  t.regex(ddl.stdout, /^reserve_seconds = 0\ndrop app temp failed, error=ERR_TIMEOUT$/m);
  t.regex(ddl.stdout, /^create app other failed: \[create\] received server error: ERR_STATE_FREEZED$/m);
  t.regex(ddl.stdout, /^create app "other" failed, error = ERR_STATE_FREEZED$/m);
  t.not(await mzxid(s, `${appsPath(c)}/2`), appZxid);
  t.like(decodeAppInfo(await getText(s, `${appsPath(c)}/2`)), { app_name: 'temp', status: 'AS_DROPPED' });
  t.deepEqual(await partitionZxids(s, c, 2, 4), tempZxids, 'the partition drops are deferred too');
  t.deepEqual((await s.getChildren(appsPath(c))).sort(), ['1', '2']);

  // Back to steady: the deferred writes land. With 2 of 3 nodes alive the cluster is automatically
  // freezed (min_live_node_count_for_unfreeze = 3): cluster_info shows the effective level,
  // get_meta_level the stored one. Writes go through above blind.
  const back = await c.shell(['set_meta_level steady', 'get_meta_level', 'cluster_info']);
  t.regex(back.stdout, /^control meta level ok, the old level is fl_blind$/m);
  t.regex(back.stdout, /^current meta level is fl_steady$/m);
  t.regex(back.stdout, /^meta_function_level +: freezed *$/m);
  await waitFor('temp partitions to be written as dropped', async () => {
    const pcs = await Promise.all([0, 1, 2, 3].map(async (i) => decodePartition(await getText(s, `${appsPath(c)}/2/${i}`))));
    return pcs.every((p) => p!.partition_flags === 1 && p!.secondaries.length === 0);
  });
  await waitFor('stat partitions to drop the dead node', async () => {
    const z = await partitionZxids(s, c, 1, 4);
    return z.every((x, i) => x !== statZxids[i]);
  });
  const dead = c.replicas[2]!.address;
  const stat0 = decodePartition(await getText(s, `${appsPath(c)}/1/0`))!;
  t.false([stat0.primary, ...stat0.secondaries].includes(dead));
  t.true(stat0.last_drops.includes(dead));

  // The node comes back: unfrozen, and the guardian re-adds it.
  c.startReplica(2);
  await c.waitHealthy();
  t.regex((await c.shell('cluster_info')).stdout, /^meta_function_level +: steady *$/m);

  // Levels live in memory only: the next leader starts at meta_function_level_on_start.
  t.regex((await c.shell('set_meta_level lively')).stdout, /old level is fl_steady/);
  t.regex((await c.shell('get_meta_level')).stdout, /^current meta level is fl_lively$/m);
  await c.stop(leader, 'SIGKILL');
  const next = await c.waitForLeader();
  t.not(next, leaderAddr);
  t.regex((await c.shell('get_meta_level')).stdout, /^current meta level is fl_steady$/m);
});

test.serial('meta_function_level_on_start = blind: no cure at all from the start; a bad level name is a usage error', async (t) => {
  const c = await SimCluster.create({ baseDir: path.join(t.context.tmp.dir, 'lv2'), zkHosts: t.context.zk.connectString, clusterName: 'lv2', metaCount: 1, metaFunctionLevelOnStart: 'blind' });
  t.context.clusters.push(c);
  c.startAll();
  await waitFor('the guardian to skip its tick', () => /service is in level\(fl_blind\), don't do any cure or balancer actions/.test(c.log(c.metas[0]!)), 15000);
  const r = await c.shell(['get_meta_level', 'set_meta_level Freezed', 'set_meta_level fast', 'set_meta_level']);
  t.regex(r.stdout, /^current meta level is fl_blind$/m);
  t.regex(r.stdout, /^control meta level ok, the old level is fl_blind$/m, 'names match case-insensitively');
  t.regex(r.stderr, /^parse fast as meta function level failed$/m);
  t.is(r.stdout.split('\n').filter((l) => l === 'USAGE: \tset_meta_level          <stopped|blind|freezed|steady|lively>').length, 2);
  const pc = decodePartition(await getText(t.context.s, `${appsPath(c)}/1/0`))!;
  t.is(pc.primary, 'invalid address', 'nothing was assigned while blind');
});
