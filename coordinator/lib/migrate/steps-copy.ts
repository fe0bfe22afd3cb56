import { AppError, PreconditionError, VerifyError } from '../../../shared/errors';
import type { ZkSession } from '../../../shared/zk/client';
import { formatZk, sameZk, ZkView } from '../health';
import type { MetaHost } from '../inventory';
import { sleep } from '../../../shared/process';
import { metaByAddress, RunEnv } from './env';
import { controlMeta } from './meta-ops';
import { comparePartitions } from './partitions';
import { connectZk, TableFacts } from './preflight';
import type { StepContext } from './runner';
import { MethodStep, MethodStepName, step } from './step-types';
import { allNames, compareTables, editConfigs, factsOf, followerNames, followersOf, leaderName, leaderOf, noDetail, noHosts, requireHealthy, requireNotCheck, secs, startFollowers, stayText, waitServing } from './steps-common';
import { FINAL_HEALTH_STEP } from './steps-final';
import { copyTree } from '../zk/copy';
import type { CopySummary } from '../zk/copy-types';
import { fingerprint, readTree } from '../zk/tree-read';
import { partitionsOf, tablesOf, waitTrustworthy } from './steps-trust';
import { sizedTimeoutMs, trustAfterStartMs } from './timing';
import { LeaderStartTimes, watchLeaderStart } from './leader-start';
import { endStaysStopped, portAnswers, requireStaysStopped, settleStaysStopped, startStaysStopped } from './stay-stopped';
import { migrationAclGuard } from './acl-guard';

/**
 * The guide's zkcopy procedure (docs/pegasus-internals.md §1, §6, §8), each step idempotent and re-reading the
 * real state first: find the leader; stop every follower (no split brain); `blind` on the leader;
 * check that the level is still blind (a bulk-load start lifts it) and copy `cluster_root` with
 * ephemeral LOCKNODEs skipped, verified by digest; check that the source did not change meanwhile
 * (blind does not stop DDL) and that the level is still blind; stop the
 * leader and fingerprint the source once more (recopy what changed, or abort); point every meta's
 * `[zookeeper] hosts_list` at the new ensemble; start the leader there (the point of no return
 * once it serves); wait until it serves with the same tables and partitions and, after
 * fd_grace_seconds plus a beacon, is healthy; start the followers; final health check.
 */

/** Steps whose start means some meta config may name the new ensemble (a rollback must stop every meta). */
export const COPY_CUTOVER_STEPS: readonly MethodStepName[] = ['update-configs'];
/** Steps after which the leader may be stopped (a rollback starts it again on the old ensemble). */
export const COPY_LEADER_STOPPED_STEPS: readonly MethodStepName[] = ['stop-leader'];
/** Steps that write into the target ensemble (steps-precopy.ts: the pre-copy and its finalize). */
export const COPY_TARGET_STEPS: readonly MethodStepName[] = ['copy', 'precopy', 'finalize'];

export async function withZk<T>(hosts: [string, string], fn: (src: ZkSession, dst: ZkSession) => Promise<T>): Promise<T> {
  const src = await connectZk(hosts[0], 'source');
  try {
    const dst = await connectZk(hosts[1], 'target');
    try {
      return await fn(src, dst);
    } finally {
      dst.close();
    }
  } finally {
    src.close();
  }
}

/** The first differences between the source now and the copy (for the operator). */
async function describeChange(src: ZkSession, dst: ZkSession, root: string): Promise<string> {
  const [a, b] = await Promise.all([readTree(src, root, { keepData: true }), readTree(dst, root, { keepData: true })]);
  const tgt = new Map(b.list.map((n) => [n.rel, n]));
  const srcSet = new Set(a.list.map((n) => n.rel));
  const out: string[] = [];
  for (const n of a.list) {
    const t = tgt.get(n.rel);
    if (!t) out.push(`+ ${root}${n.rel}`);
    else if (!t.data.equals(n.data)) out.push(`~ ${root}${n.rel}`);
  }
  for (const n of b.list) if (!srcSet.has(n.rel)) out.push(`- ${root}${n.rel}`);
  return out.length === 0 ? 'no node differs (only stat versions moved)' : `${out.slice(0, 10).join(', ')}${out.length > 10 ? ` and ${out.length - 10} more` : ''}`;
}

async function currentTables(env: RunEnv): Promise<TableFacts[]> {
  const apps = await env.shell.listApps();
  return apps.apps.filter((a) => a.status === 'AVAILABLE').map((a) => ({ appId: a.appId, name: a.appName, partitionCount: a.partitionCount, status: a.status }));
}

/**
 * One pass of the copy engine (coordinator/lib/zk, `zkmig zk copy`): `fail` on the first attempt
 * (the preflight saw an empty target; anything there now was written by someone else), `sync`
 * when an earlier attempt of this run may have left part of the tree. Ephemeral nodes are never
 * copied; the target is read back and compared node by node.
 */
export async function copyOnce(env: RunEnv, ctx: StepContext, f: { source: string; target: string; root: string; targetSaslAbsent?: boolean }, onExists: 'fail' | 'sync', verify: 'target' | 'full' = 'target'): Promise<CopySummary> {
  const r = await copyTree({
    source: `${f.source}${f.root}`,
    target: `${f.target}${f.root}`,
    onExists,
    dryRun: env.check,
    verify,
    // With --no-precopy the preflight read every source ACL and refused the bad ones, outside the
    // write freeze; the copy need not walk the tree once more for them, and still checks each as it
    // reads it (an ACL changed since; the pre-copy's fallback copy, which the preflight left to it).
    sourceAclsChecked: true,
    aclGuard: migrationAclGuard(f),
    sessionTimeoutMs: 10000,
    onProgress: (pr) => ctx.progress(`${pr.phase}: ${pr.nodes}${pr.total ? `/${pr.total}` : ''} nodes`, pr.total ? Math.min(1, pr.nodes / pr.total) : undefined),
  });
  if (!env.check && r.verify && !r.verify.ok) {
    throw new VerifyError(`the copy did not verify: ${r.verify.count.missing} missing, ${r.verify.count.changed} different, ${r.verify.count.extra} extra node(s) on ${f.target}${f.root}`);
  }
  // Warnings about the skipped lock nodes are expected here (the leader still holds its own on
  // the source, stopped followers' nodes last until their sessions time out): the summary says it.
  for (const w of r.warnings) if (!r.skippedEphemeral.paths.some((p) => w.includes(p))) ctx.warn(`copy: ${w}`);
  if (r.skippedEphemeral.count > 0) ctx.progress(`skipped ${r.skippedEphemeral.count} ephemeral node(s): ${r.skippedEphemeral.paths.join(', ')}`);
  return r;
}

/**
 * The leader must still be at blind. A bulk-load start sets the level back to steady
 * (src/meta/meta_bulk_load_service.cpp, bulk_load_service::on_start_bulk_load calls
 * set_function_level(fl_steady)), and at steady partition configs move on the source while it is
 * copied. Refused unless --allow-running-jobs, which sets blind again and goes on.
 */
export async function requireStillBlind(env: RunEnv, ctx: StepContext, when: string): Promise<void> {
  const level = await env.shell.getMetaLevel();
  if (level === 'blind') return;
  const msg = `${when}, the leader's meta level is ${level}, no longer blind (a bulk load started? start_bulk_load sets the level to steady)`;
  if (!env.params.allowRunningJobs) throw new PreconditionError(`${msg}; pause the bulk load and migrate again (or pass --allow-running-jobs to accept the risk)`);
  ctx.warn(`${msg}; setting blind again (--allow-running-jobs)`);
  await env.shell.setMetaLevel('blind');
}

/**
 * stop-followers, shared by both copy variants. The stays-stopped window runs inside the step: a
 * follower a supervisor restarts is found before the leader is made blind or stopped, while a
 * rollback can still leave that restarted copy alone (rollback.ts rollback-start-metas). Running
 * the window alongside the next steps would save its length in the pre-copy's freeze, but a meta
 * restarted late in it is then found only in update-configs, after the configs changed, where the
 * rollback cannot start the agent's meta beside the supervisor's copy (tried: rollback-failed).
 */
export function stopFollowersStep(beforeFreeze?: (env: RunEnv, ctx: StepContext) => Promise<void>): MethodStep<'stop-followers'> {
  return step({
    name: 'stop-followers',
    title: () => 'Stop every follower meta',
    hosts: followerNames,
    detail: (params, f) => `${f.leader} keeps leading alone${stayText(params)}; the write freeze starts after it`,
    run: async (env, ctx) => {
      const f = factsOf(ctx);
      if (!env.check) {
        // The preflight's leader must still lead: stopping "followers" of a moved leadership would stop the leader.
        const info = await env.shell.clusterInfo();
        const now = metaByAddress(env.cluster, info.primaryMetaServer);
        if (now?.name !== f.leader) throw new PreconditionError(`the leader moved from ${f.leader} to ${now?.name ?? info.primaryMetaServer} since the preflight; nothing was stopped`);
      }
      for (const h of followersOf(env, f)) await controlMeta(env, ctx, h, 'stop');
      // The leader still serves every write while the followers' stays-stopped window runs: the
      // freeze starts once they proved they stay down, right before set-blind. Work that need not
      // be frozen (the pre-copy's ACL sweep) runs alongside the window.
      await Promise.all([requireStaysStopped(env, ctx, followersOf(env, f)), env.check ? undefined : beforeFreeze?.(env, ctx)]);
      // From here on they are watched in the background until the leader serves (stay-stopped.ts).
      await startStaysStopped(env, ctx, followersOf(env, f));
      env.freeze('start', `followers of ${f.leader} stopped and staying stopped`);
      return { summary: `${followersOf(env, f).map((h) => h.name).join(', ') || 'no follower'} stopped; ${f.leader} leads alone` };
    },
  });
}

/**
 * start-leader's agent start failed (`err`): a meta that something else started on the leader's
 * port (its supervisor) and that serves from the new ensemble is taken as the new leader, with a
 * warning (the agent cannot stop it later: its supervisor must). Otherwise `err` is thrown again.
 * Serving is awaited while the port answers, within the leader's deadline; naming the old
 * ensemble ends the wait at once.
 */
async function outsideLeader(env: RunEnv, ctx: StepContext, h: MetaHost, zk: ZkView, seen: LeaderStartTimes, err: unknown): Promise<LeaderStartTimes> {
  if (seen.servingAt !== undefined) return seen; // the watch saw it serve (and journaled it)
  const deadline = Date.now() + env.params.leaderTimeoutMs;
  while (Date.now() < deadline && (await portAnswers(h.address, h.metaPort))) {
    const info = await env.shell.clusterInfo().catch(() => undefined);
    if (info && sameZk({ hosts: info.zookeeperHosts, root: info.zookeeperRoot }, zk)) {
      servedFromNew(env, `${info.primaryMetaServer} serves from ${formatZk(zk)} (started outside the agent)`);
      ctx.warn(`${h.name}: the agent's start of ${h.metaService} failed, but a copy started outside the agent (a supervisor?) holds its port and serves from ${formatZk(zk)}: the run goes on with it as the new leader; stop it through its supervisor, or let the agent own the process (systemd backend)`);
      return { ...seen, servingAt: Date.now() };
    }
    if (info) break; // it serves from the old ensemble
    await sleep(200);
  }
  throw err;
}

/** A meta served from the new ensemble: past the point of no return, and the write freeze is over. */
function servedFromNew(env: RunEnv, why: string): void {
  env.pointOfNoReturn(why);
  env.freeze('end', why);
}

/** The copy method's steps after the preflight, in order: planned and run from this one list. */
export const COPY_STEPS: readonly MethodStep[] = [
  stopFollowersStep(),
  step({
    name: 'set-blind',
    title: () => 'set_meta_level blind on the leader',
    hosts: leaderName,
    detail: (_p, f) => `stored level now ${f.level}; blind stops partition-config writes (not DDL)`,
    run: async (env, ctx) => {
      const f = factsOf(ctx);
      if (!requireNotCheck(env, ctx, `run set_meta_level blind on ${f.leader} (now ${f.level})`)) return {};
      const r = await env.shell.setMetaLevel('blind');
      const now = await env.shell.getMetaLevel();
      if (now !== 'blind') throw new VerifyError(`set_meta_level blind answered ok but get_meta_level says ${now}`);
      ctx.hostResult(f.leader, r.changed ? 'changed' : 'ok', `meta level blind (was ${r.oldLevel})`);
      ctx.warn('blind stops partition-config writes only: DDL, duplication and bulk-load writes still reach ZooKeeper (docs/pegasus-internals.md §6); avoid them until the cutover');
      return { summary: `level blind (was ${r.oldLevel})` };
    },
  }),
  step({
    name: 'copy',
    title: (f) => `Copy ${f.root} to ${f.target}`,
    hosts: noHosts,
    detail: (_p, f) => `${f.size.nodes} znodes, ${f.size.bytes} bytes; ${f.size.ephemeral} ephemeral node(s) (LOCKNODEs) skipped; verified by digest`,
    run: async (env, ctx) => {
      const f = factsOf(ctx);
      // Before a single node is written: a bulk load started since set-blind lifted blind, and a
      // copy taken at steady would be refused after the copy anyway, leaving a tree to clean up.
      if (!env.check) await requireStillBlind(env, ctx, 'before the copy');
      const r = await copyOnce(env, ctx, f, ctx.attempt === 1 ? 'fail' : 'sync');
      if (env.check) {
        return { summary: `would create ${r.plan?.create.count ?? 0} node(s) (${r.bytes} bytes) and skip ${r.skippedEphemeral.count} ephemeral node(s): ${r.skippedEphemeral.paths.join(', ')}` };
      }
      return {
        nodes: r.nodes,
        bytes: r.bytes,
        created: r.created,
        updated: r.updated,
        deleted: r.deleted,
        skippedEphemeral: r.skippedEphemeral.paths,
        // The source as the copy read it, and the target as read back: equal, or copyOnce threw.
        digest: r.digest,
        targetDigest: r.verify?.targetDigest ?? '',
        summary: `${r.nodes} nodes (${r.bytes} bytes) in ${r.copyMs} ms, verified (digest ${r.digest.slice(0, 19)}); ${r.skippedEphemeral.count} ephemeral node(s) skipped`,
      };
    },
  }),
  step({
    name: 'check-source',
    title: () => 'Check the source did not change',
    hosts: noHosts,
    detail: (params) => `digest and max mzxid; on a change: ${params.onSourceChange === 'recopy' ? `copy again (at most ${params.maxCopyAttempts} copies)` : 'abort and roll back'}`,
    run: async (env, ctx) => {
      const f = factsOf(ctx);
      if (!requireNotCheck(env, ctx, 'compare the source digest with the copy')) return {};
      // Again after the copy: a bulk load may have started while it ran. The recheck after the
      // leader stops copies whatever moved meanwhile.
      await requireStillBlind(env, ctx, 'after the copy');
      const copied = ctx.results.get('copy');
      if (copied?.digest === undefined) throw new AppError('INTERNAL', 'the copy step recorded no digest (a check-mode copy?)');
      let digest = copied.digest;
      let target = copied.targetDigest ?? '';
      let copies = 1;
      let now = await fingerprint(f.source, f.root);
      // The digest covers every persistent node's path, data and ACL: any DDL, duplication or
      // bulk-load write that changed the tree changes it (a write of identical bytes, which
      // would only move the mzxid, leaves the copy correct).
      while (now.digest !== digest) {
        const what = await withZk([f.source, f.target], (src, dst) => describeChange(src, dst, f.root));
        const msg = `the source changed during the copy (digest ${digest.slice(7, 19)} → ${now.digest.slice(7, 19)}, max mzxid now ${now.maxMzxid}): ${what}. blind does not stop DDL, duplication or bulk-load writes (docs/pegasus-internals.md §6)`;
        ctx.warn(msg);
        if (env.params.onSourceChange === 'abort') throw new PreconditionError(`${msg}; aborting (--on-source-change abort)`);
        if (copies >= env.params.maxCopyAttempts) throw new PreconditionError(`${msg}; still changing after ${copies} copies, giving up`);
        ctx.progress(`copying again (copy ${copies + 1} of at most ${env.params.maxCopyAttempts})`);
        const r = await copyOnce(env, ctx, f, 'sync');
        digest = r.digest;
        target = r.verify?.targetDigest ?? '';
        copies++;
        now = await fingerprint(f.source, f.root);
      }
      if (target !== digest) throw new VerifyError(`the target's digest ${target} is not the source's ${digest}`);
      // After a recopy the tables to expect are the ones copied last, not the preflight's (a drop
      // or rename went through meanwhile, and it is in the copy).
      const tables = copies > 1 ? await currentTables(env) : undefined;
      return { digest, maxMzxid: now.maxMzxid, copies, ...(tables ? { tables } : {}), summary: `source unchanged since the copy read it (digest ${digest.slice(7, 19)}, max mzxid ${now.maxMzxid})${copies > 1 ? ` after ${copies} copies` : ''}` };
    },
  }),
  step({
    name: 'stop-leader',
    title: () => 'Stop the leader',
    hosts: leaderName,
    detail: (params) => `no meta runs: nothing writes the source tree (blind does not stop drops, renames, envs, duplication, bulk load, backup)${params.stayStoppedMs > 0 ? '; every stopped meta is watched in the background, the leader until its start, the followers until it serves (a supervisor restarting one stops the run)' : ''}`,
    run: async (env, ctx) => {
      const f = factsOf(ctx);
      // blind does not stop drops, renames, app envs, duplication progress, bulk-load or backup
      // state (src/meta/server_state.cpp update_configuration_on_remote is the only gate): with
      // the leader stopped nothing writes the tree, so the recheck below is final.
      await controlMeta(env, ctx, leaderOf(env, f), 'stop');
      // Watched in the background with the followers (a resumed run watches them again too),
      // alongside the next steps: waiting here would lengthen the freeze (stay-stopped.ts).
      await startStaysStopped(env, ctx, [...followersOf(env, f), leaderOf(env, f)]);
      return { summary: `${f.leader} stopped; no meta runs` };
    },
  }),
  step({
    name: 'recheck-source',
    title: () => 'Fingerprint the source again',
    hosts: noHosts,
    detail: (params) => `compare with the copied digest; on a change: ${params.onSourceChange === 'recopy' ? 'copy the difference' : 'abort and roll back'}`,
    run: async (env, ctx) => {
      const f = factsOf(ctx);
      if (!requireNotCheck(env, ctx, 'compare the source digest with the copy once more')) return {};
      const checked = ctx.results.get('check-source');
      if (checked?.digest === undefined) throw new AppError('INTERNAL', 'the check-source step recorded no digest');
      let now = await fingerprint(f.source, f.root);
      if (now.digest === checked.digest) return { digest: now.digest, maxMzxid: now.maxMzxid, summary: `source unchanged (digest ${now.digest.slice(7, 19)})` };
      const what = await withZk([f.source, f.target], (src, dst) => describeChange(src, dst, f.root));
      const msg = `the source changed between the check and the leader's stop (digest ${checked.digest.slice(7, 19)} → ${now.digest.slice(7, 19)}): ${what}`;
      ctx.warn(msg);
      if (env.params.onSourceChange === 'abort') throw new PreconditionError(`${msg}; aborting (--on-source-change abort)`);
      const r = await copyOnce(env, ctx, f, 'sync');
      now = await fingerprint(f.source, f.root);
      // Nothing runs that may write it: a second change means someone else does (a supervisor restarted a meta?).
      if (now.digest !== r.digest) throw new PreconditionError(`the source changed again with every meta stopped (digest ${r.digest.slice(7, 19)} → ${now.digest.slice(7, 19)}): something else writes ${f.source}${f.root}; find it before migrating`);
      const tables = await tablesOf(f.source, f.root);
      return { digest: r.digest, maxMzxid: now.maxMzxid, tables, recopied: true, summary: `copied the difference again; source and copy agree (digest ${r.digest.slice(7, 19)})` };
    },
  }),
  step({
    name: 'update-configs',
    title: (f) => `[zookeeper] hosts_list = ${f.target}`,
    hosts: allNames,
    detail: () => 'through the agents, backups kept (diffs below)',
    run: async (env, ctx) => {
      const f = factsOf(ctx);
      const backups = await editConfigs(env, ctx, env.cluster.metas, [{ section: 'zookeeper', key: 'hosts_list', value: f.target }], f);
      // Nothing may run on the old config when the leader starts on the new ensemble.
      await settleStaysStopped(env, ctx, env.cluster.metas, f.leader);
      return { backups, summary: `hosts_list = ${f.target} on ${env.cluster.metas.length} meta(s)` };
    },
  }),
  step({
    name: 'start-leader',
    title: () => 'Start the leader on the new ensemble',
    hosts: leaderName,
    detail: noDetail,
    run: async (env, ctx) => {
      const f = factsOf(ctx);
      if (env.check) {
        await controlMeta(env, ctx, leaderOf(env, f), 'start');
        return {};
      }
      const zk = { hosts: f.target, root: f.root };
      // The freeze ends at the first serving answer, often inside the agent's start grace.
      const watch = watchLeaderStart(env, leaderOf(env, f), zk, (info) => servedFromNew(env, `${info.primaryMetaServer} serves from ${formatZk(zk)}`));
      let times;
      try {
        await controlMeta(env, ctx, leaderOf(env, f), 'start');
      } catch (e) {
        // The agent's start failed. When something else holds the leader's port (a supervisor the
        // agent cannot see restarted the meta after its stop: stay-stopped.ts), which config it read
        // decides: serving from the new ensemble it IS the new leader (the run goes on); on the old
        // one the start failed for good (the rollback leaves it running there).
        times = await watch.stop();
        const outside = await outsideLeader(env, ctx, leaderOf(env, f), zk, times, e);
        return { startedAt: Date.now(), ...outside, outsideAgent: true, summary: `${f.leader}: a copy of the meta started outside the agent serves from the new ensemble` };
      }
      times = await watch.stop();
      return { startedAt: Date.now(), ...times, summary: `${f.leader} started${times.servingAt ? ' and served from the new ensemble within its start grace' : ''}` };
    },
  }),
  step({
    name: 'wait-leader',
    title: (f) => `Wait until ${f.leader} serves from ${f.target}${f.root}`,
    hosts: leaderName,
    detail: (params, f) =>
    `deadline ${secs(params.leaderTimeoutMs)}; the write freeze ends; POINT OF NO RETURN once it serves; health trusted after fd_grace_seconds + a beacon (${secs(trustAfterStartMs(f.timing))}), within ${secs(sizedTimeoutMs(params.healthTimeoutMs, partitionsOf(f)))}; tables and partitions as before`,
    pointOfNoReturn: true,
    run: async (env, ctx) => {
      const f = factsOf(ctx);
      const zk = { hosts: f.target, root: f.root };
      if (!requireNotCheck(env, ctx, `wait until ${f.leader} serves from ${formatZk(zk)}`)) return {};
      // A leader started outside the agent (outsideLeader) is not the agent's to watch.
      const info = await waitServing(env, ctx, zk, ctx.results.get('start-leader')?.outsideAgent ? [] : [leaderOf(env, f)], env.params.leaderTimeoutMs);
      if (info === 'under-recovery') throw new VerifyError('the leader is in recovery mode');
      const started = ctx.results.get('start-leader');
      // Seen serving during its start already: the point of no return and the freeze end are journaled.
      if (started?.servingAt === undefined) servedFromNew(env, `${f.leader} serves from ${formatZk(zk)}`);
      const servingAt = started?.servingAt ?? Date.now();
      // The followers were watched until now (stay-stopped.ts).
      await endStaysStopped(env, ctx);
      const startedAt = started?.startedAt ?? Date.now();
      await waitTrustworthy(ctx, f, startedAt);
      // The followers are stopped on purpose until the next step.
      await requireHealthy(env, ctx, zk, sizedTimeoutMs(env.params.healthTimeoutMs, partitionsOf(f)), { allMetas: false });
      const healthyAt = Date.now();
      // With the pre-copy, tables may have been created or dropped while it ran: the ones to expect
      // are the frozen source's, read here, after the freeze (nothing has written it since finalize).
      const expected = ctx.results.get('recheck-source')?.tables ?? ctx.results.get('check-source')?.tables ?? (ctx.results.has('finalize') ? await tablesOf(f.source, f.root) : f.tables);
      const tables = await compareTables(env, expected);
      if (tables.length > 0) throw new VerifyError(`the tables differ from before the migration: ${tables.join('; ')}`);
      // Against the old tree, which nothing wrote since the leader stopped: a partition may only
      // have moved on with a newer ballot (partitions.ts).
      const parts = await withZk([f.source, f.target], (src, dst) => comparePartitions(src, dst, f.root));
      if (parts.length > 0) throw new VerifyError(`the partition configurations differ from before the migration: ${parts.slice(0, 10).join('; ')}`);
      return { servingAt, healthyAt, summary: `${info.primaryMetaServer} serves from ${formatZk(zk)}; ${expected.length} table(s) and their partitions as before` };
    },
  }),
  step({
    name: 'start-followers',
    title: () => 'Start the followers',
    hosts: followerNames,
    detail: noDetail,
    run: (env, ctx) => startFollowers(env, ctx, 'no follower'),
  }),
  FINAL_HEALTH_STEP,
];
