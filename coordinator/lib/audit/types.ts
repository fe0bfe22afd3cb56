/** The result of `zkmig audit`: per cluster, the values of the keys that matter and the findings. */
import type { Recap } from '../fleet';

/** Both severities are findings (exit 1); `error` is what breaks a migration or a restart, `warning` what deserves a look. */
export type Severity = 'error' | 'warning';

/**
 * Stable identifiers, for scripts and for `--json` consumers:
 * - `agent-unreachable`: no answer from the host's agent (the audit of that host is missing);
 * - `config-unreadable`: the agent answered but could not give the file (missing, not allowed, not UTF-8);
 * - `hosts-list-in-meta-server`: `hosts_list` under `[meta_server]`, where Pegasus ignores it;
 * - `recover-flag-on`: `recover_from_replica_server = true` left on (the next restart aborts);
 * - `server-list-mismatch`: `[meta_server] server_list` is not the inventory's metas;
 * - `lock-root-outside-cluster-root`: the lock root is not cluster_root or below it;
 * - `cluster-root-name-mismatch`: cluster_root's last component is not the cluster name;
 * - `not-applied`: the file differs from what the running cluster reports (edited, not applied);
 * - `drift`: metas of one cluster disagree on a key;
 * - `expect-mismatch`: a key is not the value given with `--expect`;
 * - `key-missing`, `invalid-value`: a required key is absent, or a value Pegasus rejects;
 * - `duplicate-key`: a key defined twice (Pegasus uses the first);
 * - `refused-line`: a line Pegasus refuses the whole file for;
 * - `placeholder`: an unexpanded `%{...}` deployment placeholder;
 * - `shared-root`: two clusters use the same ZooKeeper root or lock root on the same ensemble;
 * - `cluster-unreachable`: the running cluster could not be asked (`cluster_info`), so nothing was compared with it;
 * - `zk-auth-drift`: metas of one cluster authenticate to ZooKeeper differently (SASL mechanism or user);
 * - `zk-auth-incomplete`: SASL settings a meta cannot log in with (no user or password file, an unknown mechanism).
 */
export type FindingCode =
  | 'agent-unreachable'
  | 'config-unreadable'
  | 'hosts-list-in-meta-server'
  | 'recover-flag-on'
  | 'server-list-mismatch'
  | 'lock-root-outside-cluster-root'
  | 'cluster-root-name-mismatch'
  | 'not-applied'
  | 'drift'
  | 'expect-mismatch'
  | 'key-missing'
  | 'invalid-value'
  | 'duplicate-key'
  | 'refused-line'
  | 'placeholder'
  | 'shared-root'
  | 'cluster-unreachable'
  | 'zk-auth-drift'
  | 'zk-auth-incomplete';

export interface Finding {
  cluster: string;
  /** Inventory hosts concerned; empty for a finding about the cluster as a whole. */
  hosts: string[];
  severity: Severity;
  code: FindingCode;
  /** `section.key` when the finding is about one key. */
  key?: string;
  message: string;
}

/** One `--expect SECTION.KEY=VALUE`. */
export interface Expectation {
  section: string;
  key: string;
  value: string;
}

/** What the running cluster reported (`cluster_info` on the leader). */
export interface RunningView {
  leader: string;
  metaServers: string[];
  zookeeperHosts: string;
  zookeeperRoot: string;
}

export interface AuditedHost {
  host: string;
  agent: string;
  /** ok: the config was read; otherwise why not. */
  status: 'ok' | 'failed' | 'unreachable';
  path: string;
  sha256?: string;
  error?: string;
  /** Wall time of this host's read, connection included. */
  durationMs: number;
  /** Extra attempts the read needed (0: it succeeded first time). */
  retries: number;
}

export interface ClusterAudit {
  cluster: string;
  hosts: AuditedHost[];
  /** The keys shown, `section.key`, migration keys first then `--expect` keys. */
  keys: string[];
  /** key → host → value (null when absent), for the hosts that were read. */
  values: Record<string, Record<string, string | null>>;
  /** null when the cluster could not be asked; see `runningError`. */
  running: RunningView | null;
  runningError?: string;
  /** Errors first, then warnings. */
  findings: Finding[];
}

export interface AuditReport {
  /** ISO 8601. */
  startedAt: string;
  durationMs: number;
  clusters: ClusterAudit[];
  counts: { errors: number; warnings: number };
  /** No finding at all. */
  clean: boolean;
  /** Agent reads: ok = config read; failed/unreachable per host. */
  recap: Recap;
}
