import { AppError, findCause, ShellCommandError, VerifyError, toAppError } from '../../../shared/errors';
import type { IniEdit } from '../../../shared/ini';
import { readMetaConfigs, setConfig } from '../config-edit';
import { targetsOf } from '../fleet';
import { formatZk, sameZk, waitHealthy, ZkView } from '../health';
import type { MetaHost, PegasusCluster } from '../inventory';
import type { ClusterInfo } from '../shell/types';
import { metaByName, RunEnv } from './env';
import { Journal } from './journal';
import { controlMeta, metaState } from './meta-ops';
import type { MigrateParams } from './params';
import type { PreflightFacts, TableFacts } from './preflight';
import type { StepContext } from './runner';
import { sleep } from '../../../shared/process';

/** Helpers shared by the copy, recover and rollback steps. */

export function factsOf(ctx: StepContext): PreflightFacts {
  return ctx.results.requireFacts();
}

// What the plan shows of a step (step-types.ts MethodStep hosts and detail).

export const noHosts = (): string[] => [];
export const leaderName = (f: PreflightFacts): string[] => [f.leader];
export const followerNames = (f: PreflightFacts, cluster: PegasusCluster): string[] => cluster.metas.filter((m) => m.name !== f.leader).map((m) => m.name);
export const allNames = (_f: PreflightFacts, cluster: PegasusCluster): string[] => cluster.metas.map((m) => m.name);
export const noDetail = (): string => '';

export function secs(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}

/** stay-stopped.ts: a meta a supervisor brings back stops the run. */
export function stayText(params: MigrateParams): string {
  return params.stayStoppedMs > 0 ? `; each stopped meta must stay down for ${secs(params.stayStoppedMs)} (a supervisor restarting it stops the run)` : '';
}

export function leaderOf(env: RunEnv, f: PreflightFacts): MetaHost {
  return metaByName(env.cluster, f.leader);
}

export function followersOf(env: RunEnv, f: PreflightFacts): MetaHost[] {
  return env.cluster.metas.filter((m) => m.name !== f.leader);
}

/** The Pegasus error code a shell command printed (ERR_UNDER_RECOVERY...), walking `cause`. */
export function shellCode(e: unknown): string | undefined {
  return findCause(e, (x): x is ShellCommandError => x instanceof ShellCommandError)?.errorCode;
}

export { sleep };

export const CONFIG_EDITS_NOTE = 'config-edits';

/** Per host, the config versions this run knows: the preflight's and every one its own edits wrote. */
function knownShas(env: RunEnv, f: PreflightFacts): Map<string, Set<string>> {
  const m = new Map<string, Set<string>>(f.metas.map((x) => [x.name, new Set([x.sha256])]));
  if (!env.journal) return m;
  for (const e of Journal.read(env.journal.file)) {
    if (e.kind !== 'note' || e.text !== CONFIG_EDITS_NOTE) continue;
    for (const [host, sha] of Object.entries((e.data?.after ?? {}) as Record<string, string>)) m.get(host)?.add(sha);
  }
  return m;
}

/**
 * Apply `edits` to the configs of `hosts` through the agents (backups kept), report each host,
 * and journal the backup paths before returning. Each host's edit is guarded by the sha256 read
 * just before, so a concurrent edit by someone else fails that host instead of being overwritten.
 */
export async function editConfigs(env: RunEnv, ctx: StepContext, hosts: readonly MetaHost[], edits: IniEdit[], f: PreflightFacts): Promise<Record<string, string>> {
  const names = hosts.map((h) => h.name);
  const current = await readMetaConfigs({ pool: env.pool, targets: targetsOf([env.cluster], names) });
  const expected: Record<string, string> = {};
  const known = knownShas(env, f);
  for (const c of current) {
    if (!c.value) throw new AppError(c.error?.code === 'UNAVAILABLE' ? 'UNAVAILABLE' : 'INTERNAL', `cannot read the config of ${c.host}: ${c.error?.message ?? c.status}`, { cause: c.error });
    expected[c.host] = c.value.sha256;
    const ours = edits.every((e) => (c.value!.values[`${e.section}.${e.key}`] ?? null) === (e.absent ? null : e.value));
    if (!known.get(c.host)?.has(c.value.sha256) && !ours) ctx.warn(`${c.host}: ${c.value.path} changed since the preflight, not by this run; editing the current version`);
  }
  const r = await setConfig({ pool: env.pool, cluster: env.cluster, edits, hosts: names, checkMode: env.check, expectedSha256: expected });
  const backups: Record<string, string> = {};
  const after: Record<string, string> = {};
  for (const h of r.hosts) {
    if (h.value) {
      ctx.hostResult(h.host, h.status === 'changed' ? 'changed' : 'ok', `${env.check ? '(check mode) ' : ''}${h.value.msg}`, h.value.diff || undefined);
      if (h.value.backupFile) backups[h.host] = h.value.backupFile;
      after[h.host] = h.value.afterSha256;
    } else ctx.hostResult(h.host, h.status === 'unreachable' ? 'unreachable' : 'failed', h.error?.message ?? h.status);
  }
  if (!env.check) env.note(CONFIG_EDITS_NOTE, { step: ctx.step, backups, after });
  const bad = r.hosts.filter((h) => !h.value);
  if (bad.length > 0) throw new AppError(bad.some((b) => b.status === 'unreachable') ? 'UNAVAILABLE' : 'INTERNAL', `config edit failed on ${bad.map((b) => `${b.host} (${b.error?.message ?? b.status})`).join('; ')}`, {
      // The agent's own error: the runner runs the step again when it was only unreachable (transient.ts).
      cause: bad.find((x) => x.error)?.error,
    });
  return backups;
}

/**
 * Poll `cluster_info` until a leader answers from `zk` (hosts and root). Fails early when the
 * meta that should lead is not running any more (an agent reports it failed or stopped: for
 * example it could not reach its ZooKeeper and exited, docs/pegasus-internals.md §8.10).
 */
export async function waitServing(env: RunEnv, ctx: StepContext, zk: ZkView, watch: MetaHost[], timeoutMs: number, o: { allowRecovery?: boolean } = {}): Promise<ClusterInfo | 'under-recovery'> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  let dead: string | undefined;
  // The shell can take its whole RPC timeout to give up on metas that are down, so a watcher asks
  // the agents meanwhile and ends the wait as soon as every meta that should serve has died.
  let watching = true;
  const watcher = (async () => {
    while (watching && watch.length > 0) {
      const states = await Promise.all(watch.map(async (h) => ({ h, s: await metaState(env, h).catch((e: unknown) => `unknown (${toAppError(e).message})`) })));
      if (states.every((x) => x.s === 'failed' || x.s === 'inactive')) {
        dead = states.map((d) => `${d.h.name} is ${d.s}`).join(', ');
        return;
      }
      await sleep(500);
    }
  })();
  // With nothing to watch (a leader run outside the agent) only the deadline ends the wait.
  const stopped = watch.length === 0 ? new Promise<void>(() => undefined) : new Promise<void>((resolve) => void watcher.then(resolve, resolve));
  try {
    for (let round = 0; ; round++) {
      const attempt = (async (): Promise<ClusterInfo | 'under-recovery' | undefined> => {
        try {
          const info = await env.shell.clusterInfo();
          if (sameZk({ hosts: info.zookeeperHosts, root: info.zookeeperRoot }, zk)) return info;
          last = `the leader ${info.primaryMetaServer} still uses ${info.zookeeperHosts}${info.zookeeperRoot}`;
        } catch (e) {
          if (o.allowRecovery && shellCode(e) === 'ERR_UNDER_RECOVERY') return 'under-recovery';
          last = toAppError(e).message;
        }
        return undefined;
      })();
      const r = await Promise.race([attempt, stopped.then(() => undefined)]);
      if (r !== undefined) return r;
      if (dead !== undefined) throw new AppError('UNAVAILABLE', `no meta to serve from ${formatZk(zk)}: ${dead}${last ? ` (last answer: ${last})` : ''}`);
      if (Date.now() > deadline) throw new AppError('TIMEOUT', `no leader served from ${formatZk(zk)} within ${Math.round(timeoutMs / 1000)} s (last answer: ${last})`);
      if (round % 5 === 0) ctx.progress(`waiting for a leader on ${formatZk(zk)}: ${last}`);
      await sleep(300);
    }
  } finally {
    watching = false;
  }
}

/** waitHealthy on `zk`, reporting progress; VerifyError listing what is still wrong at the deadline. */
export async function requireHealthy(env: RunEnv, ctx: StepContext, zk: ZkView, timeoutMs: number, o: { allMetas?: boolean } = {}): Promise<void> {
  const r = await waitHealthy(
    { cluster: env.cluster, shell: env.shell, expectZk: zk, ...(o.allMetas === false ? { allMetas: false } : {}) },
    {
      deadline: Date.now() + timeoutMs,
      intervalMs: 500,
      onReport: (rep, attempt) => {
        if (rep.verdict !== 'healthy' && attempt % 4 === 1) ctx.progress(`not healthy yet: ${rep.problems.concat(rep.checks.filter((c) => c.status === 'unknown').map((c) => c.message)).join('; ')}`);
      },
    },
  );
  if (!r.healthy) {
    const why = r.report.checks.filter((c) => c.status !== 'pass' && c.status !== 'skipped').map((c) => c.message);
    throw new VerifyError(`the cluster is not healthy on ${formatZk(zk)} after ${Math.round(r.waitedMs / 1000)} s: ${why.join('; ')}`);
  }
}

/** Same tables (id, name, partition count) as before; extra tables allowed only when `allowExtra` lists them. */
export async function compareTables(env: RunEnv, before: readonly TableFacts[], allowExtraIds: readonly number[] = []): Promise<string[]> {
  const apps = await env.shell.listApps();
  const now = apps.apps.filter((a) => a.status === 'AVAILABLE');
  const diffs: string[] = [];
  for (const b of before) {
    const n = now.find((a) => a.appId === b.appId);
    if (!n) diffs.push(`table ${b.name} (id ${b.appId}) is missing`);
    else if (n.appName !== b.name || n.partitionCount !== b.partitionCount) diffs.push(`table id ${b.appId} was ${b.name}/${b.partitionCount} partitions, is ${n.appName}/${n.partitionCount}`);
  }
  for (const n of now) if (!before.some((b) => b.appId === n.appId) && !allowExtraIds.includes(n.appId)) diffs.push(`unexpected table ${n.appName} (id ${n.appId})`);
  return diffs;
}

/** Start every meta but the leader, which already serves (copy's start-followers, recover's start-others). */
export async function startFollowers(env: RunEnv, ctx: StepContext, none: string): Promise<{ summary: string }> {
  const f = factsOf(ctx);
  for (const h of followersOf(env, f)) await controlMeta(env, ctx, h, 'start');
  return { summary: `${followersOf(env, f).map((h) => h.name).join(', ') || none} started` };
}

export function requireNotCheck(env: RunEnv, ctx: StepContext, what: string): boolean {
  if (env.check) {
    ctx.progress(`(check mode) would ${what}`);
    return false;
  }
  return true;
}
