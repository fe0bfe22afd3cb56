/**
 * The settings of a Pegasus meta server's config.ini that a ZooKeeper migration cares about
 * (docs/pegasus-internals.md §3), read the way Pegasus reads them: the first definition of a key wins.
 * Values are as written; placeholders such as `%{cluster.name}` stay text.
 */
import { findEntries, findSections, getValue, IniDocument } from './parse';

export interface PegasusSettings {
  /** `[apps.meta] ports`, raw. */
  metaPorts: string;
  /** The first port in metaPorts, 0 when missing or not a number. */
  metaPort: number;
  /** `[zookeeper] hosts_list`, the connect string the meta server uses. */
  zkHostsList: string;
  /** `[zookeeper] timeout_ms`; 0 when absent (Pegasus then uses 30000). */
  zkTimeoutMs: number;
  clusterRoot: string;
  lockServiceParameters: string;
  recoverFromReplicaServer: string;
  metaServerList: string;
  metaStateServiceType: string;
  /** Findings an operator should see. */
  warnings: string[];
}

/** True when the file looks like a Pegasus server config (it has one of the meta-server sections). */
export function isPegasusConfig(doc: IniDocument): boolean {
  return ['apps.meta', 'meta_server', 'zookeeper'].some((s) => findSections(doc, s).length > 0);
}

export function pegasusSettings(doc: IniDocument): PegasusSettings {
  const get = (s: string, k: string): string => getValue(doc, s, k) ?? '';
  const warnings: string[] = [];
  const metaPorts = get('apps.meta', 'ports');
  const first = metaPorts.split(',')[0]?.trim() ?? '';
  const metaPort = /^\d{1,5}$/.test(first) && Number(first) <= 65535 ? Number(first) : 0;
  if (metaPorts !== '' && metaPort === 0) warnings.push(`[apps.meta] ports = "${metaPorts}" is not a port number`);
  const timeout = get('zookeeper', 'timeout_ms');
  const zkTimeoutMs = /^\d+$/.test(timeout) ? Number(timeout) : 0;
  if (timeout !== '' && zkTimeoutMs === 0) warnings.push(`[zookeeper] timeout_ms = "${timeout}" is not a number`);
  const zkHostsList = get('zookeeper', 'hosts_list');
  // The seed migration doc puts hosts_list under [meta_server]; Pegasus only reads it from
  // [zookeeper] (src/zookeeper/zookeeper_session.cpp), so there it is silently ignored.
  if (findEntries(doc, 'meta_server', 'hosts_list').length > 0) {
    warnings.push('hosts_list is set in [meta_server], where Pegasus ignores it; the meta server reads [zookeeper] hosts_list');
  }
  const stateType = get('meta_server', 'meta_state_service_type');
  if (zkHostsList === '' && (stateType === '' || stateType === 'meta_state_service_zookeeper') && findSections(doc, 'meta_server').length > 0) {
    warnings.push('[zookeeper] hosts_list is missing or empty');
  }
  for (const [s, k] of [
    ['zookeeper', 'hosts_list'],
    ['zookeeper', 'timeout_ms'],
    ['meta_server', 'cluster_root'],
    ['meta_server', 'distributed_lock_service_parameters'],
    ['apps.meta', 'ports'],
  ] as const) {
    const n = findEntries(doc, s, k).length;
    if (n > 1) warnings.push(`[${s}] ${k} is defined ${n} times; Pegasus uses the first`);
  }
  for (const p of doc.problems) warnings.push(`line ${p.line}: ${p.message}`);
  return {
    metaPorts,
    metaPort,
    zkHostsList,
    zkTimeoutMs,
    clusterRoot: get('meta_server', 'cluster_root'),
    lockServiceParameters: get('meta_server', 'distributed_lock_service_parameters'),
    recoverFromReplicaServer: get('meta_server', 'recover_from_replica_server'),
    metaServerList: get('meta_server', 'server_list'),
    metaStateServiceType: stateType,
    warnings,
  };
}
