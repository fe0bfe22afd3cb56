import * as fs from 'node:fs';
import { AppInfo, PartitionConfig, PartitionStatus, clonePartition, defaultAppInfo, encodeAppInfo, encodePartition, gpid } from '../../../sim/common/types';
import { ReplicaStore, StoredReplica } from '../../../sim/replica/replica-store';
import type { SandboxTableSpec } from './profiles';

/**
 * A cluster whose tables already exist, as a sandbox profile can start it: the tables' app and
 * partition nodes are written into ZooKeeper and every replica server's replicas onto its disk
 * before any process starts, so the first leader loads the tree and the replica servers report
 * what they hold, as after a whole-cluster restart. This is what the large profile does instead of
 * creating its tables through the shell: placing 30,720 replicas one proposal at a time
 * (proposal → replica → update_configuration → ZooKeeper set, per replica) takes many minutes on
 * two cores and measures the simulator, not a cluster an operator migrates.
 *
 * The state is the one a healthy Pegasus cluster has after `create`: ballot 3 for every partition
 * (assign primary, then two add-secondaries: each a config update with ballot + 1, per
 * server_state::on_update_configuration), the primary with one write prepared ahead of what it
 * committed (as the simulator's replicas keep it), members spread evenly over the replica servers.
 */

export interface ExistingTable {
  info: AppInfo;
  partitions: PartitionConfig[];
}

/** The ballot of a partition whose primary was assigned and whose secondaries were added once each. */
export function createdBallot(replicasPerPartition: number): number {
  return replicasPerPartition;
}

/**
 * The tables, ids from `firstAppId`, with partition `p` of the `t`-th table on the servers
 * `(t + p) mod n`, `(t + p + 1) mod n`, ... (primaries and replicas even to within one per table).
 */
export function existingTables(tables: SandboxTableSpec[], firstAppId: number, servers: string[], replicasPerPartition: number, createSecond: number): ExistingTable[] {
  if (replicasPerPartition > servers.length) throw new Error(`${replicasPerPartition} replicas per partition need as many replica servers (have ${servers.length})`);
  return tables.map((t, i) => {
    const appId = firstAppId + i;
    const info: AppInfo = {
      ...defaultAppInfo(),
      status: 'AS_AVAILABLE',
      app_type: 'pegasus',
      app_name: t.name,
      app_id: appId,
      partition_count: t.partitions,
      is_stateful: true,
      max_replica_count: replicasPerPartition,
      create_second: createSecond + i,
      init_partition_count: t.partitions,
    };
    const partitions = Array.from({ length: t.partitions }, (_, p): PartitionConfig => {
      const members = Array.from({ length: replicasPerPartition }, (_, k) => servers[(i + p + k) % servers.length]!);
      return {
        pid: gpid(appId, p),
        ballot: createdBallot(replicasPerPartition),
        max_replica_count: replicasPerPartition,
        primary: members[0]!,
        secondaries: members.slice(1),
        last_drops: [],
        last_committed_decree: 1000 + p,
        partition_flags: 0,
      };
    });
    return { info, partitions };
  });
}

/** The cluster root and its `apps` node, as a meta creates them in an empty tree. */
export function* clusterRootNodes(root: string): Generator<{ path: string; data: Buffer }> {
  yield { path: root, data: Buffer.alloc(0) };
  yield { path: `${root}/apps`, data: Buffer.from('unlock') };
}

/** The app and partition nodes of `tables` under `<root>/apps`, as the meta writes them. */
export function* existingTableNodes(root: string, tables: ExistingTable[]): Generator<{ path: string; data: Buffer }> {
  for (const t of tables) {
    yield { path: `${root}/apps/${t.info.app_id}`, data: Buffer.from(encodeAppInfo(t.info)) };
    for (const [p, pc] of t.partitions.entries()) yield { path: `${root}/apps/${t.info.app_id}/${p}`, data: Buffer.from(encodePartition(pc)) };
  }
}

/** What each replica server holds of `tables`, by address then gpid. */
export function existingReplicas(tables: ExistingTable[]): Map<string, Map<string, StoredReplica>> {
  const out = new Map<string, Map<string, StoredReplica>>();
  const put = (node: string, info: AppInfo, pc: PartitionConfig, status: PartitionStatus): void => {
    let m = out.get(node);
    if (!m) out.set(node, (m = new Map()));
    const lcd = pc.last_committed_decree;
    m.set(pc.pid, {
      app: info,
      ballot: pc.ballot,
      last_committed_decree: lcd,
      last_prepared_decree: status === 'PS_PRIMARY' ? lcd + 1 : lcd,
      last_durable_decree: lcd,
      status,
      config: clonePartition(pc),
    });
  };
  for (const t of tables) {
    for (const pc of t.partitions) {
      put(pc.primary, t.info, pc, 'PS_PRIMARY');
      for (const s of pc.secondaries) put(s, t.info, pc, 'PS_SECONDARY');
    }
  }
  return out;
}

/** Write a replica server's store (`dataDir`/sim-replicas.json) before it first starts; refuses to overwrite one. */
export function writeReplicaStore(dataDir: string, replicas: Map<string, StoredReplica>): void {
  const store = new ReplicaStore(dataDir);
  if (fs.existsSync(store.file)) throw new Error(`${store.file} exists: the replica server has state already`);
  fs.mkdirSync(dataDir, { recursive: true });
  for (const [pid, r] of replicas) store.replicas.set(pid, r);
  store.flush();
}
