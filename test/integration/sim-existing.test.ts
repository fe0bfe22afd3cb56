import * as path from 'node:path';
import { simZkTest } from '../harness/sim-fixture';
import { SimCluster, isFullyHealthy } from '../../sim/cluster';
import { readPartitions } from '../../sim/testing';
import { seedNodes } from '../../coordinator/lib/zk/seed';
import { clusterRootNodes, existingReplicas, existingTableNodes, existingTables, writeReplicaStore } from '../../coordinator/lib/sandbox/existing-cluster';

/**
 * The large sandbox starts as an existing cluster (coordinator/lib/sandbox/existing-cluster.ts):
 * tables written into the tree and onto the replica servers' disks before the first start. Here at a
 * small size: the cluster must come up healthy as it was written, the first leader taking the
 * partition configs as they are (same ballots, same members: nothing re-placed) and every replica
 * server taking its stored replicas back in the role the config gives it.
 */

const test = simZkTest();

test.serial('a cluster seeded as existing comes up healthy as written: ballots, members and replica roles kept', async (t) => {
  const c = await SimCluster.create({ baseDir: path.join(t.context.tmp.dir, 'ex'), zkHosts: t.context.zk.connectString, clusterName: 'ex', metaCount: 2 });
  t.context.clusters.push(c);
  const tables = existingTables(
    [
      { name: 'a', partitions: 8 },
      { name: 'b', partitions: 5 },
    ],
    1,
    c.replicas.map((r) => r.address),
    3,
    1714564800,
  );
  await seedNodes(t.context.zk.connectString, (function* () {
    yield* clusterRootNodes(c.opts.clusterRoot);
    yield* existingTableNodes(c.opts.clusterRoot, tables);
  })());
  const held = existingReplicas(tables);
  for (const r of c.replicas) writeReplicaStore(c.dataDir(r), held.get(r.address)!);
  t.throws(() => writeReplicaStore(c.dataDir(c.replicas[0]!), new Map()), { message: /exists: the replica server has state already/ }, 'never overwrites a replica server’s state');

  c.startAll();
  await c.waitHealthy();
  const r = await c.shell(['ls -d', 'app a -d']);
  t.true(isFullyHealthy(r.stdout), r.stdout);
  t.notRegex(r.stdout, /\bstat\b/, 'the meta wrote no default table into a tree that has tables');

  for (const tb of tables) {
    const stored = await readPartitions(t.context.s, c.opts.clusterRoot, tb.info.app_id);
    t.deepEqual(
      stored.map((p) => [p.pid, p.ballot, p.primary, [...p.secondaries].sort()]),
      tb.partitions.map((p) => [p.pid, 3, p.primary, [...p.secondaries].sort()]),
      `${tb.info.app_name}: the leader kept every config as written`,
    );
  }
  for (const [i, node] of c.replicas.entries()) {
    const state = c.replicaState(i);
    const want = held.get(node.address)!;
    t.is(state.size, want.size, `${node.address} holds what was written`);
    for (const [pid, w] of want) t.like(state.get(pid), { ballot: 3, status: w.status }, `${node.address} ${pid}`);
  }
});
