import { withZkSecurity } from '../../../shared/zk/client';
import { loadSecurity, ZkSecurity } from '../../../shared/zk/security';
import type { PegasusCluster, ZkSecurityVars } from '../inventory';
import { listItems } from '../config-edit';

/**
 * The coordinator's own ZooKeeper security during a migration, from the inventory's zk_* and
 * zk_new_* variables: `zk_new_*` for the new ensemble (`--to`) when any is set, `zk_*` for every
 * other ensemble of the cluster (and for the new one otherwise). Files are read once, up front, so
 * a missing password file is bad input before anything runs.
 */
export interface RunZkSecurity {
  /** What a connection to `hosts` uses (undefined: plain). */
  resolve: (hosts: string) => ZkSecurity | undefined;
  /** Whether the coordinator has a SASL login for the new ensemble / for the others. */
  saslFor: { target: boolean; other: boolean };
}

function load(v: ZkSecurityVars | undefined, prefix: string, side: string): ZkSecurity | undefined {
  if (!v) return undefined;
  return loadSecurity({ ...v }, prefix, side, (n) => `inventory variable ${prefix}${n.replace(/-/g, '_').replace(/^tls_(ca|cert|key)$/, 'tls_$1_file')}`);
}

/** `target` names the new ensemble; for `cleanup`, which knows the old one instead, pass `{ old }`. */
export function runZkSecurity(cluster: PegasusCluster, target: string | { old: string }): RunZkSecurity {
  const other = load(cluster.zk?.all, 'zk_', 'old');
  const tgt = cluster.zk?.target ? load(cluster.zk.target, 'zk_new_', 'target') : other ? { ...other, side: 'target' } : undefined;
  const key = (h: string): string => listItems(h).join(',');
  const isTarget = typeof target === 'string' ? (h: string) => key(h) === key(target) : (h: string) => key(h) !== key(target.old);
  return {
    resolve: (hosts) => (isTarget(hosts) ? tgt : other),
    saslFor: { target: tgt?.sasl !== undefined, other: other?.sasl !== undefined },
  };
}

/** Run `fn` with the cluster's ZooKeeper security for every session it opens. */
export function withRunZkSecurity<T>(cluster: PegasusCluster, target: string | { old: string }, fn: () => Promise<T>): Promise<T> {
  const s = runZkSecurity(cluster, target);
  return withZkSecurity(s.resolve, fn);
}
