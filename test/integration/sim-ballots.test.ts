import * as path from 'node:path';
import { simZkTest } from '../harness/sim-fixture';
import { waitFor } from '../harness/tmp';
import { SimCluster } from '../../sim/cluster';
import { INVALID_ADDRESS } from '../../sim/common/address';
import { copyTree, readPartitions } from '../../sim/testing';

/**
 * Ballots both ways (src/meta/server_state.cpp on_update_configuration, src/replica/replica_config.cpp
 * on_config_proposal / on_config_sync): membership changes start at the replica with its ballot + 1,
 * the meta accepts only its own ballot + 1. A meta brought back on an older copy of the tree (a naive
 * rollback after a failover on the newer one) shows a healthy cluster, and then can repair nothing.
 */

const test = simZkTest();

test.serial('a meta restarted on an older tree looks healthy but never repairs the next replica failure (ERR_INVALID_VERSION)', async (t) => {
  const c = await SimCluster.create({ baseDir: path.join(t.context.tmp.dir, 'bal'), zkHosts: t.context.zk.connectString, clusterName: 'bal', replicaCount: 4, defaultTables: [],
    // A lease long enough to outlive the metas' restart: replicas stay primaries across the rollback.
    timing: { fdLeaseSeconds: 12, fdGraceSeconds: 14 },
    // Heal onto the spare node at once instead of waiting for the dead one to come back.
    extraKeys: [{ section: 'meta_server', key: 'replica_assign_delay_ms_for_dropouts', value: '0' }],
  });
  t.context.clusters.push(c);
  const s = t.context.s;
  const oldRoot = '/pegasus/bal-old';
  c.startAll();
  await c.createTable('temp', 4, 3);
  await c.waitHealthy();
  const before = await readPartitions(s, c.opts.clusterRoot, 1);

  // The copy a rollback would go back to.
  await copyTree(s, `${c.opts.clusterRoot}/apps`, `${oldRoot}/apps`);

  // A failover on the newer tree: a replica server dies, the cluster heals without it, and it comes
  // back. Ballots move on the new tree and on the replicas, not on the copy. The victim is a
  // secondary of partition 0, so that partition's primary lives through the failover with its ballot
  // moved, and the partition's other secondary is a node whose death the stale meta must then repair
  // (below); with the primary as the victim, placement decided whether such a node existed at all.
  const victim = c.replicas.findIndex((r) => r.address === before[0]!.secondaries[0]);
  await c.killReplica(victim);
  await waitFor('the cluster to heal without the dead node', async () => {
    const pcs = await readPartitions(s, c.opts.clusterRoot, 1);
    return pcs.every((pc) => pc.primary !== INVALID_ADDRESS && pc.secondaries.length === 2 && pc.primary !== c.replicas[victim]!.address && !pc.secondaries.includes(c.replicas[victim]!.address));
  }, 60000);
  c.startReplica(victim);
  await c.waitHealthy();
  const after = await readPartitions(s, c.opts.clusterRoot, 1);
  t.true(after[0]!.ballot >= before[0]!.ballot + 2, `ballot of 1.0 moved from ${before[0]!.ballot} to ${after[0]!.ballot}`);

  // Roll the metas back onto the old copy.
  await c.killMeta(0);
  await c.killMeta(1);
  c.setMetaConfig('all', 'meta_server', 'cluster_root', oldRoot);
  c.startMetas();
  await c.waitForLeader();
  await c.waitHealthy(); // `ls -d` is fully healthy, every node ALIVE: the check a rollback relies on
  const stale = await readPartitions(s, oldRoot, 1);
  t.deepEqual(stale.map((p) => p.ballot), before.map((p) => p.ballot), 'the old tree still has the old ballots');

  // Next replica failure: a node that is a secondary, in the old tree's view, of a partition whose
  // primary there is a live replica that went through the failover (its own ballot is ahead of the
  // tree). The restarted victim's replicas are as old as the tree, so the meta can still use them.
  // Only partitions whose ballot moved in the failover count: one the dead node never served kept
  // the tree's ballot on every replica, so the old meta repairs it correctly.
  const vAddr = c.replicas[victim]!.address;
  const moved = (i: number): boolean => after[i]!.ballot > stale[i]!.ballot;
  const stuckOn = (addr: string): number[] => stale.map((pc, i) => (moved(i) && pc.secondaries.includes(addr) && pc.primary !== vAddr && pc.primary !== addr ? i : -1)).filter((i) => i >= 0);
  const q = c.replicas.findIndex((r, i) => i !== victim && stuckOn(r.address).length > 0);
  t.true(q >= 0, `no live secondary of a partition the failover moved: ${JSON.stringify(stale)}`);
  const qAddr = c.replicas[q]!.address;
  const touched = stuckOn(qAddr);
  await c.killReplica(q);
  const leaderLogs = (): string => c.metas.map((m) => c.log(m)).join('\n');
  const replicaLogs = (): string => c.replicas.map((r) => c.log(r)).join('\n');
  await waitFor('a replica to be refused with ERR_INVALID_VERSION', () => /reject coz ballot not match/.test(leaderLogs()) && /update configuration reply with err ERR_INVALID_VERSION/.test(replicaLogs()), 60000);

  // After the meta declares the node dead and many guardian ticks later, nothing the dead node served
  // is repaired: each such partition still names the dead node (its primary refuses the stale proposal).
  await waitFor('the meta to declare the node dead', () => leaderLogs().includes(`set node(${qAddr}) state to dead`), 60000);
  const deadline = Date.now() + 20 * c.timing.lbIntervalMs + 3 * c.timing.groupCheckIntervalMs;
  while (Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
  const now = await readPartitions(s, oldRoot, 1);
  for (const i of touched) {
    const pc = now[i]!;
    const repaired = pc.primary !== INVALID_ADDRESS && pc.primary !== qAddr && !pc.secondaries.includes(qAddr) && pc.secondaries.length + 1 === pc.max_replica_count;
    t.false(repaired, `partition 1.${i} must stay short of replicas, got ${JSON.stringify(pc)}`);
  }
  t.regex(replicaLogs(), /on_config_proposal out-dated/);
  const ls = await c.shell('ls -d');
  t.notRegex(ls.stdout, /ERR_/);
});

test.serial('replicas ignore a config whose ballot is below their own, and membership changes start at the replica', async (t) => {
  const c = await SimCluster.create({ baseDir: path.join(t.context.tmp.dir, 'dir'), zkHosts: t.context.zk.connectString, clusterName: 'dir', replicaCount: 3, defaultTables: [] });
  t.context.clusters.push(c);
  const s = t.context.s;
  c.startAll();
  await c.createTable('temp', 2, 3);
  await c.waitHealthy();
  // Every member's own ballot equals the meta's.
  const pcs = await readPartitions(s, c.opts.clusterRoot, 1);
  for (const [i] of c.replicas.entries()) {
    for (const pc of pcs) t.is(c.replicaState(i).get(pc.pid)?.ballot, pc.ballot);
  }
  // The secondaries were added by their primaries' requests, not written by the meta on its own.
  const replicaLog = c.replicas.map((r) => c.log(r)).join('\n');
  t.regex(replicaLog, /send update configuration request to meta server, ballot = \d+, type = CT_ASSIGN_PRIMARY/);
  t.regex(replicaLog, /send update configuration request to meta server, ballot = \d+, type = CT_UPGRADE_TO_SECONDARY/);
  const metaLog = c.metas.map((m) => c.log(m)).join('\n');
  t.regex(metaLog, /recv update config request: type\(CT_UPGRADE_TO_SECONDARY\)/);
});
