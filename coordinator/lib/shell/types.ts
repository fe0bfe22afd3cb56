/**
 * What the Pegasus shell's commands report, as typed values. Field names follow the shell's own
 * keys and columns (docs/pegasus-internals.md §4.3-4.8), camel-cased. Numbers are numbers, `-` cells are null.
 */

/** Which layout an output was in; detected per output, never configured. */
export type OutputFormat = 'text' | 'json';

/** Meta function levels (docs/pegasus-internals.md §6), without the `fl_` prefix. */
export const META_LEVELS = ['stopped', 'blind', 'freezed', 'steady', 'lively'] as const;
export type MetaLevel = (typeof META_LEVELS)[number];

export interface BalanceOperationCount {
  movePri: number;
  copyPri: number;
  copySec: number;
  total: number;
}

/** `cluster_info` (docs/pegasus-internals.md §4.3). */
export interface ClusterInfo {
  format: OutputFormat;
  /** `[meta_server] server_list` of the answering meta. */
  metaServers: string[];
  /** The leader: ip:port on v2.5.0, host:port on master. */
  primaryMetaServer: string;
  /** `[zookeeper] hosts_list`, verbatim. */
  zookeeperHosts: string;
  zookeeperRoot: string;
  /** The *effective* level, including the automatic freeze (docs/pegasus-internals.md §6). */
  metaFunctionLevel: MetaLevel;
  balanceOperationCount: BalanceOperationCount;
  primaryReplicaCountStddev: number;
  totalReplicaCountStddev: number;
  /** Absent from shells older than the `cluster_name` key. */
  clusterName?: string;
  /** Keys this parser does not know, verbatim, so that nothing is dropped silently. */
  extra: Record<string, string>;
}

export type AppStatus = 'AVAILABLE' | 'CREATING' | 'DROPPING' | 'DROPPED';

/** One row of `ls` `[general_info]`. */
export interface AppInfo {
  appId: number;
  status: AppStatus;
  appName: string;
  appType: string;
  partitionCount: number;
  /** The table's max replica count. */
  replicaCount: number;
  isStateful: boolean;
  /** `%Y-%m-%d_%H:%M:%S` in the shell's local time, or null for `-`. */
  createTime: string | null;
  dropTime: string | null;
  dropExpire: string | null;
  envsCount: number;
  /** Master only. */
  atomicIdempotent?: boolean;
  /** Columns this parser does not know, verbatim. */
  extra: Record<string, string>;
}

/** One row of `ls -d` `[healthy_info]`. */
export interface AppHealth {
  appId: number;
  appName: string;
  partitionCount: number;
  fullyHealthy: number;
  unhealthy: number;
  writeUnhealthy: number;
  readUnhealthy: number;
}

export interface AppListSummary {
  /** The number of AVAILABLE tables (also with `-a`). */
  totalAppCount: number;
  /** These four only with `-d` and at least one available table. */
  fullyHealthyAppCount?: number;
  unhealthyAppCount?: number;
  writeUnhealthyAppCount?: number;
  readUnhealthyAppCount?: number;
}

/** `ls [-d] [-a]` (docs/pegasus-internals.md §4.4). */
export interface AppList {
  format: OutputFormat;
  apps: AppInfo[];
  /** Only with `-d` and at least one available table. */
  health?: AppHealth[];
  summary: AppListSummary;
}

export type NodeStatus = 'ALIVE' | 'UNALIVE';

/** One row of `nodes` `[details]`. */
export interface NodeInfo {
  /** ip:port on v2.5.0, host:port on master. */
  address: string;
  status: NodeStatus;
  /** These three only with `-d`. */
  replicaCount?: number;
  primaryCount?: number;
  secondaryCount?: number;
  /** Metric columns (`-u`, `-q`) and any other column this parser does not know, verbatim. */
  extra: Record<string, string>;
}

/** `nodes [-d]` (docs/pegasus-internals.md §4.5). */
export interface NodeList {
  format: OutputFormat;
  /** The `[parameters]` table written with `-s` or `-o` (`status`, `out_file`). */
  parameters?: Record<string, string>;
  nodes: NodeInfo[];
  summary: { totalNodeCount: number; aliveNodeCount: number; unaliveNodeCount: number };
}

/** `set_meta_level` (docs/pegasus-internals.md §4.6). */
export interface SetMetaLevelResult {
  /** The stored level before the change. */
  oldLevel: MetaLevel;
}

export interface RecoverHint {
  level: 'ERROR' | 'WARNING';
  /** The hint without its `ERROR: `/`WARNING: ` prefix. */
  message: string;
}

/** A successful `recover` (docs/pegasus-internals.md §4.7); any other result is thrown as a ShellCommandError. */
export interface RecoverResult {
  waitSeconds: number;
  skipBadNodes: boolean;
  skipLostPartitions: boolean;
  /** The node list as the shell read it. */
  nodes: string[];
  /** Nodes the shell listed twice and ignored. */
  duplicateNodes: string[];
  /** How many `Wait recovery for N seconds` lines were printed. */
  waitedSeconds: number;
  result: 'ERR_OK';
  /** Warnings the meta returned (lost replicas, renamed tables...), in order. */
  hints: RecoverHint[];
}

export type ServerRole = 'meta-server' | 'replica-server';

export interface ServerInfoEntry {
  role: ServerRole;
  address: string;
  /** The server answered. */
  ok: boolean;
  /** The raw answer (v2.5.0: `Pegasus Server 2.5.0 (sha) Release, Started at ...`), or the error. */
  message: string;
  /** Set when ok. */
  version?: string;
  gitSha?: string;
  buildType?: string;
  /** `YYYY-mm-dd HH:MM:SS`, the server's local time. */
  startTime?: string;
}

/** `server_info` (docs/pegasus-internals.md §4.8): v2.5.0 `CALL [...]` lines on stderr, or master JSON on stdout. */
export interface ServerInfo {
  format: OutputFormat;
  servers: ServerInfoEntry[];
  succeedCount: number;
  failedCount: number;
}
