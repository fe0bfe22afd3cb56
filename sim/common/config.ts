import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidInputError } from '../../shared/errors';
import { parseAddress } from './address';
import { PegasusIni } from './ini';

/**
 * The config keys the simulator reads, with Pegasus's code defaults (`DSN_DEFINE_*` in v2.5.0, not
 * the template's values). Time keys come only from here: tests shorten them by writing the same
 * keys a production config.ini has.
 */

export const LEVELS = { stopped: 100, blind: 200, freezed: 300, steady: 400, lively: 500, invalid: 10000 } as const;
export type LevelName = keyof typeof LEVELS;

export function levelName(v: number): LevelName {
  const e = Object.entries(LEVELS).find(([, n]) => n === v);
  return (e?.[0] ?? 'invalid') as LevelName;
}

/** Failure-detector timing (`[replication] fd_*`, seconds, integers as in Pegasus). */
export interface FdTiming {
  /** @default 2 */
  checkIntervalSeconds: number;
  /** @default 3 */
  beaconIntervalSeconds: number;
  /** How long a replica keeps serving without a beacon ack. @default 9 (template: 20) */
  leaseSeconds: number;
  /** How long the meta waits for a replica's beacon before marking it UNALIVE. @default 10 (template: 22) */
  graceSeconds: number;
}

/** One `[meta_server.apps.<x>]` (or legacy `[replication.app]`) section, read raw. */
export interface DefaultAppSection {
  section: string;
  appName: string;
  appType: string;
  partitionCount: number;
  maxReplicaCount: number;
  stateful: boolean;
  envs: string;
}

export interface MetaConfig {
  file: string;
  /** This meta's own address: 127.0.0.1 and the first of `[apps.meta] ports`. */
  address: string;
  port: number;
  /** `[meta_server] server_list`, as ip:port. */
  serverList: string[];
  /** `[meta_server] cluster_root`, normalised (`/a//b/` → `/a/b`, empty → `/`). */
  clusterRoot: string;
  /** First argument of `[meta_server] distributed_lock_service_parameters`, normalised. */
  lockRoot: string;
  recoverFromReplicaServer: boolean;
  levelOnStart: number;
  minLiveNodeCountForUnfreeze: number;
  nodeLivePercentageThreshold: number;
  replicaAssignDelayMsForDropouts: number;
  maxReservedDroppedReplicas: number;
  addSecondaryEnableFlowControl: boolean;
  addSecondaryMaxCountForOneNode: number;
  holdSecondsForDroppedApp: number;
  /** `[meta_server] cold_backup_disabled`. @default true */
  coldBackupDisabled: boolean;
  /** `[replication] duplication_sync_period_second` (how often progress nodes are written). @default 10 */
  dupSyncPeriodSeconds: number;
  /** `[zookeeper] hosts_list`, verbatim. */
  zkHosts: string;
  /** `[zookeeper] timeout_ms`: session timeout and the wait for the first connection. @default 30000 */
  zkTimeoutMs: number;
  /**
   * SASL DIGEST-MD5 to ZooKeeper (master's `[zookeeper] sasl_mechanisms_type = DIGEST-MD5`,
   * `sasl_user_name`, `sasl_password_file`, `src/zookeeper/zookeeper_session.cpp`); absent when
   * SASL is off.
   */
  zkSasl?: { user: string; password: string };
  /** `[replication] cluster_name`. */
  clusterName: string;
  fd: FdTiming;
  /** `[replication] lb_interval_ms`: the guardian/balancer timer. @default 10000 */
  lbIntervalMs: number;
  defaultApps: DefaultAppSection[];
  warnings: string[];
}

export interface ReplicaConfig {
  file: string;
  address: string;
  port: number;
  serverList: string[];
  dataDir: string;
  fd: FdTiming;
  /** `[replication] config_sync_interval_ms`. @default 30000 */
  configSyncIntervalMs: number;
  /** `[replication] group_check_interval_ms`: a primary's check of its secondaries. @default 10000 */
  groupCheckIntervalMs: number;
  /** `[sim] learn_seconds_per_gb` (simulator only): how long a learner takes per GB of its table. @default 0 */
  learnSecondsPerGb: number;
  /** `[sim] table_data_gb = name:gb,...` (simulator only): each table's data size per partition replica. */
  tableDataGb: Map<string, number>;
  clusterName: string;
  warnings: string[];
}

/** Split a path on `/` ignoring empty pieces, as `remote_storage_initialize` does. */
export function normalizeRoot(p: string): string {
  const parts = p.split('/').filter((s) => s !== '');
  return parts.length === 0 ? '/' : '/' + parts.join('/');
}

function firstPort(ini: PegasusIni, section: string): number {
  const ports = ini.getList(section, 'ports');
  const p = ports[0];
  if (p === undefined || !/^\d+$/.test(p) || Number(p) <= 0 || Number(p) > 65535) {
    throw new InvalidInputError(`[${section}] ports must hold a port number, got "${ini.getString(section, 'ports')}" in ${ini.fileName}`);
  }
  return Number(p);
}

function serverList(ini: PegasusIni): string[] {
  const list = ini.getList('meta_server', 'server_list').map((s) => parseAddress(s, `[meta_server] server_list of ${ini.fileName}`));
  if (list.length === 0) throw new InvalidInputError(`[meta_server] server_list is empty in ${ini.fileName}`);
  return list;
}

function fdTiming(ini: PegasusIni): FdTiming {
  return {
    checkIntervalSeconds: ini.getInt('replication', 'fd_check_interval_seconds', 2),
    beaconIntervalSeconds: ini.getInt('replication', 'fd_beacon_interval_seconds', 3),
    leaseSeconds: ini.getInt('replication', 'fd_lease_seconds', 9),
    graceSeconds: ini.getInt('replication', 'fd_grace_seconds', 10),
  };
}

/**
 * What Pegasus does at start with `[zookeeper] sasl_*` (zookeeper_session.cpp): SASL is on only
 * when sasl_mechanisms_type is non-empty, and then a missing password file aborts the meta. The
 * simulator speaks DIGEST-MD5 only (no Kerberos), and refuses GSSAPI rather than pretend.
 */
function zkSaslOf(ini: PegasusIni, file: string): { user: string; password: string } | undefined {
  const mech = ini.getString('zookeeper', 'sasl_mechanisms_type', '').trim().toUpperCase();
  if (ini.getString('security', 'enable_zookeeper_kerberos', 'false').trim().toLowerCase() === 'true' || mech.includes('GSSAPI')) {
    throw new InvalidInputError(`${file}: Kerberos (GSSAPI) to ZooKeeper is not simulated; use sasl_mechanisms_type = DIGEST-MD5`);
  }
  if (mech === '') return undefined;
  if (mech !== 'DIGEST-MD5') throw new InvalidInputError(`${file}: [zookeeper] sasl_mechanisms_type = ${mech} is not DIGEST-MD5 or GSSAPI`);
  const user = ini.getString('zookeeper', 'sasl_user_name', '').trim();
  const pwFile = ini.getString('zookeeper', 'sasl_password_file', '').trim();
  if (user === '' || pwFile === '') throw new InvalidInputError(`${file}: SASL is on but [zookeeper] sasl_user_name or sasl_password_file is empty`);
  let password: string;
  try {
    password = fs.readFileSync(pwFile, 'utf8').split(/\r?\n/)[0] ?? '';
  } catch (e) {
    throw new InvalidInputError(`${file}: cannot read [zookeeper] sasl_password_file ${pwFile}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return { user, password };
}

export function loadMetaConfig(file: string): MetaConfig {
  const ini = PegasusIni.load(file);
  const port = firstPort(ini, 'apps.meta');
  const levelStr = ini.getString('meta_server', 'meta_function_level_on_start', 'steady');
  const level = (LEVELS as Record<string, number>)[levelStr];
  if (level === undefined || levelStr === 'invalid') {
    // meta_options.cpp: CHECK(find, "unknown meta function level: {}") aborts at start.
    throw new InvalidInputError(`unknown meta function level: fl_${levelStr} ([meta_server] meta_function_level_on_start in ${file})`);
  }
  const lockArgs = ini.getString('meta_server', 'distributed_lock_service_parameters').split(/\s+/).filter((s) => s !== '');
  if (lockArgs.length === 0) {
    // distributed_lock_service_zookeeper::initialize: "need parameters: <lock_root>" → start fails.
    throw new InvalidInputError(`need parameters: <lock_root> ([meta_server] distributed_lock_service_parameters is empty in ${file})`);
  }
  const defaultApps: DefaultAppSection[] = [];
  for (const s of ini.sectionNames()) {
    if (!(s.startsWith('meta_server.apps') || s === 'replication.app')) continue;
    defaultApps.push({
      section: s,
      appName: ini.getString(s, 'app_name'),
      appType: ini.getString(s, 'app_type'),
      partitionCount: ini.getInt(s, 'partition_count', 1),
      maxReplicaCount: ini.getInt(s, 'max_replica_count', 3),
      stateful: ini.getBool(s, 'stateful', true),
      envs: ini.getString(s, 'envs'),
    });
  }
  const cfg: MetaConfig = {
    file,
    address: `127.0.0.1:${port}`,
    port,
    serverList: serverList(ini),
    clusterRoot: normalizeRoot(ini.getString('meta_server', 'cluster_root', '/')),
    lockRoot: normalizeRoot(lockArgs[0]!),
    recoverFromReplicaServer: ini.getBool('meta_server', 'recover_from_replica_server', false),
    levelOnStart: level,
    minLiveNodeCountForUnfreeze: ini.getInt('meta_server', 'min_live_node_count_for_unfreeze', 3),
    nodeLivePercentageThreshold: ini.getInt('meta_server', 'node_live_percentage_threshold_for_update', 65),
    replicaAssignDelayMsForDropouts: ini.getInt('meta_server', 'replica_assign_delay_ms_for_dropouts', 300000),
    maxReservedDroppedReplicas: ini.getInt('meta_server', 'max_reserved_dropped_replicas', 1),
    addSecondaryEnableFlowControl: ini.getBool('meta_server', 'add_secondary_enable_flow_control', false),
    addSecondaryMaxCountForOneNode: ini.getInt('meta_server', 'add_secondary_max_count_for_one_node', 10),
    holdSecondsForDroppedApp: ini.getInt('meta_server', 'hold_seconds_for_dropped_app', 604800),
    coldBackupDisabled: ini.getString('meta_server', 'cold_backup_disabled', 'true').trim() !== 'false',
    dupSyncPeriodSeconds: ini.getInt('replication', 'duplication_sync_period_second', 10),
    zkHosts: ini.getString('zookeeper', 'hosts_list'),
    zkTimeoutMs: ini.getInt('zookeeper', 'timeout_ms', 30000),
    clusterName: ini.getString('replication', 'cluster_name'),
    fd: fdTiming(ini),
    lbIntervalMs: ini.getInt('replication', 'lb_interval_ms', 10000),
    defaultApps,
    warnings: ini.warnings,
  };
  if (cfg.zkHosts === '') throw new InvalidInputError(`[zookeeper] hosts_list is empty in ${file}`);
  const sasl = zkSaslOf(ini, file);
  if (sasl) cfg.zkSasl = sasl;
  if (ini.has('meta_server', 'hosts_list')) {
    // Pegasus ignores it silently (docs/pegasus-internals.md §3); say so, it is the classic migration mistake.
    cfg.warnings.push(`[meta_server] hosts_list is not a Pegasus key and is ignored; the ensemble comes from [zookeeper] hosts_list = ${cfg.zkHosts}`);
  }
  return cfg;
}

export interface ReplicaOverrides {
  port?: number;
  serverList?: string;
  dataDir?: string;
}

export function loadReplicaConfig(file: string, over: ReplicaOverrides = {}): ReplicaConfig {
  const ini = PegasusIni.load(file);
  const port = over.port ?? firstPort(ini, 'apps.replica');
  const list = over.serverList
    ? over.serverList.split(',').map((s) => parseAddress(s, '--meta'))
    : serverList(ini);
  // `[replication] data_dirs` is `tag:/path,tag2:/path2` or plain paths; the simulator keeps its
  // state under the first one, falling back to `[core] data_dir` like Pegasus does.
  const firstDir = ini.getList('replication', 'data_dirs')[0];
  let dataDir = over.dataDir ?? (firstDir ? firstDir.replace(/^[^/:]+:/, '') : ini.getString('core', 'data_dir'));
  if (!dataDir) throw new InvalidInputError(`no data directory: set [replication] data_dirs or [core] data_dir in ${file}, or pass --data-dir`);
  dataDir = path.resolve(path.dirname(file), dataDir);
  return {
    file,
    address: `127.0.0.1:${port}`,
    port,
    serverList: list,
    dataDir,
    fd: fdTiming(ini),
    configSyncIntervalMs: ini.getInt('replication', 'config_sync_interval_ms', 30000),
    groupCheckIntervalMs: ini.getInt('replication', 'group_check_interval_ms', 10000),
    learnSecondsPerGb: Number(ini.getString('sim', 'learn_seconds_per_gb', '0')) || 0,
    tableDataGb: new Map(
      ini
        .getList('sim', 'table_data_gb')
        .map((e) => e.split(':'))
        .filter((kv) => kv.length === 2 && Number.isFinite(Number(kv[1])))
        .map(([k, v]) => [k!.trim(), Number(v)] as [string, number]),
    ),
    clusterName: ini.getString('replication', 'cluster_name'),
    warnings: ini.warnings,
  };
}
