import { InvalidInputError, PreconditionError, toAppError } from '../../../shared/errors';
import { ZkSession } from '../../../shared/zk/client';
import { auditFleet } from '../audit';
import { canonicalValue, listItems, MetaConfig, metaZkAuth, MIGRATION_KEYS, readMetaConfigs, ZK_AUTH_KEYS } from '../config-edit';
import type { KeyPath } from '../config-edit/key-path';
import { targetsOf } from '../fleet';
import { checkHealth } from '../health';
import { parseListNodes, recoverNodeProblems } from '../shell';
import type { MetaLevel } from '../shell/types';
import { metaByAddress, RunEnv } from './env';
import { cClientHostProblems, sameEnsembleProblems } from './ensemble-guard';
import { judgedNode, lossesOf, runningJobsOf, TreeLosses } from './losses';
import { estimateMs, inactiveWaitMs, ReplicationTiming, timingFrom } from './timing';
import { fingerprint, isEmptyRoot, readTree, TreeRead } from '../zk/tree-read';
import { isMaskedDigest } from '../zk/masked-acl';
import { maskedFix } from './acl-guard';
import { judgeZkAuth, probeEnsembleAuth } from './zk-auth-check';
import { runZkSecurity } from './zk-security';
import { commandBackendWarnings } from './stay-stopped';
import { reconfigAuth, reconfigPreflight, ReconfigFacts } from './reconfig-preflight';

/**
 * The checks before anything changes (both methods): every meta of `server_list` is in the
 * inventory and its agent answers; the configs agree and hold no known mistake; every meta
 * service runs; the cluster is healthy on the ensemble its configs name; the source answers; the
 * target answers and its `cluster_root` is absent or empty; sizes and a time estimate. Every
 * problem is collected and reported together, and any problem refuses the run.
 */

export interface MetaFacts {
  /** Inventory host name. */
  name: string;
  metaAddress: string;
  agent: string;
  config: string;
  /** sha256 of the config before the migration: what a rollback restores. */
  sha256: string;
  hostsList: string;
  recover: string;
}

export interface TableFacts {
  appId: number;
  name: string;
  partitionCount: number;
  status: string;
}

export interface NodeFacts {
  address: string;
  status: string;
  replicaCount: number;
}

export interface PreflightFacts {
  method: string;
  /** The ensemble the metas use now (their `[zookeeper] hosts_list`). */
  source: string;
  target: string;
  /** `cluster_root`, normalised. */
  root: string;
  /** First argument of distributed_lock_service_parameters, normalised. */
  lockRoot: string;
  /** Inventory name of the leader meta. */
  leader: string;
  /** The stored meta level before the migration (restored at the end and by a rollback). */
  level: MetaLevel;
  metas: MetaFacts[];
  /** Available tables (`ls`). */
  tables: TableFacts[];
  /** Dropped tables still held (`ls -a`): recovery brings them back as live tables. */
  dropped: TableFacts[];
  nodes: NodeFacts[];
  timing: ReplicationTiming;
  /** `[zookeeper] timeout_ms` of the metas. */
  zkTimeoutMs: number;
  /** `digest` is '' (the preflight computes none; journals from before it hold one). */
  size: { nodes: number; bytes: number; ephemeral: number; digest: string; maxMzxid: string };
  /** What `recover` cannot restore (docs/pegasus-internals.md §5.4); empty for copy. */
  losses: TreeLosses;
  /** recover: how long to wait after the metas stop. */
  inactiveWaitMs: number;
  estimateMs: number;
  warnings: string[];
  /**
   * Who checks every source ACL (masked digest ids, sasl: ACLs the target cannot honour): this
   * preflight (`--no-precopy`, whose copy runs inside the write freeze), the pre-copy's own read
   * (acl-guard.ts; it runs before anything is stopped and the run removes its partial copy), or
   * nobody (recover and reconfig copy no ACL). Absent in journals from before it: the preflight.
   */
  aclCheck?: 'preflight' | 'copy' | 'none';
  /** The new ensemble offers no SASL login: a sasl: ACL copied there could never be granted. */
  targetSaslAbsent?: boolean;
  /** `--method reconfig` only: the ensemble as ZooKeeper sees it (reconfig-preflight.ts). */
  reconfig?: ReconfigFacts;
}

const EXTRA_KEYS: readonly KeyPath[] = [
  { section: 'replication', key: 'config_sync_interval_ms' },
  { section: 'replication', key: 'fd_lease_seconds' },
  { section: 'replication', key: 'fd_grace_seconds' },
  { section: 'replication', key: 'fd_beacon_interval_seconds' },
  { section: 'replication', key: 'fd_check_interval_seconds' },
];

const ZK_CONNECT_MS = 10_000;

export async function connectZk(hosts: string, what: string, connectTimeoutMs = ZK_CONNECT_MS): Promise<ZkSession> {
  try {
    return await ZkSession.connect(hosts, { sessionTimeoutMs: 10_000, connectTimeoutMs });
  } catch (e) {
    throw new PreconditionError(`the ${what} ensemble ${hosts} does not answer: ${toAppError(e).message}`, { cause: e });
  }
}

export interface PreflightHooks {
  /** Called as soon as the source ensemble is known (the run lock is taken there). */
  onSource?: (source: string, root: string) => Promise<void>;
}

export async function preflight(env: RunEnv, hooks: PreflightHooks = {}, progress: (m: string) => void = () => undefined): Promise<PreflightFacts> {
  // The source tree is read while the other checks run (see checks()); a refusal before its
  // result is needed stops that read instead of leaving it to load the source ensemble.
  const stopRead = new AbortController();
  try {
    return await checks(env, hooks, progress, stopRead.signal);
  } finally {
    stopRead.abort(new Error('the preflight ended before the source tree was read'));
  }
}

/** The source tree, read once, or why it could not be (reported where the tree is judged). */
type SourceRead = { tree: TreeRead } | { error: unknown };

/**
 * Sessions for the source tree read. ZooKeeper's NIO server reads one request per connection per
 * select round (NIOServerCnxn.doIO), and with ACLs (aclCheckOf) the read is one getACL request per
 * node: more connections mean fewer rounds for the same requests. Measured on the large sandbox (100,234 znodes, one
 * ZooKeeper 3.8 server, shared 2-core machine at load 9): 6 sessions of 150 requests in flight read
 * it in a median 4.3 s against 5.6 s for 3 of 300 (7 paired runs, 6 sessions faster in each), with a
 * quarter less server CPU. The same 900 requests in flight in all: ZooKeeper stops reading from its
 * clients above 1,000 outstanding requests (globalOutstandingLimit). Without ACLs (data in multiRead
 * batches) the same settings read that tree in 0.4-0.5 s.
 */
export const PREFLIGHT_READ = { sessions: 6, window: 150 } as const;

/**
 * Whether the preflight reads every source ACL. Only `--no-precopy` needs it: its copy runs inside
 * the write freeze, where a refusal would cost the cluster a freeze. The pre-copy reads every ACL
 * as it copies them, before anything is stopped (acl-guard.ts), and recover and reconfig copy no
 * ACL. The ACLs are most of the read's time: one getACL request per node, which no multiRead can
 * carry (at 100,000 znodes here, 3.7 s with them against 0.6 s for data and stats alone).
 */
export function aclCheckOf(p: { method: string; precopy: boolean }): 'preflight' | 'copy' | 'none' {
  if (p.method !== 'copy') return 'none';
  return p.precopy ? 'copy' : 'preflight';
}

async function readSource(source: string, root: string, readAcl: boolean, signal: AbortSignal): Promise<SourceRead> {
  try {
    const src = await connectZk(source, 'source');
    try {
      // Data of the nodes the checks judge only, and no digest (nothing compares it): at 100,000
      // znodes hashing, indexing and keeping every partition node cost more than reading them.
      return { tree: await readTree(src, root, { keepData: readAcl ? true : judgedNode, digest: false, readAcl, signal, ...PREFLIGHT_READ }) };
    } finally {
      src.close();
    }
  } catch (e) {
    return { error: e };
  }
}

async function checks(env: RunEnv, hooks: PreflightHooks, progress: (m: string) => void, signal: AbortSignal): Promise<PreflightFacts> {
  const { cluster, params } = env;
  const problems: string[] = [];
  const warnings: string[] = [];
  const say = progress;

  say(`asking the ${cluster.metas.length} agents for facts, meta configs and the audit`);
  const targets = targetsOf([cluster]);
  const configs = await readMetaConfigs({ pool: env.pool, targets, keys: [...MIGRATION_KEYS, ...ZK_AUTH_KEYS, ...EXTRA_KEYS] });
  // The run lock lives in the source ensemble: take it as soon as the configs name the source, so
  // that a second coordinator is told so before it reports the first one's work as problems.
  const named = configs.find((c) => c.value?.values['zookeeper.hosts_list'])?.value?.values['zookeeper.hosts_list'];
  if (named) await hooks.onSource?.(named, canonicalValue({ section: 'meta_server', key: 'cluster_root' }, configs.find((c) => c.value)!.value!.values['meta_server.cluster_root'] ?? '/'));
  // The source and root the checks below judge (the first config read; the audit judges drift).
  const c0 = configs.find((c) => c.value)?.value?.values ?? {};
  const source = c0['zookeeper.hosts_list'] ?? '';
  const root = canonicalValue({ section: 'meta_server', key: 'cluster_root' }, c0['meta_server.cluster_root'] ?? '/');
  // The tree read is the preflight's longest part with ACLs (aclCheckOf), and the agents, the audit
  // and the shell spend their time waiting on other processes: so it starts now, after the run
  // lock (onSource) and before anything else, and its result is judged below in the same place and
  // order as before. It only reads; nothing is written before the preflight passes.
  const aclCheck = aclCheckOf(params);
  if (source) say(`reading ${root} on the source ${source}${aclCheck === 'preflight' ? ' with every ACL' : ''} while the other checks run`);
  const sourceRead = source ? readSource(source, root, aclCheck === 'preflight', signal) : undefined;
  const [facts, audit] = await Promise.all([env.pool.run(targets, (c) => c.facts()), auditFleet({ clusters: [cluster], pool: env.pool, shellFor: () => env.shell })]);
  const unreachable = new Set<string>();
  for (const f of facts) {
    const m = cluster.metas.find((x) => x.name === f.host)!;
    if (f.status === 'unreachable' || f.status === 'failed') {
      unreachable.add(f.host);
      problems.push(`agent of ${f.host} (${f.agent}) ${f.status === 'unreachable' ? 'does not answer' : 'failed'}: ${f.error?.message ?? ''}`);
      continue;
    }
    const svc = f.value!.services.find((x) => x.name === m.metaService);
    if (!svc) problems.push(`agent of ${f.host} does not manage a service named ${m.metaService} (meta_service in the inventory)`);
    else if (svc.state !== 'active') problems.push(`meta on ${f.host} is not running (service ${svc.name} is ${svc.state}); every meta must run before a migration`);
  }
  // The audit (zkmig audit) is the one judge of the configs: server_list vs the inventory, drift
  // between metas, hosts_list under [meta_server], recovery mode left on, placeholders, edits not
  // applied... Its errors refuse the migration, its warnings are shown.
  for (const fd of audit.clusters[0]?.findings ?? []) {
    if (fd.code === 'agent-unreachable' && fd.hosts.every((h) => unreachable.has(h))) continue; // said above
    if (fd.severity === 'error') problems.push(`audit: ${fd.message}`);
    else warnings.push(`audit: ${fd.message}`);
  }
  const read: { host: string; cfg: MetaConfig }[] = [];
  for (const c of configs) {
    if (c.value) read.push({ host: c.host, cfg: c.value });
    else if (!unreachable.has(c.host)) problems.push(`cannot read the meta config of ${c.host}: ${c.error?.message ?? c.status}`);
  }
  const metas: MetaFacts[] = [];
  for (const { host, cfg } of read) {
    const m = cluster.metas.find((x) => x.name === host)!;
    const v = (k: string): string => cfg.values[k] ?? '';
    metas.push({ name: host, metaAddress: m.metaAddress, agent: m.agentAddress, config: cfg.path, sha256: cfg.sha256, hostsList: v('zookeeper.hosts_list'), recover: v('meta_server.recover_from_replica_server') || 'false' });
  }
  const lockRoot = canonicalValue({ section: 'meta_server', key: 'distributed_lock_service_parameters' }, c0['meta_server.distributed_lock_service_parameters'] ?? '');
  const timing = timingFrom(c0);
  const zkTimeoutMs = Number(c0['zookeeper.timeout_ms'] ?? '') || 30000;
  if (root === '/') warnings.push('cluster_root is "/": the whole ensemble is the cluster tree');
  if (source && listItems(source).join(',') === listItems(params.to).join(',')) problems.push(`--to ${params.to} is the ensemble the cluster already uses`);
  // Operator mistakes, not cluster states: refused as bad input (exit 2) before anything else is looked at.
  const mistakes: string[] = [];
  if (source && !problems.some((x) => x.includes('is the ensemble the cluster already uses'))) mistakes.push(...(await sameEnsembleProblems(source, params.to)));
  for (const m of metas) for (const x of cClientHostProblems(m.hostsList)) mistakes.push(`${m.name}: [zookeeper] hosts_list = ${m.hostsList}: ${x}`);
  if (mistakes.length > 0) throw new InvalidInputError(`preflight found ${mistakes.length} problem(s); nothing was changed:\n  - ${mistakes.join('\n  - ')}`, { context: { problems: mistakes } });
  if (!source && problems.length === 0) problems.push('no meta config could be read, so the source ensemble is unknown');
  if (problems.length > 0) throw refuse(problems);

  say(`checking cluster health on ${source}${root}`);
  // Each shell command is its own shell process (~0.2 s of CPU for the simulated shell, on the
  // machine that reads the tree meanwhile): the health check takes the cluster_info and `nodes -d`
  // read here instead of asking again, and the stored level is asked only when cluster_info's
  // effective one is not steady or lively (checkHealth's level check asks then): Pegasus lowers the
  // stored level only to freezed (src/meta/meta_service.h, meta_service::get_function_level), so an
  // effective steady or lively is the stored one. Four shell processes instead of seven.
  const infoP = env.shell.clusterInfo();
  // `nodes -d` parsed once, for the health check and below; its banner (the shell's version) is read below too.
  const nodesP = env.shell.exec('nodes -d').then((raw) => ({ raw, list: parseListNodes(raw.text, 'nodes -d') }));
  const shellReads = Promise.allSettled([infoP, env.shell.listApps({ all: true }), nodesP]);
  const health = await checkHealth({
    cluster,
    shell: env.shell,
    expectZk: { hosts: source, root },
    reads: { clusterInfo: infoP, listNodes: nodesP.then((n) => n.list) },
  });
  const [infoRead, appsRead, nodesRead] = await shellReads;
  if (health.verdict !== 'healthy') {
    for (const c of health.checks) if (c.status === 'fail' || c.status === 'unknown') problems.push(`cluster health: ${c.message}`);
  }
  let leader = '';
  let level: MetaLevel = 'steady';
  const tables: TableFacts[] = [];
  const dropped: TableFacts[] = [];
  const nodes: NodeFacts[] = [];
  try {
    const info = valueOf(infoRead);
    const lm = metaByAddress(cluster, info.primaryMetaServer);
    if (!lm) problems.push(`the leader ${info.primaryMetaServer} is not one of the inventory's metas (${cluster.metaServers})`);
    else leader = lm.name;
    // The stored level: the effective one, unless the health check had to ask (not steady or lively).
    level = health.level?.stored ?? info.metaFunctionLevel;
    const apps = valueOf(appsRead);
    for (const a of apps.apps) (a.status === 'DROPPED' ? dropped : tables).push({ appId: a.appId, name: a.appName, partitionCount: a.partitionCount, status: a.status });
    const { raw, list: nl } = valueOf(nodesRead);
    for (const n of nl.nodes) nodes.push({ address: n.address, status: n.status, replicaCount: n.replicaCount ?? 0 });
    // recover's node list is checked now, before anything is stopped: a v2.5.0 shell refuses host
    // names only once every meta is down (coordinator/lib/shell/recover-nodes.ts).
    if (params.method === 'recover') problems.push(...recoverNodeProblems(nl.nodes.filter((n) => n.status === 'ALIVE').map((n) => n.address), raw.banner.version));
  } catch (e) {
    if (health.verdict === 'healthy') problems.push(`reading the cluster through the shell failed: ${toAppError(e).message}`);
  }
  if (!['steady', 'lively'].includes(level)) {
    const which = health.level?.stored !== undefined ? 'stored meta level' : 'meta level (effective: the stored one could not be read)';
    problems.push(`the ${which} is ${level}; a migration starts from steady or lively`);
  }
  const unalive = nodes.filter((n) => n.status !== 'ALIVE');
  if (params.method === 'recover' && unalive.length > 0 && !params.allowUnalive) {
    problems.push(`recover: ${unalive.length} replica server(s) are not ALIVE (${unalive.map((n) => n.address).join(', ')}); their replicas cannot be collected (pass --allow-unalive to accept the loss)`);
  }

  say(`waiting for the read of ${root} on the source ${source}`);
  let size = { nodes: 0, bytes: 0, ephemeral: 0, digest: '', maxMzxid: '0' };
  let losses: TreeLosses = { duplications: 0, backupPolicies: 0, bulkLoads: 0, droppedTables: [], rangerPolicies: false, lines: [] };
  let saslAcls = 0;
  try {
    // One walk of the tree gives its size and the data of the nodes judged below (every node's
    // data and ACL with --no-precopy). `source` is set here: an unknown source refused above.
    const got = await sourceRead!;
    if ('error' in got) throw got.error;
    const t = got.tree;
    if (!t.exists) problems.push(`cluster_root ${root} does not exist in the source ensemble ${source}`);
    size = { nodes: t.nodes, bytes: t.bytes, ephemeral: t.ephemeral.length, digest: t.digest, maxMzxid: t.maxMzxid };
    if (t.exists && aclCheck === 'preflight') {
      saslAcls = t.list.filter((n) => n.acl.some((a) => a.scheme === 'sasl')).length;
      // What the copy would refuse (coordinator/lib/zk/masked-acl.ts), found here, before any change.
      const masked = t.list.filter((n) => n.acl.some(isMaskedDigest)).map((n) => `${root}${n.rel}`);
      if (masked.length > 0) {
        problems.push(
          `the source session sees the digest ACL of ${masked.length} node(s) masked as "user:x" (no ADMIN on them): ${masked.slice(0, 5).join(', ')}${masked.length > 5 ? ', ...' : ''}; the copy would write wrong ACLs. ${maskedFix(masked.length)}`,
        );
      }
    }
    if (t.exists) {
      if (params.method === 'recover') losses = lossesOf(t.list);
      const jobs = runningJobsOf(t.list);
      if (jobs.length > 0 && !params.allowRunningJobs) {
        problems.push(`metadata writers are active: ${jobs.join('; ')}. Pause them first (blind does not stop them; a bulk-load start even lifts blind), or pass --allow-running-jobs to accept the risk`);
      } else for (const j of jobs) warnings.push(`active (--allow-running-jobs): ${j}`);
    }
  } catch (e) {
    problems.push(`the source ensemble ${source}: ${toAppError(e).message}`);
  }

  say(`checking which authentication the metas, ${source} and ${params.to} use`);
  const zsec = runZkSecurity(cluster, params.to);
  const metaAuth = metaZkAuth(c0);
  const metaService = metaAuth.mechanisms.includes('GSSAPI') ? metaAuth.serviceName : undefined;
  const [srcAuth, dstAuth] = await Promise.all([probeEnsembleAuth(source, zsec.resolve(source)), probeEnsembleAuth(params.to, zsec.resolve(params.to), metaService)]);
  const auth = judgeZkAuth(metaAuth, srcAuth, dstAuth, saslAcls, zsec.saslFor);
  problems.push(...auth.problems);
  warnings.push(...auth.warnings);

  let reconfig: ReconfigFacts | undefined;
  if (params.method === 'reconfig') {
    // The new servers already follow the old ensemble's leader and serve its tree: the target is
    // the same ensemble, so the emptiness check below does not apply; ZooKeeper's own view does.
    say(`checking that ${source} can be reconfigured to ${params.to}`);
    try {
      const auth = reconfigAuth(env.env);
      reconfig = await reconfigPreflight({ source, to: params.to, ...(auth ? { auth } : {}) }, say);
      warnings.push(...reconfig.warnings);
    } catch (e) {
      const ctx = (toAppError(e).context as { problems?: string[] } | undefined)?.problems;
      problems.push(...(ctx ?? [`reconfig: ${toAppError(e).message}`]).map((x) => `reconfig: ${x}`));
    }
  }
  say(`checking the target ${params.to}`);
  const dst = params.method === 'reconfig' ? undefined : await connectZk(params.to, 'target').catch((e: unknown) => {
    problems.push(toAppError(e).message);
    return undefined;
  });
  if (dst) {
    try {
      const e = await isEmptyRoot(dst, root);
      const live = e.empty ? [] : (await fingerprint(params.to, root)).ephemeral;
      if (!e.empty && live.length > 0) {
        // Live ephemeral nodes (leader locks): a running cluster uses this tree. Never suggest deleting it.
        problems.push(`the target ${params.to} already has ${root} and it is in use: ${live.length} live ephemeral node(s) (${live.slice(0, 3).join(', ')}), the leader locks of running metas. Is --to the cluster's own ensemble under another name? Never delete this tree`);
      } else if (!e.empty) {
        problems.push(
          `the target ${params.to} already has ${root} with ${e.children} child node(s) and ${e.dataBytes} byte(s) of data; a migration only writes into an absent or empty cluster_root ` +
            `(remove it with "zkmig zk rm -r ${params.to}${root} --yes" if it is garbage)`,
        );
      }
      const negotiated = await negotiatedTimeout(params.to, zkTimeoutMs);
      if (negotiated !== undefined && negotiated !== zkTimeoutMs) {
        warnings.push(`the target grants ${negotiated} ms sessions where the metas ask for [zookeeper] timeout_ms = ${zkTimeoutMs} (its min/maxSessionTimeout); docs/pegasus-internals.md §8.9`);
      }
    } catch (e) {
      // e.g. SESSIONCLOSEDREQUIRESASLAUTH from a target that enforces SASL: a problem among the others, not a crash.
      problems.push(`the target ${params.to}: ${toAppError(e).message}`);
    } finally {
      dst.close();
    }
  }
  if (problems.length > 0) throw refuse(problems);
  warnings.push(...(await commandBackendWarnings(env)));
  for (const w of [...warnings, ...health.warnings]) env.emit({ kind: 'warning', step: 'preflight', message: w });
  // Said before the operator confirms (and in --json runs, where no plan is printed).
  for (const l of losses.lines) env.emit({ kind: 'warning', step: 'preflight', message: `recovery cannot restore: ${l}` });
  const inactive = params.inactiveWaitMs ?? inactiveWaitMs(timing);
  return {
    method: params.method,
    source,
    target: params.to,
    root,
    lockRoot,
    leader,
    level,
    metas,
    tables,
    dropped,
    nodes,
    timing,
    zkTimeoutMs,
    size,
    losses,
    inactiveWaitMs: inactive,
    estimateMs: estimateMs(params.method, size.nodes, inactive, zkTimeoutMs),
    warnings,
    aclCheck,
    targetSaslAbsent: dstAuth.error === undefined && dstAuth.sasl === 'absent',
    ...(reconfig ? { reconfig } : {}),
  };
}

/** A settled read's value, or its error thrown (as the read itself would have). */
function valueOf<T>(r: PromiseSettledResult<T>): T {
  if (r.status === 'rejected') throw r.reason;
  return r.value;
}

function refuse(problems: string[]): PreconditionError {
  return new PreconditionError(`preflight found ${problems.length} problem(s); nothing was changed:\n  - ${problems.join('\n  - ')}`, { context: { problems } });
}

/** The session timeout the ensemble grants for `askMs` (ZooKeeper clamps it to its min/max). */
async function negotiatedTimeout(hosts: string, askMs: number): Promise<number | undefined> {
  let s: ZkSession | undefined;
  try {
    s = await ZkSession.connect(hosts, { sessionTimeoutMs: askMs, connectTimeoutMs: ZK_CONNECT_MS });
    return s.client.getSessionTimeout();
  } catch {
    return undefined;
  } finally {
    s?.close();
  }
}
