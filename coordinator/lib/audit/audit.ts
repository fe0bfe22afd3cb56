/**
 * `zkmig audit`: read every meta's config.ini through its agent (all clusters at once, bounded by
 * the pool's concurrency), ask each running cluster for `cluster_info` through its shell (in
 * parallel with the reads), and apply the rules. Hosts that cannot be read are findings, never
 * exceptions; only bad options throw.
 */
import { toAppError, UsageError } from '../../../shared/errors';
import { formatKeyPath, MetaConfig, readMetaConfigs } from '../config-edit';
import { AgentPool, HostOutcome, makeRecap, mapLimit, targetsOf } from '../fleet';
import type { PegasusCluster } from '../inventory';
import { PegasusShell } from '../shell';
import { Lookup, resolveHosts } from './addresses';
import { auditKeys, ClusterInput, clusterFindings, fleetFindings } from './rules';
import { AuditedHost, AuditReport, ClusterAudit, Expectation, RunningView } from './types';

export const AUDIT_DEFAULTS = {
  /** Deadline of one `cluster_info`; the real shell gives up on a meta after its RPC timeout (10 s). */
  shellTimeoutMs: 20_000,
  /** Shell processes at once (each is a real process on this machine). */
  shellConcurrency: 8,
} as const;

export interface AuditOptions {
  /** The clusters to audit (already selected from the inventory). */
  clusters: readonly PegasusCluster[];
  /**
   * Read only these metas (`--limit`); rules that compare with the whole cluster, such as
   * server_list against the inventory, still see every meta. @default every meta
   */
  onlyHosts?: ReadonlySet<string>;
  pool: AgentPool;
  /** `--expect SECTION.KEY=VALUE`. @default [] */
  expect?: readonly Expectation[];
  /** Ask each running cluster for cluster_info, to find files edited but not applied. @default true */
  compareRunning?: boolean;
  /** @default 20000 */
  shellTimeoutMs?: number;
  /** @default 8 */
  shellConcurrency?: number;
  /** Injected by tests. @default PegasusShell.forCluster(cluster, { timeoutMs: shellTimeoutMs }) */
  shellFor?: (cluster: PegasusCluster) => PegasusShell;
  /** Name resolution for server_list comparison; injected by tests. @default dns.lookup */
  lookup?: Lookup;
  /** Called as hosts are read. */
  onProgress?: (done: number, total: number) => void;
}

export async function auditFleet(o: AuditOptions): Promise<AuditReport> {
  const started = Date.now();
  if (o.clusters.length === 0) throw new UsageError('audit: no cluster to audit');
  const expect = o.expect ?? [];
  const keys = auditKeys(expect);
  const shellTimeoutMs = o.shellTimeoutMs ?? AUDIT_DEFAULTS.shellTimeoutMs;
  const shellFor = o.shellFor ?? ((c: PegasusCluster) => PegasusShell.forCluster(c, { timeoutMs: shellTimeoutMs }));

  const [configs, running] = await Promise.all([
    readMetaConfigs({ pool: o.pool, targets: targetsOf(o.clusters, o.onlyHosts ? [...o.onlyHosts] : undefined), keys, ...(o.onProgress ? { onProgress: o.onProgress } : {}) }),
    o.compareRunning === false
      ? Promise.resolve(o.clusters.map(() => ({ status: 'fulfilled', value: null }) as PromiseSettledResult<RunningView | null>))
      : mapLimit(o.clusters, o.shellConcurrency ?? AUDIT_DEFAULTS.shellConcurrency, async (c) => runningView(await shellFor(c).clusterInfo())),
  ]);

  const endpoints: string[] = [];
  for (const c of o.clusters) for (const m of c.metas) endpoints.push(m.metaAddress);
  for (const h of configs) {
    const sl = h.value?.values['meta_server.server_list'];
    if (sl) endpoints.push(...sl.split(','));
  }
  const resolved = await resolveHosts(endpoints, o.lookup);

  const byCluster = new Map<string, HostOutcome<MetaConfig>[]>();
  for (const h of configs) byCluster.set(h.cluster, [...(byCluster.get(h.cluster) ?? []), h]);
  const inputs: ClusterInput[] = o.clusters.map((c, i) => {
    const r = running[i]!;
    return {
      cluster: c,
      configs: byCluster.get(c.name) ?? [],
      running: r.status === 'fulfilled' ? r.value : null,
      ...(r.status === 'rejected' ? { runningError: toAppError(r.reason).message } : {}),
      ...(o.compareRunning === false ? { runningSkipped: true, runningError: 'not asked (--no-running)' } : {}),
    };
  });
  const fleet = fleetFindings(inputs);
  const clusters: ClusterAudit[] = inputs.map((input) => {
    const findings = [...clusterFindings(input, { expect, resolved }), ...fleet.filter((f) => f.cluster === input.cluster.name)];
    findings.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
    const values: ClusterAudit['values'] = {};
    for (const k of keys.map(formatKeyPath)) {
      values[k] = {};
      for (const h of input.configs) if (h.value) values[k][h.host] = h.value.values[k] ?? null;
    }
    const hosts: AuditedHost[] = input.configs.map((h) => {
      const meta = input.cluster.metas.find((m) => m.name === h.host);
      return {
        host: h.host,
        agent: h.agent,
        status: h.value ? 'ok' : h.status === 'unreachable' ? 'unreachable' : 'failed',
        path: h.value?.path ?? meta?.metaConfig ?? '',
        ...(h.value ? { sha256: h.value.sha256 } : {}),
        ...(h.error ? { error: h.error.message } : {}),
        durationMs: h.durationMs,
        retries: h.retries,
      };
    });
    return {
      cluster: input.cluster.name,
      hosts,
      keys: keys.map(formatKeyPath),
      values,
      running: input.running,
      ...(input.runningError !== undefined && !input.running ? { runningError: input.runningError } : {}),
      findings,
    };
  });
  const all = clusters.flatMap((c) => c.findings);
  const counts = { errors: all.filter((f) => f.severity === 'error').length, warnings: all.filter((f) => f.severity === 'warning').length };
  return { startedAt: new Date(started).toISOString(), durationMs: Date.now() - started, clusters, counts, clean: all.length === 0, recap: makeRecap(configs) };
}

function runningView(i: { primaryMetaServer: string; metaServers: string[]; zookeeperHosts: string; zookeeperRoot: string }): RunningView {
  return { leader: i.primaryMetaServer, metaServers: i.metaServers, zookeeperHosts: i.zookeeperHosts, zookeeperRoot: i.zookeeperRoot };
}
