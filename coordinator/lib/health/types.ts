/** The result of `zkmig health` and of the health checks the migration runs between its steps. */
import type { MetaLevel, NodeStatus } from '../shell/types';

/**
 * - `healthy`: every check passed (exit 0);
 * - `unhealthy`: at least one check failed: the cluster answered and something is wrong (exit 1);
 * - `unknown`: nothing failed but something could not be checked: no meta answered, the shell
 *   could not be run or timed out, its output could not be parsed (exit 2).
 */
export type HealthVerdict = 'healthy' | 'unhealthy' | 'unknown';

/** `skipped`: the check had nothing to compare against (e.g. no expected ZooKeeper and no agent answered). */
export type CheckStatus = 'pass' | 'fail' | 'unknown' | 'skipped';

export type CheckName = 'leader' | 'metas' | 'zookeeper' | 'nodes' | 'tables' | 'level';

export interface HealthCheck {
  name: CheckName;
  status: CheckStatus;
  /** One line for a human; for a failure it names every node or table at fault. */
  message: string;
}

/** Where the expected ZooKeeper came from. */
export type ZkExpectationSource = 'expect-zk' | 'meta-configs';

export interface ZkView {
  /** The connect string, verbatim. */
  hosts: string;
  /** The normalised cluster root. */
  root: string;
}

export interface UnhealthyTable {
  appId: number;
  name: string;
  partitionCount: number;
  fullyHealthy: number;
  unhealthy: number;
  writeUnhealthy: number;
  readUnhealthy: number;
}

export interface HealthReport {
  cluster: string;
  verdict: HealthVerdict;
  /** ISO 8601, when the checks started. */
  checkedAt: string;
  durationMs: number;
  /** The leader that answered `cluster_info`, or null. */
  leader: string | null;
  /** `cluster_info` meta_servers (the leader's server_list). */
  metaServers: string[];
  /** The ensemble and root the running leader uses (`cluster_info`), or null. */
  zookeeper: ZkView | null;
  /** What it was compared with, or null when there was nothing to compare with. */
  expectedZookeeper: (ZkView & { source: ZkExpectationSource }) | null;
  /** `effective` from cluster_info (includes the automatic freeze); `stored` from get_meta_level when it explains a difference. */
  level: { effective: MetaLevel; stored?: MetaLevel } | null;
  nodes: { total: number; alive: number; notAlive: { address: string; status: NodeStatus }[] } | null;
  tables: { total: number; fullyHealthy: number; notHealthy: UnhealthyTable[] } | null;
  checks: HealthCheck[];
  /** The messages of failed checks (what makes the verdict unhealthy). */
  problems: string[];
  /** Things worth knowing that do not change the verdict (unreachable agents, checks skipped). */
  warnings: string[];
}
