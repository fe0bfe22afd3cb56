/**
 * One health check of a Pegasus cluster (`zkmig health`, and the migration between its steps).
 *
 * Healthy means (issue 6): a leader answers `cluster_info`; its zookeeper_hosts and
 * zookeeper_root are the expected ones (`expectZk` when given, else what every meta's config.ini
 * says, read through the agents); every replica server is ALIVE; every available table is fully
 * healthy (partition_count == fully_healthy in `ls -d`); the effective meta level is steady or
 * lively; every configured meta answers on its port (metas.ts). Only the shell is required: agents that do not answer are a warning, not a failure.
 *
 * The three shell commands run in parallel (each is its own shell process, pegasus-shell.ts).
 */
import { AppError, isShellCommandError, isTimeout, isUnavailable, isUsageError, toAppError } from '../../../shared/errors';
import { MetaConfig, readMetaConfigs } from '../config-edit';
import { AgentPool, HostOutcome, targetsOf } from '../fleet';
import type { PegasusCluster } from '../inventory';
import { PegasusShell } from '../shell';
import type { AppList, ClusterInfo, MetaLevel, NodeList } from '../shell/types';
import { formatZk, parseExpectZk, sameZk } from './expect-zk';
import { metasCheck } from './metas';
import { CheckStatus, HealthCheck, HealthReport, HealthVerdict, UnhealthyTable, ZkView } from './types';

export const HEALTH_DEFAULTS = {
  /** Deadline of each shell command. The real shell gives up on a meta after its own RPC timeout (10 s). */
  shellTimeoutMs: 30_000,
} as const;

export interface CheckHealthOptions {
  cluster: PegasusCluster;
  /** @default PegasusShell.forCluster(cluster, { timeoutMs: shellTimeoutMs }) */
  shell?: PegasusShell;
  /** Expected ZooKeeper: a view, or `HOSTS/ROOT` text. @default the meta configs, read through `agents` */
  expectZk?: ZkView | string;
  /** Used to read the meta configs when `expectZk` is not given; without it the ZooKeeper check is skipped. */
  agents?: AgentPool;
  /** @default 30000 */
  shellTimeoutMs?: number;
  /** Require every configured meta to answer (metas.ts); off only while a migration has followers stopped on purpose. @default true */
  allMetas?: boolean;
  /**
   * Reads the caller already started through the same shell, used instead of asking again: each
   * shell command is a process of its own (~0.2 s of CPU for the simulated one), and the migration
   * preflight needs these answers too. `listNodes` may be `nodes -d`: the check reads only the status.
   */
  reads?: { clusterInfo?: Promise<ClusterInfo>; listNodes?: Promise<NodeList> };
}

/** Healthy meta levels: the default (steady) and the balancer's (lively). */
const GOOD_LEVELS: readonly MetaLevel[] = ['steady', 'lively'];

/**
 * A shell failure that says nothing about the cluster's state: no meta answered, the shell could
 * not be run or rejected the command line (not the Pegasus shell?), its output was unreadable.
 * Any other error printed by the shell is the cluster's answer (ERR_UNDER_RECOVERY...).
 */
function couldNotTell(err: unknown): boolean {
  return isUnavailable(err) || isTimeout(err) || isUsageError(err) || !isShellCommandError(err);
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: AppError };
async function settle<T>(p: Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await p };
  } catch (e) {
    return { ok: false, error: toAppError(e) };
  }
}

function errorCheck(name: HealthCheck['name'], what: string, err: AppError): HealthCheck {
  return { name, status: couldNotTell(err) ? 'unknown' : 'fail', message: `${what}: ${err.message}` };
}

export function verdictOf(checks: readonly HealthCheck[]): HealthVerdict {
  if (checks.some((c) => c.status === 'fail')) return 'unhealthy';
  if (checks.some((c) => c.status === 'unknown')) return 'unknown';
  return 'healthy';
}

export async function checkHealth(o: CheckHealthOptions): Promise<HealthReport> {
  const started = Date.now();
  const shell = o.shell ?? PegasusShell.forCluster(o.cluster, { timeoutMs: o.shellTimeoutMs ?? HEALTH_DEFAULTS.shellTimeoutMs });
  const expectFlag = typeof o.expectZk === 'string' ? parseExpectZk(o.expectZk) : o.expectZk;
  const [info, apps, nodes, configs, metas] = await Promise.all([
    settle(o.reads?.clusterInfo ?? shell.clusterInfo()),
    settle(shell.listApps({ detailed: true })),
    settle(o.reads?.listNodes ?? shell.listNodes()),
    !expectFlag && o.agents ? readMetaConfigs({ pool: o.agents, targets: targetsOf([o.cluster]) }) : Promise.resolve(undefined),
    o.allMetas === false ? Promise.resolve(undefined) : metasCheck(o.cluster.metas),
  ]);
  const warnings: string[] = [];
  const report: HealthReport = {
    cluster: o.cluster.name,
    verdict: 'unknown',
    checkedAt: new Date(started).toISOString(),
    durationMs: 0,
    leader: null,
    metaServers: [],
    zookeeper: null,
    expectedZookeeper: null,
    level: null,
    nodes: null,
    tables: null,
    checks: [],
    problems: [],
    warnings,
  };

  // leader
  if (info.ok) {
    report.leader = info.value.primaryMetaServer;
    report.metaServers = info.value.metaServers;
    report.zookeeper = { hosts: info.value.zookeeperHosts, root: info.value.zookeeperRoot };
    report.checks.push({ name: 'leader', status: 'pass', message: `${info.value.primaryMetaServer} answers cluster_info` });
  } else {
    report.checks.push(errorCheck('leader', 'no leader answered cluster_info', info.error));
  }

  if (metas) report.checks.push(metas);
  report.checks.push(zookeeperCheck(report, info.ok ? info.value : undefined, expectFlag, configs, warnings));
  report.checks.push(nodesCheck(report, nodes));
  report.checks.push(tablesCheck(report, apps));
  report.checks.push(await levelCheck(report, info.ok ? info.value : undefined, shell));

  report.problems = report.checks.filter((c) => c.status === 'fail').map((c) => c.message);
  report.verdict = verdictOf(report.checks);
  report.durationMs = Date.now() - started;
  return report;
}

function zookeeperCheck(
  report: HealthReport,
  info: ClusterInfo | undefined,
  expectFlag: ZkView | undefined,
  configs: HostOutcome<MetaConfig>[] | undefined,
  warnings: string[],
): HealthCheck {
  const name = 'zookeeper';
  if (expectFlag) report.expectedZookeeper = { ...expectFlag, source: 'expect-zk' };
  let fromConfigs: { host: string; view: ZkView }[] = [];
  if (configs) {
    const missed = configs.filter((c) => !c.value);
    // Health needs only the shell: an agent that does not answer costs one comparison, not the verdict.
    for (const m of missed) warnings.push(`could not read the config of ${m.host} (${m.status}: ${m.error?.message ?? ''}); not compared`);
    fromConfigs = configs.flatMap((c) => (c.value ? [{ host: c.host, view: { hosts: c.value.values['zookeeper.hosts_list'] ?? '', root: c.value.values['meta_server.cluster_root'] ?? '/' } }] : []));
    if (fromConfigs[0]) report.expectedZookeeper = { ...fromConfigs[0].view, source: 'meta-configs' };
  }
  if (!info) return { name, status: 'unknown', message: 'not checked: no leader answered cluster_info' };
  const seen = report.zookeeper!;
  if (expectFlag) {
    return sameZk(seen, expectFlag)
      ? { name, status: 'pass', message: `${formatZk(seen)} as expected` }
      : { name, status: 'fail', message: `the leader uses ${formatZk(seen)}, expected ${formatZk(expectFlag)}` };
  }
  if (fromConfigs.length === 0) {
    const why = configs ? 'no meta config could be read through the agents' : 'no --expect-zk given and no agents to read the meta configs';
    warnings.push(`ZooKeeper not compared: ${why}`);
    return { name, status: 'skipped', message: `${formatZk(seen)} (not compared: ${why})` };
  }
  const differ = fromConfigs.filter((c) => !sameZk(seen, c.view));
  if (differ.length === 0) return { name, status: 'pass', message: `${formatZk(seen)}, as in the config of ${fromConfigs.map((c) => c.host).join(', ')}` };
  return {
    name,
    status: 'fail',
    message: `the leader uses ${formatZk(seen)} but the config of ${differ.map((c) => `${c.host} says ${formatZk(c.view)}`).join(', ')} (edited and not applied, or a meta on another ensemble)`,
  };
}

function nodesCheck(report: HealthReport, nodes: Settled<NodeList>): HealthCheck {
  const name = 'nodes';
  if (!nodes.ok) return errorCheck(name, 'nodes failed', nodes.error);
  const notAlive = nodes.value.nodes.filter((n) => n.status !== 'ALIVE').map((n) => ({ address: n.address, status: n.status }));
  const total = nodes.value.nodes.length;
  report.nodes = { total, alive: total - notAlive.length, notAlive };
  if (total === 0) return { name, status: 'fail', message: 'the leader knows no replica server' };
  if (notAlive.length === 0) return { name, status: 'pass', message: `${total} of ${total} replica servers ALIVE` };
  return { name, status: 'fail', message: `${notAlive.length} of ${total} replica servers not ALIVE: ${notAlive.map((n) => `${n.address} (${n.status})`).join(', ')}` };
}

function tablesCheck(report: HealthReport, apps: Settled<AppList>): HealthCheck {
  const name = 'tables';
  if (!apps.ok) return errorCheck(name, 'ls -d failed', apps.error);
  const health = apps.value.health ?? [];
  const notHealthy: UnhealthyTable[] = health
    .filter((h) => h.fullyHealthy !== h.partitionCount)
    .map((h) => ({ appId: h.appId, name: h.appName, partitionCount: h.partitionCount, fullyHealthy: h.fullyHealthy, unhealthy: h.unhealthy, writeUnhealthy: h.writeUnhealthy, readUnhealthy: h.readUnhealthy }));
  // An available table with no row in [healthy_info] cannot be judged: say so rather than pass it.
  const missing = apps.value.apps.filter((a) => a.status === 'AVAILABLE' && !health.some((h) => h.appId === a.appId));
  report.tables = { total: health.length, fullyHealthy: health.length - notHealthy.length, notHealthy };
  if (notHealthy.length > 0) {
    const list = notHealthy.map((t) => `${t.name} (${t.fullyHealthy}/${t.partitionCount} partitions fully healthy, ${t.unhealthy} unhealthy, ${t.writeUnhealthy} write-unhealthy, ${t.readUnhealthy} read-unhealthy)`);
    return { name, status: 'fail', message: `${notHealthy.length} of ${health.length} tables not fully healthy: ${list.join(', ')}` };
  }
  if (missing.length > 0) return { name, status: 'unknown', message: `no health row for ${missing.map((a) => a.appName).join(', ')} in ls -d` };
  return { name, status: 'pass', message: health.length === 0 ? 'no available table' : `${health.length} of ${health.length} tables fully healthy` };
}

async function levelCheck(report: HealthReport, info: ClusterInfo | undefined, shell: PegasusShell): Promise<HealthCheck> {
  const name = 'level';
  if (!info) return { name, status: 'unknown', message: 'not checked: no leader answered cluster_info' };
  const effective = info.metaFunctionLevel;
  report.level = { effective };
  if (GOOD_LEVELS.includes(effective)) return { name, status: 'pass', message: `${effective} (effective)` };
  // cluster_info shows the effective level; the stored one tells an automatic freeze (too few
  // alive replica servers, docs/pegasus-internals.md §6) from an operator's set_meta_level.
  let why = '';
  const stored = await settle(shell.getMetaLevel());
  if (stored.ok) {
    report.level.stored = stored.value;
    if (stored.value !== effective) why = `; stored level ${stored.value}: automatic freeze, too few replica servers alive (min_live_node_count_for_unfreeze / node_live_percentage_threshold_for_update)`;
    else why = `; set by set_meta_level or meta_function_level_on_start`;
  }
  const status: CheckStatus = 'fail';
  return { name, status, message: `effective meta level is ${effective}, not steady or lively${why}` };
}
