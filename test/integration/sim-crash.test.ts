import * as path from 'node:path';
import { ZkSession } from '../../shared/zk/client';
import { SimZkContext, simZkTest } from '../harness/sim-fixture';
import { waitFor } from '../harness/tmp';
import { SimCluster, SimClusterOptions } from '../../sim/cluster';
import { decodeAppInfo, decodePartition, encodeAppInfo } from '../../sim/common/types';
import { appsPath, getText, seedApp, seedTree } from '../../sim/testing';

/**
 * The leader's load checks and crash conditions (docs/pegasus-internals.md §2.4, §5.1, §9): each must stop the meta
 * with the abort status (134 here) and Pegasus's message, because a migration that leaves the target
 * tree in one of these states breaks the production cluster the same way.
 */

const test = simZkTest();

async function oneMeta(t: { context: SimZkContext }, name: string, o: Partial<SimClusterOptions> = {}): Promise<SimCluster> {
  const c = await SimCluster.create({ baseDir: path.join(t.context.tmp.dir, name), zkHosts: t.context.zk.connectString, clusterName: name, metaCount: 1, replicaCount: 0, ...o });
  t.context.clusters.push(c);
  return c;
}

async function expectCrash(t: { context: SimZkContext; is: (a: unknown, b: unknown) => void; regex: (s: string, r: RegExp) => void }, c: SimCluster, message: RegExp): Promise<void> {
  c.startMeta(0);
  const exit = await c.waitExit(c.metas[0]!, 20000);
  t.is(exit.code, 134);
  t.regex(c.log(c.metas[0]!), message);
}

const CRASHES: [string, (c: SimCluster, s: ZkSession) => Promise<void>, RegExp][] = [
  ['`apps` left at "lock" by an interrupted bulk write', (c, s) => seedTree(s, c.opts.clusterRoot, [seedApp(1, 'temp', 2)], { state: 'lock' }), /assertion failed: invalid transaction state\(lock\)/],
  [
    'an app node that is not JSON',
    (c, s) => seedTree(s, c.opts.clusterRoot, [seedApp(1, 'temp', 2)], { raw: { [`${appsPath(c)}/1`]: '{"status":"app_status::AS_AVAI' } }),
    /assertion failed: invalid json data/,
  ],
  [
    'a partition whose pid does not match its path',
    (c, s) => seedTree(s, c.opts.clusterRoot, [seedApp(1, 'temp', 2)], { raw: { [`${appsPath(c)}/1/1`]: '{"pid":"1.0","ballot":0}' } }),
    /assertion failed: invalid partition config/,
  ],
  [
    'an app in a status other than AVAILABLE or DROPPED',
    (c, s) => {
      const a = seedApp(1, 'temp', 2);
      return seedTree(s, c.opts.clusterRoot, [a], { raw: { [`${appsPath(c)}/1`]: encodeAppInfo(a.info, 'AS_CREATING') } });
    },
    /assertion failed: invalid status\(app_status::AS_CREATING\) for app\(temp\(1\)\) in remote storage/,
  ],
  [
    'apps present while recover_from_replica_server = true',
    async (c, s) => {
      await seedTree(s, c.opts.clusterRoot, [seedApp(1, 'temp', 2)]);
      c.setMetaConfig(0, 'meta_server', 'recover_from_replica_server', 'true');
    },
    /assertion failed: find apps from remote storage, but \[meta_server\]\.recover_from_replica_server = true/,
  ],
];

for (const [i, [what, prepare, message]] of CRASHES.entries()) {
  test.serial(`crash: ${what}`, async (t) => {
    const c = await oneMeta(t, `crash${i}`);
    await prepare(c, t.context.s);
    await expectCrash(t, c, message);
  });
}

test.serial('a missing partition node below init_partition_count is re-created from defaults, with no primary', async (t) => {
  const c = await oneMeta(t, 'halfcreated');
  const a = seedApp(1, 'temp', 3);
  await seedTree(t.context.s, c.opts.clusterRoot, [a], { skip: [`${appsPath(c)}/1/2`] });
  c.startMeta(0);
  await c.waitForLeader();
  const pc = decodePartition(await getText(t.context.s, `${appsPath(c)}/1/2`));
  t.deepEqual(pc, { pid: '1.2', ballot: 0, max_replica_count: 3, primary: 'invalid address', secondaries: [], last_drops: [], last_committed_decree: 0, partition_flags: 0 });
  t.regex(c.log(c.metas[0]!), /partition node .*\/apps\/1\/2 not exist on remote storage, may half create before/);
  t.true(c.isRunning(c.metas[0]!));
});

test.serial('an unknown meta_function_level_on_start stops the meta at start', async (t) => {
  const c = await oneMeta(t, 'badlevel');
  c.setMetaConfig(0, 'meta_server', 'meta_function_level_on_start', 'fast');
  c.startMeta(0);
  t.is((await c.waitExit(c.metas[0]!)).code, 1);
  t.regex(c.log(c.metas[0]!), /unknown meta function level: fl_fast/);
});

test.serial('runtime crashes: ZNONODE on a partition update, then default tables created on an empty tree and an unknown gpid', async (t) => {
  const c = await SimCluster.create({ baseDir: path.join(t.context.tmp.dir, 'runtime'), zkHosts: t.context.zk.connectString, clusterName: 'runtime', metaCount: 1 });
  t.context.clusters.push(c);
  c.startAll();
  await c.createTable('temp', 4, 3);
  await c.waitHealthy();

  // 1. A partition node deleted under the running leader: its next set fails with ZNONODE, and Pegasus
  //    kills itself rather than retry (issue #838). Dropping the table forces the partition writes.
  await t.context.s.remove(`${appsPath(c)}/2/0`);
  await c.shell('drop temp', { rpcTimeoutMs: 2000 });
  t.is((await c.waitExit(c.metas[0]!)).code, 134);
  t.regex(c.log(c.metas[0]!), /assertion failed: we can't handle this right now, err = ERR_OBJECT_NOT_FOUND/);

  // 2. The same replicas (still holding 1.x and 2.x) under a meta pointed at an empty tree with
  //    recovery off: it creates the default table `stat` as app 1, then dies on replica 2.x.
  c.setMetaConfig(0, 'meta_server', 'cluster_root', '/pegasus/runtime-empty');
  c.startMeta(0);
  t.is((await c.waitExit(c.metas[0]!)).code, 134);
  t.regex(c.log(c.metas[0]!), /can't find apps from remote storage, start to initialize default apps/);
  t.regex(c.log(c.metas[0]!), /assertion failed: gpid\(2\.\d\) on node\(127\.0\.0\.1:\d+\) is not exist on meta server, administrator should check consistency of meta data/);
  t.is(await getText(t.context.s, '/pegasus/runtime-empty/apps'), 'unlock');
  const stat = decodeAppInfo(await getText(t.context.s, '/pegasus/runtime-empty/apps/1'));
  t.like(stat, { app_name: 'stat', app_id: 1, partition_count: 4, status: 'AS_AVAILABLE', init_partition_count: -1 });
  t.deepEqual(await t.context.s.getChildren('/pegasus/runtime-empty/apps'), ['1']);
  await waitFor('replicas to keep running', () => c.replicas.every((r) => c.isRunning(r)));
});
