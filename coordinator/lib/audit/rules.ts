/**
 * The audit's rules: pure functions from what was read (each meta's reduced config, the running
 * cluster's `cluster_info`, the inventory) to findings. Each rule cites the Pegasus behaviour that
 * makes it a mistake (docs/pegasus-internals.md). Per-host findings with the same message are
 * merged into one naming every host, so a fleet-wide mistake reads as one line, not a hundred.
 */
import {
  canonicalValue,
  describeZkAuth,
  formatKeyPath,
  hasPlaceholder,
  invalidValueReason,
  KeyPath,
  listItems,
  MetaConfig,
  metaZkAuth,
  MIGRATION_KEYS,
  normalizeRoot,
  sameValue,
  ZK_AUTH_KEYS,
} from '../config-edit';
import type { HostOutcome } from '../fleet';
import type { PegasusCluster } from '../inventory';
import { endpointIds, Resolved } from './addresses';
import { Expectation, Finding, FindingCode, RunningView, Severity } from './types';

export interface ClusterInput {
  cluster: PegasusCluster;
  configs: readonly HostOutcome<MetaConfig>[];
  running: RunningView | null;
  runningError?: string;
  /** The operator chose not to ask the running cluster (`--no-running`): no finding for it. */
  runningSkipped?: boolean;
}

export interface RuleContext {
  expect: readonly Expectation[];
  /** Host names resolved for server_list comparison (addresses.ts). */
  resolved: Resolved;
}

/** Keys whose disagreement between metas of one cluster can split it or lose data. */
const CRITICAL_DRIFT = new Set(['zookeeper.hosts_list', 'meta_server.server_list', 'meta_server.cluster_root', 'meta_server.distributed_lock_service_parameters']);

const K = {
  hosts: 'zookeeper.hosts_list',
  timeout: 'zookeeper.timeout_ms',
  serverList: 'meta_server.server_list',
  root: 'meta_server.cluster_root',
  lock: 'meta_server.distributed_lock_service_parameters',
  recover: 'meta_server.recover_from_replica_server',
  level: 'meta_server.meta_function_level_on_start',
} as const;

const keyOf = (name: string): KeyPath => {
  const dot = name.lastIndexOf('.');
  return { section: name.slice(0, dot), key: name.slice(dot + 1) };
};

/** The lock root: the first whitespace-separated argument of distributed_lock_service_parameters (docs/pegasus-internals.md §2.1). */
export function lockRootOf(params: string): string {
  return normalizeRoot(params.trim().split(/\s+/)[0] ?? '');
}

/** True when `path` is `root` or below it (both normalised). */
export function isUnder(path: string, root: string): boolean {
  return root === '/' || path === root || path.startsWith(`${root}/`);
}

/** The keys an audit reads and shows: the migration keys, the ZooKeeper authentication keys, then `--expect` keys not among them. */
export function auditKeys(expect: readonly Expectation[]): KeyPath[] {
  const keys = [...MIGRATION_KEYS, ...ZK_AUTH_KEYS];
  for (const e of expect) if (!keys.some((k) => k.section === e.section && k.key === e.key)) keys.push({ section: e.section, key: e.key });
  return keys;
}

class Findings {
  private readonly list: Finding[] = [];
  constructor(private readonly cluster: string) {}

  add(severity: Severity, code: FindingCode, message: string, hosts: string[] = [], key?: string): void {
    const same = this.list.find((f) => f.code === code && f.key === key && f.message === message && f.severity === severity);
    if (same && hosts.length > 0 && same.hosts.length > 0) {
      for (const h of hosts) if (!same.hosts.includes(h)) same.hosts.push(h);
      return;
    }
    this.list.push({ cluster: this.cluster, hosts: [...hosts], severity, code, ...(key ? { key } : {}), message });
  }

  sorted(): Finding[] {
    return [...this.list].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
  }
}

/** Every finding about one cluster. */
export function clusterFindings(input: ClusterInput, ctx: RuleContext): Finding[] {
  const name = input.cluster.name;
  const f = new Findings(name);
  const keys = auditKeys(ctx.expect).map(formatKeyPath);

  for (const c of input.configs) {
    if (c.status === 'unreachable') {
      f.add('error', 'agent-unreachable', `agent ${c.agent} did not answer, so this meta was not audited: ${c.error?.message ?? ''}`, [c.host]);
    } else if (!c.value) {
      f.add('error', 'config-unreadable', `its config could not be read: ${c.error?.message ?? ''}`, [c.host]);
    }
  }
  const read = input.configs.filter((c): c is HostOutcome<MetaConfig> & { value: MetaConfig } => c.value !== undefined);

  for (const { host, value: cfg } of read) {
    const v = (k: string): string | null => cfg.values[k] ?? null;
    hostRules(f, input, ctx, host, cfg, v);
  }

  // Drift: one key, different values on metas of the same cluster.
  for (const k of keys) {
    const kp = keyOf(k);
    const first = read[0]?.value.values[k] ?? null;
    if (!read.some((c) => !sameValue(kp, first, c.value.values[k] ?? null))) continue;
    const groups = new Map<string, { label: string; hosts: string[] }>();
    for (const c of read) {
      const val = c.value.values[k] ?? null;
      const canon = val === null ? '\u0000' : canonicalValue(kp, val);
      const g = groups.get(canon) ?? { label: val === null ? '(absent)' : JSON.stringify(val), hosts: [] };
      g.hosts.push(c.host);
      groups.set(canon, g);
    }
    const desc = [...groups.values()].map((g) => `${g.hosts.join(', ')}: ${g.label}`).join('; ');
    const why = CRITICAL_DRIFT.has(k) ? ' (metas of one cluster must agree on it, or a restart splits the cluster)' : '';
    f.add(CRITICAL_DRIFT.has(k) ? 'error' : 'warning', 'drift', `${k} differs between metas${why}: ${desc}`, [], k);
  }

  zkAuthRules(f, read);

  if (!input.running && !input.runningSkipped && read.length > 0) {
    f.add('warning', 'cluster-unreachable', `could not ask the running cluster (cluster_info), so the files were not compared with what it runs: ${input.runningError ?? 'no answer'}`);
  }
  return f.sorted();
}

/**
 * ZooKeeper authentication (docs/pegasus-internals.md §3, §8.12): every meta of a cluster must log
 * in to the ensemble the same way, or a restart leaves the metas that differ unable to open a
 * session on an ensemble that enforces SASL (or, the other way, the ensemble refuses one kind).
 * Settings Pegasus refuses or cannot log in with are reported per host.
 */
function zkAuthRules(f: Findings, read: readonly { host: string; value: MetaConfig }[]): void {
  const groups = new Map<string, string[]>();
  for (const { host, value } of read) {
    const a = metaZkAuth(value.values);
    for (const p of a.problems) f.add('error', 'zk-auth-incomplete', p, [host]);
    const d = describeZkAuth(a);
    groups.set(d, [...(groups.get(d) ?? []), host]);
  }
  if (groups.size > 1) {
    const desc = [...groups].map(([d, hosts]) => `${hosts.join(', ')}: ${d}`).join('; ');
    f.add('error', 'zk-auth-drift', `the metas authenticate to ZooKeeper differently (on an ensemble that enforces SASL the others cannot open a session; set the same [zookeeper] sasl_* / [security] enable_zookeeper_kerberos everywhere): ${desc}`);
  }
}

function hostRules(f: Findings, input: ClusterInput, ctx: RuleContext, host: string, cfg: MetaConfig, v: (k: string) => string | null): void {
  const clusterName = input.cluster.name;
  const zkHosts = v(K.hosts);

  // The Pegasus website's own mistake (zk-migration.md step 4; docs/pegasus-internals.md §8.1): the meta reads
  // hosts_list only from [zookeeper] (zookeeper_session.cpp) and keeps its old ensemble.
  for (const m of cfg.misplaced) {
    const differs = zkHosts === null || listItems(m.value).join(',') !== listItems(zkHosts).join(',');
    f.add(
      'error',
      'hosts-list-in-meta-server',
      `hosts_list is set under [meta_server] (line ${m.line}), where Pegasus never reads it${differs ? `; the meta uses [zookeeper] hosts_list = ${zkHosts === null ? '(absent)' : JSON.stringify(zkHosts)}, not ${JSON.stringify(m.value)}` : ''}; remove it and set [zookeeper] hosts_list`,
      [host],
      'meta_server.hosts_list',
    );
  }

  // docs/pegasus-internals.md §5.4, §8.6: left on, the next start finds the apps and aborts.
  const recover = v(K.recover);
  if (recover !== null && recover.trim().toLowerCase() === 'true') {
    f.add('error', 'recover-flag-on', 'recover_from_replica_server = true: left on after a recovery, the next restart of this meta finds the tables in ZooKeeper and aborts; set it to false', [host], K.recover);
  }

  // Required keys and values Pegasus rejects.
  if (zkHosts === null || zkHosts.trim() === '') {
    f.add('error', 'key-missing', '[zookeeper] hosts_list is missing or empty: the meta cannot reach ZooKeeper', [host], K.hosts);
  }
  const lock = v(K.lock);
  if (lock === null || lock.trim() === '') {
    f.add('error', 'key-missing', 'distributed_lock_service_parameters is missing or empty: with the ZooKeeper lock service the meta aborts at start (need parameters: <lock_root>)', [host], K.lock);
  }
  for (const k of auditKeys(ctx.expect)) {
    const name = formatKeyPath(k);
    const val = v(name);
    if (val === null || val === '') continue;
    const why = invalidValueReason(k, val);
    if (why) f.add('error', 'invalid-value', `${name}: ${why}`, [host], name);
  }

  // Lock root inside cluster_root (docs/pegasus-internals.md §2.1: the template puts it at <cluster_root>/lock,
  // onebox at cluster_root itself). Outside, the cluster's tree is not one subtree: copies and
  // cleanups by cluster_root miss it, and clusters can end up sharing one leader lock.
  const root = v(K.root);
  const rootN = normalizeRoot(root ?? '/');
  if (lock !== null && lock.trim() !== '' && !hasPlaceholder(lock) && !hasPlaceholder(rootN)) {
    const lr = lockRootOf(lock);
    if (lr.startsWith('/') && !isUnder(lr, rootN)) {
      f.add('error', 'lock-root-outside-cluster-root', `the lock root ${lr} is outside cluster_root ${rootN}: keep it at ${rootN === '/' ? '' : rootN}/lock so the cluster's whole tree is one subtree`, [host], K.lock);
    }
  }

  // The admin scripts (pegasus_rolling_update.sh and others, docs/pegasus-internals.md §1.x) require the last
  // component of zookeeper_root to be the cluster name.
  if (root === null) {
    f.add('warning', 'key-missing', 'cluster_root is absent, so Pegasus uses / (the ZooKeeper root) for this cluster', [host], K.root);
  } else if (!hasPlaceholder(root)) {
    const last = rootN.split('/').filter((p) => p !== '').pop() ?? '';
    if (last !== clusterName) {
      f.add('warning', 'cluster-root-name-mismatch', `cluster_root ${rootN} does not end with the cluster name "${clusterName}" (Pegasus admin scripts check this)`, [host], K.root);
    }
  }

  // server_list must be exactly the inventory's metas: replicas and clients find metas through it.
  const serverList = v(K.serverList);
  if (serverList === null || serverList.trim() === '') {
    f.add('error', 'key-missing', 'server_list is missing or empty', [host], K.serverList);
  } else if (!hasPlaceholder(serverList)) {
    const entries = listItems(serverList);
    const inv = input.cluster.metas.map((m) => m.metaAddress);
    const invIds = inv.map((i) => new Set(endpointIds(i, ctx.resolved)));
    const entryIds = entries.map((e) => endpointIds(e, ctx.resolved));
    const shared = (ids: readonly string[], set: ReadonlySet<string>): boolean => ids.some((id) => set.has(id));
    const extra = entries.filter((_, j) => !invIds.some((set) => shared(entryIds[j]!, set)));
    const missing = inv.filter((_, i) => !entryIds.some((ids) => shared(ids, invIds[i]!)));
    if (extra.length > 0 || missing.length > 0) {
      const parts = [];
      if (extra.length > 0) parts.push(`lists ${extra.join(', ')}, not in the inventory`);
      if (missing.length > 0) parts.push(`lacks ${missing.join(', ')} from the inventory`);
      f.add('error', 'server-list-mismatch', `server_list ${parts.join(' and ')}`, [host], K.serverList);
    }
  }

  // Edited but not applied: the running cluster reports another ensemble or root than the file.
  const run = input.running;
  if (run) {
    if (zkHosts !== null && zkHosts.trim() !== '' && listItems(zkHosts).join(',') !== listItems(run.zookeeperHosts).join(',')) {
      f.add('error', 'not-applied', `the file says hosts_list = ${zkHosts} but the running cluster (leader ${run.leader}) uses ${run.zookeeperHosts}: edited and not applied; a restart of this meta moves it to the file's ensemble`, [host], K.hosts);
    }
    if (root !== null && !hasPlaceholder(root) && rootN !== normalizeRoot(run.zookeeperRoot)) {
      f.add('error', 'not-applied', `the file says cluster_root = ${rootN} but the running cluster (leader ${run.leader}) uses ${run.zookeeperRoot}: edited and not applied`, [host], K.root);
    }
  }

  for (const e of ctx.expect) {
    const name = `${e.section}.${e.key}`;
    const val = v(name);
    if (!sameValue(e, val, e.value)) {
      f.add('error', 'expect-mismatch', `${name} is ${val === null ? '(absent)' : JSON.stringify(val)}, expected ${JSON.stringify(e.value)}`, [host], name);
    }
  }

  const relevant = new Set([...auditKeys(ctx.expect).map(formatKeyPath), 'meta_server.hosts_list']);
  for (const d of cfg.duplicates) {
    if (relevant.has(d.key)) f.add('warning', 'duplicate-key', `${d.key} is defined ${d.lines.length} times (lines ${d.lines.join(', ')}); Pegasus uses the first`, [host], d.key);
  }
  for (const p of cfg.problems) f.add('error', 'refused-line', `line ${p.line}: ${p.message}`, [host]);
  if (cfg.placeholders.length > 0) {
    f.add('warning', 'placeholder', `unexpanded deployment placeholders ${cfg.placeholders.join(', ')}: Pegasus reads them as literal text`, [host]);
  }
}

/**
 * Fleet-wide: two clusters on the same ensemble with the same cluster_root write one tree; with
 * the same lock root they elect one leader between them.
 */
export function fleetFindings(inputs: readonly ClusterInput[]): Finding[] {
  const roots = new Map<string, Set<string>>();
  const locks = new Map<string, Set<string>>();
  const note = (m: Map<string, Set<string>>, key: string, cluster: string): void => {
    const s = m.get(key) ?? new Set<string>();
    s.add(cluster);
    m.set(key, s);
  };
  for (const i of inputs) {
    for (const c of i.configs) {
      const vals = c.value?.values;
      const hosts = vals?.[K.hosts];
      if (!vals || !hosts || hasPlaceholder(hosts)) continue;
      const ens = listItems(hosts).join(',');
      const root = vals[K.root];
      if (root !== null && root !== undefined && !hasPlaceholder(root)) note(roots, `${ens} ${normalizeRoot(root)}`, i.cluster.name);
      const lock = vals[K.lock];
      if (lock && !hasPlaceholder(lock)) note(locks, `${ens} ${lockRootOf(lock)}`, i.cluster.name);
    }
  }
  const out: Finding[] = [];
  for (const [what, m] of [['cluster_root', roots], ['lock root', locks]] as const) {
    for (const [key, clusters] of m) {
      if (clusters.size < 2) continue;
      const [ens, path] = key.split(' ');
      for (const c of clusters) {
        const others = [...clusters].filter((x) => x !== c);
        out.push({
          cluster: c,
          hosts: [],
          severity: 'error',
          code: 'shared-root',
          key: what === 'cluster_root' ? K.root : K.lock,
          message: `${what} ${path} on ${ens} is also used by cluster ${others.join(', ')}: ${what === 'cluster_root' ? 'both write one metadata tree' : 'their metas compete for one leader lock'}`,
        });
      }
    }
  }
  return out;
}
