import { INVALID_ADDRESS, compareRpcAddress } from '../common/address';
import { PC_FLAG_DROPPED, PartitionConfig, clonePartition, replicaCount } from '../common/types';

/**
 * Partition configuration changes (config_type in Pegasus) and a reduced partition guardian
 * (src/meta/partition_guardian.cpp). Pure functions: the meta server decides when to run them and
 * writes the result to ZooKeeper.
 *
 * Simplifications, on purpose and documented: there is no learning; an added secondary is live as
 * soon as its config is written. A partition with no member (all replicas dead, "DDD") takes the
 * most recent alive node of `last_drops` as primary instead of Pegasus's full DDD diagnosis.
 */

export type ConfigType = 'CT_ASSIGN_PRIMARY' | 'CT_UPGRADE_TO_PRIMARY' | 'CT_ADD_SECONDARY' | 'CT_DOWNGRADE_TO_INACTIVE' | 'CT_DROP_PARTITION';

export interface ConfigAction {
  type: ConfigType;
  node: string;
}

export interface GuardianView {
  isAlive(node: string): boolean;
  /** Alive nodes, in address order. */
  aliveNodes(): string[];
  /** How many primaries and replicas a node serves now. */
  load(node: string): { primaries: number; total: number };
  /** When `node` dropped out of this partition, if known. */
  dropTime(node: string): number | undefined;
  now: number;
  /** `[meta_server] replica_assign_delay_ms_for_dropouts`. */
  replicaAssignDelayMs: number;
}

/** `maintain_drops`: adding a member removes it from last_drops; removing one pushes it (max 3 kept). */
function maintainDrops(drops: string[], node: string, adding: boolean): void {
  const i = drops.indexOf(node);
  if (adding) {
    if (i >= 0) drops.splice(i, 1);
    return;
  }
  if (i >= 0) throw new Error(`the node(${node}) cannot be in drops set before this update`);
  drops.push(node);
  if (drops.length > 3) drops.shift();
}

/** The config after `action`; every change bumps the ballot, as Pegasus does. Throws on a CHECK failure. */
export function applyAction(pc: PartitionConfig, action: ConfigAction): PartitionConfig {
  const next = clonePartition(pc);
  next.ballot += 1;
  const { node } = action;
  switch (action.type) {
    case 'CT_ASSIGN_PRIMARY':
      next.primary = node;
      next.secondaries = next.secondaries.filter((s) => s !== node);
      maintainDrops(next.last_drops, node, true);
      break;
    case 'CT_UPGRADE_TO_PRIMARY':
      next.primary = node;
      next.secondaries = next.secondaries.filter((s) => s !== node);
      maintainDrops(next.last_drops, node, true);
      break;
    case 'CT_ADD_SECONDARY':
      next.secondaries.push(node);
      maintainDrops(next.last_drops, node, true);
      break;
    case 'CT_DOWNGRADE_TO_INACTIVE':
      if (next.primary === node) next.primary = INVALID_ADDRESS;
      else next.secondaries = next.secondaries.filter((s) => s !== node);
      maintainDrops(next.last_drops, node, false);
      break;
    case 'CT_DROP_PARTITION':
      for (const s of pc.secondaries) maintainDrops(next.last_drops, s, false);
      if (pc.primary !== INVALID_ADDRESS) maintainDrops(next.last_drops, pc.primary, false);
      next.primary = INVALID_ADDRESS;
      next.secondaries = [];
      next.partition_flags |= PC_FLAG_DROPPED;
      break;
  }
  return next;
}

function leastLoaded(nodes: string[], view: GuardianView, key: 'primaries' | 'total'): string | undefined {
  let best: string | undefined;
  for (const n of [...nodes].sort(compareRpcAddress)) {
    if (best === undefined) {
      best = n;
      continue;
    }
    const a = view.load(n);
    const b = view.load(best);
    if (a[key] < b[key] || (a[key] === b[key] && a.total < b.total)) best = n;
  }
  return best;
}

/** One cure step for a partition, or undefined when it is healthy or must wait. */
export function cure(pc: PartitionConfig, view: GuardianView): ConfigAction | undefined {
  if (pc.ballot < 0 || (pc.partition_flags & PC_FLAG_DROPPED) !== 0) return undefined;
  if (pc.primary === INVALID_ADDRESS) {
    const sec = pc.secondaries.find((s) => view.isAlive(s));
    if (sec) return { type: 'CT_UPGRADE_TO_PRIMARY', node: sec };
    if (pc.secondaries.length === 0 && pc.last_drops.length === 0) {
      // A new (or force-recovered empty) partition: the node with the fewest primaries.
      const n = leastLoaded(view.aliveNodes(), view, 'primaries');
      return n ? { type: 'CT_ASSIGN_PRIMARY', node: n } : undefined;
    }
    // DDD: wait for one of the last replicas to come back, the most recent first.
    for (let i = pc.last_drops.length - 1; i >= 0; i--) {
      const n = pc.last_drops[i]!;
      if (view.isAlive(n)) return { type: 'CT_ASSIGN_PRIMARY', node: n };
    }
    return undefined;
  }
  if (replicaCount(pc) >= pc.max_replica_count) return undefined;
  // Prefer a node that held this replica before (it has the data), the most recent drop first.
  for (let i = pc.last_drops.length - 1; i >= 0; i--) {
    const n = pc.last_drops[i]!;
    if (view.isAlive(n) && n !== pc.primary && !pc.secondaries.includes(n)) return { type: 'CT_ADD_SECONDARY', node: n };
  }
  // A dead node that dropped out recently may come back: wait for it (replica_assign_delay_ms_for_dropouts).
  const waiting = pc.last_drops.some((n) => !view.isAlive(n) && view.now - (view.dropTime(n) ?? 0) < view.replicaAssignDelayMs);
  if (waiting) return undefined;
  const candidates = view.aliveNodes().filter((n) => n !== pc.primary && !pc.secondaries.includes(n));
  const n = leastLoaded(candidates, view, 'total');
  return n ? { type: 'CT_ADD_SECONDARY', node: n } : undefined;
}
