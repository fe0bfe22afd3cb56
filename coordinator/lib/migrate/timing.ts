import type { Method } from './params';

/**
 * Waits derived from the cluster's own configuration instead of fixed sleeps. The reference
 * script waits 15 s after stopping the metas (docs/pegasus-internals.md §1.3); the docs say about 30 s; what
 * actually has to pass is the replica servers' failure-detector lease plus a beacon, and the
 * config-sync period the docs name. All of these are keys in the metas' config.ini.
 */

/** `[replication]` timing keys, with the production template's values when a key is absent (docs/pegasus-internals.md §3). */
export interface ReplicationTiming {
  /** @default 30000 */
  configSyncIntervalMs: number;
  /** @default 20 */
  fdLeaseSeconds: number;
  /** @default 22 */
  fdGraceSeconds: number;
  /** @default 3 */
  fdBeaconIntervalSeconds: number;
  /** @default 2 */
  fdCheckIntervalSeconds: number;
}

export const TIMING_DEFAULTS: ReplicationTiming = {
  configSyncIntervalMs: 30000,
  fdLeaseSeconds: 20,
  fdGraceSeconds: 22,
  fdBeaconIntervalSeconds: 3,
  fdCheckIntervalSeconds: 2,
};

function num(v: string | null | undefined, def: number): number {
  if (v === null || v === undefined || v.trim() === '') return def;
  const n = Number(v.trim());
  return Number.isFinite(n) && n >= 0 ? n : def;
}

/** From `section.key` → value, as config-edit's readMetaConfigs returns them. */
export function timingFrom(values: Record<string, string | null>): ReplicationTiming {
  return {
    configSyncIntervalMs: num(values['replication.config_sync_interval_ms'], TIMING_DEFAULTS.configSyncIntervalMs),
    fdLeaseSeconds: num(values['replication.fd_lease_seconds'], TIMING_DEFAULTS.fdLeaseSeconds),
    fdGraceSeconds: num(values['replication.fd_grace_seconds'], TIMING_DEFAULTS.fdGraceSeconds),
    fdBeaconIntervalSeconds: num(values['replication.fd_beacon_interval_seconds'], TIMING_DEFAULTS.fdBeaconIntervalSeconds),
    fdCheckIntervalSeconds: num(values['replication.fd_check_interval_seconds'], TIMING_DEFAULTS.fdCheckIntervalSeconds),
  };
}

/**
 * How long to wait after every meta stopped before a meta may start in recovery mode: a replica
 * server goes INACTIVE when its lease runs out without a beacon ack (lease + one beacon
 * interval after the last ack), the meta side declares it dead after the grace period, and the
 * migration guide asks for one config-sync interval. Take the longest, plus one check interval.
 * Production template: max(30 s, 23 s, 22 s) + 2 s = 32 s.
 */
export function inactiveWaitMs(t: ReplicationTiming): number {
  const lease = (t.fdLeaseSeconds + t.fdBeaconIntervalSeconds) * 1000;
  return Math.max(t.configSyncIntervalMs, lease, t.fdGraceSeconds * 1000) + t.fdCheckIntervalSeconds * 1000;
}

/** A rough duration for the plan: copy rate on one busy machine, restarts, health waits. */
export function estimateMs(method: Method, nodes: number, inactiveMs: number, zkTimeoutMs: number): number {
  const copy = (nodes / 5000) * 1000 * 2; // read + write/verify
  const restart = 5000;
  if (method === 'copy') return Math.round(copy + restart * 2 + 15000);
  // reconfig copies nothing: a sync per joiner, then one restart and health gate per meta.
  if (method === 'reconfig') return Math.round(restart * 6 + 30000);
  return Math.round(inactiveMs + restart * 3 + 30000 + Math.min(zkTimeoutMs, 30000));
}

/**
 * How long after a leader starts before `nodes` and `ls -d` mean anything: a starting leader marks
 * every node named in a partition config ALIVE without any beacon (`src/meta/meta_service.cpp
 * meta_service::start_service`, `src/meta/server_state.cpp server_state::initialize_node_state`)
 * and declares a silent one dead only after fd_grace_seconds; one beacon interval more lets a live
 * node prove itself. Production template: 22 s + 3 s.
 */
export function trustAfterStartMs(t: ReplicationTiming): number {
  return (t.fdGraceSeconds + t.fdBeaconIntervalSeconds) * 1000;
}

/**
 * A deadline sized to the cluster: `base` (the flag), or more for a large cluster, whose
 * secondaries each need a learn and a ballot bump before `ls -d` is healthy again. 250 ms per
 * partition on top of a minute: 10 000 partitions get about 43 min.
 */
export function sizedTimeoutMs(baseMs: number, partitions: number): number {
  return Math.max(baseMs, 60_000 + partitions * 250);
}

/** A write-freeze estimate: a lower bound in ms and what it is made of. */
export interface FreezeEstimate {
  method: 'copy' | 'recover' | 'reconfig';
  ms: number;
  why: string;
}

/**
 * What each method's write freeze is made of, for the plan to say which freezes less for this
 * cluster (measured by `npm run bench -- migrate`; README). Rough figures from the facts the
 * preflight has (the recovery's own restarts ~2.5 s, as measured on the sandbox); the new leader's tree load (Pegasus's, sync_apps_from_remote_storage) is in
 * every method and is estimated at a real meta's pace, about a second per 100,000 znodes.
 *  - copy with the pre-copy: stop, blind, the last delta and its proof (small), the config edit
 *    and the leader's start until its port answers (the freeze ends at its first serving answer,
 *    not after the agent's start grace; no stays-stopped window is waited for inside it:
 *    stay-stopped.ts), the tree load; without the pre-copy the whole copy on top;
 *  - recover: at least the wait until the replica servers are inactive (Pegasus's failure
 *    detector imposes it), then the recovery;
 *  - reconfig: the leader's failover (its lock node is released at once) and the tree load.
 */
export function freezeEstimates(o: { nodes: number; inactiveWaitMs: number; precopy: boolean }): FreezeEstimate[] {
  const load = Math.round((o.nodes / 100_000) * 1000);
  const copyItself = o.precopy ? 500 : Math.round((o.nodes / 5000) * 1000 * 2);
  return [
    { method: 'copy', ms: copyItself + 300 + load, why: o.precopy ? `stop, blind, last delta and proof, the config edit, the leader's start and tree load` : `the whole copy and its checks (--no-precopy), the config edit, the leader's start and tree load` },
    { method: 'recover', ms: o.inactiveWaitMs + 2500 + load, why: `at least ${Math.round(o.inactiveWaitMs / 1000)} s waiting for the replica servers to go inactive (Pegasus's failure detector), then the recovery` },
    { method: 'reconfig', ms: 500 + load, why: `the leader's failover and tree load (only where the ensemble can be reconfigured: ZooKeeper 3.5.3+, reconfigEnabled)` },
  ];
}

/** The plan's line: this method's estimate, and the method that freezes least among copy and recover (reconfig when chosen). */
export function freezeLine(method: 'copy' | 'recover' | 'reconfig', est: readonly FreezeEstimate[]): string {
  const fmt = (e: FreezeEstimate): string => `${e.method} ~${(e.ms / 1000).toFixed(1)} s`;
  const mine = est.find((e) => e.method === method)!;
  const candidates = est.filter((e) => e.method !== 'reconfig' || method === 'reconfig');
  const least = candidates.reduce((a, b) => (b.ms < a.ms ? b : a));
  const verdict = least.method === method ? `${method} freezes least here` : `${least.method} would freeze less here (${fmt(least)})`;
  return `write freeze, estimated: ${fmt(mine)} (${mine.why}); ${verdict}; compared: ${candidates.map(fmt).join(', ')}`;
}
