import { AppInfo, PartitionConfig, ReplicaInfo, appInfoCompatibleEqual, defaultAppInfo, emptyPartition, parseGpid } from '../common/types';

/**
 * The pure part of `recover` (server_state::construct_apps / construct_partitions and
 * meta_data.cpp collect_replica / construct_replica, v2.5.0; docs/pegasus-internals.md §5.2). The meta server does
 * the RPCs and the ZooKeeper write; this builds the tree and the hint text the shell prints.
 */

export interface NodeAnswer<T> {
  node: string;
  /** undefined when the node did not answer. */
  value: T | undefined;
}

export interface ConstructedApp {
  /** Status in memory: AS_CREATING for tables that were AVAILABLE, AS_DROPPING otherwise. */
  info: AppInfo;
  partitions: PartitionConfig[];
}

export class RecoveryConflict extends Error {}

/** Merge app infos by id, add `__drop_holder__<id>` placeholders, rename duplicate names. */
export function constructApps(answers: NodeAnswer<AppInfo[]>[], nowSeconds: number): { apps: Map<number, ConstructedApp>; hint: string } {
  const apps = new Map<number, ConstructedApp>();
  let maxAppId = 0;
  let hint = '';
  for (const a of answers) {
    for (const info of a.value ?? []) {
      if (info.app_id < 1) throw new RecoveryConflict('invalid app id');
      const old = apps.get(info.app_id);
      if (!old) {
        apps.set(info.app_id, { info: { ...info, envs: { ...info.envs } }, partitions: [] });
        maxAppId = Math.max(maxAppId, info.app_id);
      } else if (!appInfoCompatibleEqual(info, old.info)) {
        throw new RecoveryConflict(`conflict app info from (${a.node}) for id(${info.app_id}): new_info(${JSON.stringify(info)}), old_info(${JSON.stringify(old.info)})`);
      }
    }
  }
  for (let id = 1; id <= maxAppId; id++) {
    const app = apps.get(id);
    if (!app) {
      const holder = defaultAppInfo();
      Object.assign(holder, {
        app_id: id,
        app_name: `__drop_holder__${id}`,
        app_type: 'pegasus',
        is_stateful: true,
        max_replica_count: 3,
        partition_count: 1,
        status: 'AS_DROPPING',
        expire_second: nowSeconds,
      });
      apps.set(id, { info: holder, partitions: [] });
    } else {
      app.info.status = app.info.status === 'AS_AVAILABLE' ? 'AS_CREATING' : 'AS_DROPPING';
    }
  }
  const checked = new Set<string>();
  for (let id = maxAppId; id >= 1; id--) {
    const app = apps.get(id)!;
    const oldName = app.info.app_name;
    while (checked.has(app.info.app_name)) app.info.app_name = `${app.info.app_name}__${id}`;
    if (app.info.app_name !== oldName) {
      hint += `WARNING: app(${id})'s old name(${oldName}) is conflict with others, rename it to (${app.info.app_name})\n`;
    }
    checked.add(app.info.app_name);
  }
  for (const app of apps.values()) {
    app.partitions = Array.from({ length: app.info.partition_count }, (_, i) => emptyPartition(app.info.app_id, i, app.info.max_replica_count));
  }
  return { apps, hint };
}

interface Dropped {
  node: string;
  ballot: number;
  lcd: number;
  lpd: number;
}

function droppedCmp(a: Dropped, b: Dropped): number {
  // dropped_cmp: time (unknown for all of these), then ballot, committed, prepared decree.
  if (a.ballot !== b.ballot) return a.ballot < b.ballot ? -1 : 1;
  if (a.lcd !== b.lcd) return a.lcd < b.lcd ? -1 : 1;
  if (a.lpd !== b.lpd) return a.lpd < b.lpd ? -1 : 1;
  return 0;
}

/**
 * Collect every reported replica into its partition's drop list (sorted, lower_bound insert, size
 * capped at max_replica_count + max_reserved_dropped_replicas), then make the best one primary and
 * up to max_replica_count - 1 of the rest `last_drops`. No secondaries: the guardian adds them later.
 */
export function constructPartitions(
  apps: Map<number, ConstructedApp>,
  answers: NodeAnswer<ReplicaInfo[]>[],
  skipLostPartitions: boolean,
  maxReservedDroppedReplicas: number,
): { ok: boolean; hint: string } {
  const drops = new Map<string, Dropped[]>();
  for (const a of answers) {
    for (const r of a.value ?? []) {
      const { appId, pidx } = parseGpid(r.pid);
      const app = apps.get(appId);
      if (!app) throw new RecoveryConflict(`replica ${r.pid} from ${a.node} belongs to no collected app`);
      const pc = app.partitions[pidx];
      if (!pc) continue;
      const list = drops.get(r.pid) ?? [];
      const cur: Dropped = { node: a.node, ballot: r.ballot, lcd: r.last_committed_decree, lpd: r.last_prepared_decree };
      const existing = list.findIndex((d) => d.node === a.node);
      if (existing >= 0) list.splice(existing, 1);
      let at = 0;
      while (at < list.length && droppedCmp(list[at]!, cur) < 0) at++;
      list.splice(at, 0, cur);
      while (list.length > pc.max_replica_count + maxReservedDroppedReplicas && list.length > 0) list.shift();
      drops.set(r.pid, list);
    }
  }
  let hint = '';
  let failed = 0;
  for (const app of [...apps.values()].sort((x, y) => x.info.app_id - y.info.app_id)) {
    if (app.info.status === 'AS_DROPPING') continue;
    for (const pc of app.partitions) {
      const list = drops.get(pc.pid) ?? [];
      const best = list[list.length - 1];
      const [aid, pidx] = pc.pid.split('.');
      if (!best) {
        hint += skipLostPartitions
          ? `WARNING: partition(${aid}.${pidx}) has no replica collected, force recover the lost partition to empty\n`
          : `ERROR: partition(${aid}.${pidx}) has no replica collected, you can force recover it by set skip_lost_partitions option\n`;
        failed++;
        continue;
      }
      pc.primary = best.node;
      pc.ballot = best.ballot;
      pc.partition_flags = 0;
      pc.max_replica_count = app.info.max_replica_count;
      pc.last_drops = [];
      for (let i = list.length - 2; i >= 0; i--) {
        if (pc.last_drops.length + 1 >= pc.max_replica_count) break;
        pc.last_drops.unshift(list[i]!.node);
      }
      if (pc.last_drops.length + 1 < pc.max_replica_count) {
        hint += `WARNING: partition(${aid}.${pidx}) only collects ${pc.last_drops.length + 1}/${pc.max_replica_count} of replicas, may lost data\n`;
      }
    }
  }
  return { ok: failed === 0 || skipLostPartitions, hint };
}

/** The hint for a node that did not answer (sync_apps_from_replica_nodes). */
export function badNodeHint(node: string, err: string, skipBadNodes: boolean): string {
  return skipBadNodes
    ? `WARNING: collect app and replica info from node(${node}) failed with err(${err}), skip the bad node\n`
    : `ERROR: collect app and replica info from node(${node}) failed with err(${err}), you can skip it by set skip_bad_nodes option\n`;
}
