import { closeClient } from '../../../shared/zk/client-internals';
import { AppError, PreconditionError, toAppError } from '../../../shared/errors';
import { sleep } from '../../../shared/process';
import type { ClusterInfo } from '../shell/types';
import type { zk } from '../../../shared/zk/client';
import { readMetaConfigs } from '../config-edit';
import { targetsOf } from '../fleet';
import { formatZk } from '../health';
import type { MetaHost } from '../inventory';
import { connectAdmin, DynamicConfig, formatMember } from '../zk/reconfig';
import { metaByAddress, RunEnv } from './env';
import { Journal } from './journal';
import { freezeWindow } from './summary';
import { leaderLockDir, releaseStoppedLeaderLock } from './lock-release';
import { controlMeta } from './meta-ops';
import { metaRunningProbe } from './stay-stopped';
import type { PreflightFacts } from './preflight';
import { applyMove, confirmWrite, describeMove, Move, planMoves } from './reconfig-moves';
import { reconfigAuth, ReconfigFacts } from './reconfig-preflight';
import type { StepContext } from './runner';
import { ConfigOut, MethodStep, MethodStepName, step } from './step-types';
import { allNames, editConfigs, factsOf, noHosts, requireHealthy, requireNotCheck, secs, waitServing } from './steps-common';
import { FINAL_HEALTH_STEP } from './steps-final';
import { partitionsOf } from './steps-trust';
import { sizedTimeoutMs } from './timing';

/**
 * `--method reconfig`: move the ensemble under the cluster with ZooKeeper dynamic
 * reconfiguration, copying nothing. The new servers, started with the last committed config plus
 * themselves, join as observers (one reconfig each, never two joining participants), are promoted
 * one at a time, each verified synced from its own `srvr`; then every meta's `[zookeeper]
 * hosts_list` moves to the new servers one meta at a time, followers first and the leader last
 * (its restart is an ordinary failover to a follower already on the new list: the only write
 * freeze); the old servers leave; a write that commits under the new config, read back from a new
 * server, confirms it. Each step re-reads /zookeeper/config or the journal first, so it is safe
 * to run twice (reconfig-moves.ts).
 *
 * No point of no return here (no-return.ts): old and new servers are one ensemble with one
 * history (every zxid, session and ephemeral node kept), so there is no stale tree to go back to.
 * A rollback reverses the membership changes and the hosts_list edits, and never copies.
 */

/** Steps whose start means some meta config may name the new servers (a rollback moves them back). */
export const RECONFIG_CUTOVER_STEPS: readonly MethodStepName[] = ['roll-metas'];
/** Steps that change the ensemble's membership (a rollback reverses them). */
export const RECONFIG_MEMBERSHIP_STEPS: readonly MethodStepName[] = ['add-observers', 'promote', 'remove-old'];

/** Journaled once a meta runs on the new servers and passed its health gate (roll-metas' progress). */
export const META_ROLLED_NOTE = 'reconfig-meta-rolled';

const RPC_TIMEOUT_MS = 30_000;

export function reconfigOf(f: PreflightFacts): ReconfigFacts {
  if (!f.reconfig) throw new AppError('INTERNAL', 'the preflight recorded no reconfig facts (a journal of another method?)');
  return f.reconfig;
}

/**
 * The admin session's servers, in the order to try them: the old ones while joiners change role
 * (a joiner drops its client sessions when it turns observer or participant); for the removal the
 * new ones, which stay. Each set alone: a hung server in a connect string can hold the client's
 * handshake until the deadline (a stopped process still accepts TCP connections).
 */
function adminHosts(r: ReconfigFacts, kind: Move['kind']): string[] {
  return kind === 'remove' ? [r.target, r.source] : [r.source, r.target];
}

export async function withAdmin<T>(env: RunEnv, hosts: readonly string[], fn: (c: zk.Client) => Promise<T>): Promise<T> {
  const auth = reconfigAuth(env.env);
  let c: zk.Client | undefined;
  let last: unknown;
  for (const h of hosts) {
    try {
      c = await connectAdmin(h, { ...(auth ? { auth } : {}), connectTimeoutMs: 10_000 });
      break;
    } catch (e) {
      last = e;
    }
  }
  if (!c) throw last;
  try {
    return await fn(c);
  } finally {
    closeClient(c);
  }
}

function configOut(c: DynamicConfig, summary: string): ConfigOut {
  return { configVersion: c.version.toString(16), members: c.members.map(formatMember), summary };
}

/** Apply the moves of one kind in order, each verified (or recognised as done) before the next. */
async function applyMoves(env: RunEnv, ctx: StepContext, kind: Move['kind']): Promise<ConfigOut> {
  const r = reconfigOf(factsOf(ctx));
  const moves = planMoves(r).filter((m) => m.kind === kind);
  if (!requireNotCheck(env, ctx, moves.map(describeMove).join('; '))) return {};
  return withAdmin(env, adminHosts(r, kind), async (client) => {
    let c: DynamicConfig | undefined;
    if (moves.length === 0) return { summary: 'nothing to do' };
    for (const m of moves) {
      c = await applyMove({ client, syncTimeoutMs: env.params.syncTimeoutMs, rpcTimeoutMs: RPC_TIMEOUT_MS, progress: (x) => ctx.progress(x) }, m);
      ctx.progress(`${describeMove(m)}: done, config ${c.version.toString(16)}`);
    }
    return configOut(c!, `${moves.map(describeMove).join('; ')}; config now ${c!.version.toString(16)} (${c!.members.map((x) => `${x.id}:${x.role}`).join(', ')})`);
  });
}

/** The metas already moved to the new servers by this run (journal notes; the edit alone is not enough, the restart is). */
function rolledMetas(env: RunEnv): Set<string> {
  if (!env.journal) return new Set();
  return new Set(Journal.read(env.journal.file).flatMap((e) => (e.kind === 'note' && e.text === META_ROLLED_NOTE ? [String(e.data?.host)] : [])));
}

function freezeOpen(entries: Parameters<typeof freezeWindow>[0]): boolean {
  const w = freezeWindow(entries);
  return w.start !== undefined && w.end === undefined;
}

const hostsEdit = (f: PreflightFacts): { section: string; key: string; value: string }[] => [{ section: 'zookeeper', key: 'hosts_list', value: f.target }];

/**
 * roll-metas: one meta at a time, followers first, the current leader last. A Pegasus meta reads
 * `[zookeeper] hosts_list` only when it starts (src/zookeeper/zookeeper_session_mgr.cpp, the
 * session manager's constructor), so each moves by an edit and a restart. A follower's restart
 * leaves the leader serving. The leader's stop releases its lock, a follower already on the new
 * servers takes it (src/meta/meta_service.cpp meta_service::start, the distributed lock) and loads
 * the tree (src/meta/server_state.cpp sync_apps_from_remote_storage): that failover is the write
 * freeze, measured from the stop until the new leader serves and the cluster first reads healthy.
 */
async function rollMetas(env: RunEnv, ctx: StepContext): Promise<{ backups: Record<string, string>; freeze?: { stopToServingMs: number; servingToHealthyMs: number; totalMs: number; newLeader: string; lockReleased: boolean }; summary: string }> {
  const f = factsOf(ctx);
  const target = { hosts: f.target, root: f.root };
  if (env.check) {
    const backups = await editConfigs(env, ctx, env.cluster.metas, hostsEdit(f), f);
    return { backups, summary: `(check mode) would move ${env.cluster.metas.length} meta(s) to ${formatZk(target)}, followers first, restarting each` };
  }
  const done = rolledMetas(env);
  const info = await anyLeader(env, ctx);
  const leader = metaByAddress(env.cluster, info.primaryMetaServer);
  if (!leader) throw new PreconditionError(`the leader ${info.primaryMetaServer} is not one of the inventory's metas`);
  // The zk the leader serves from now: the source, or the target after a resumed run's failover.
  const serving = { hosts: info.zookeeperHosts, root: info.zookeeperRoot };
  const timeout = sizedTimeoutMs(env.params.healthTimeoutMs, partitionsOf(f));
  const backups: Record<string, string> = {};
  const order = [...env.cluster.metas.filter((m) => m.name !== leader.name), leader];
  let freeze: { stopToServingMs: number; servingToHealthyMs: number; totalMs: number; newLeader: string; lockReleased: boolean } | undefined;
  for (const h of order) {
    if (done.has(h.name)) {
      ctx.hostResult(h.name, 'ok', `already runs on ${f.target}`);
      continue;
    }
    Object.assign(backups, await editConfigs(env, ctx, [h], hostsEdit(f), f));
    if (h !== leader) {
      await controlMeta(env, ctx, h, 'restart');
      // The health gate: every meta answers again and the leader still serves from where it did.
      await requireHealthy(env, ctx, serving, timeout);
    } else {
      freeze = await failover(env, ctx, h, order.filter((m) => m !== h), f, timeout);
    }
    env.note(META_ROLLED_NOTE, { host: h.name });
  }
  // A coordinator killed during the failover left the freeze open; the new leader serves by now
  // (this run found it leading): close it once the cluster reads healthy there.
  if (env.journal && freezeOpen(Journal.read(env.journal.file))) {
    await requireHealthy(env, ctx, target, timeout);
    env.freeze('end', `resumed: ${leader.name} serves from ${formatZk(target)} and the cluster reads healthy`);
  }
  return { backups, ...(freeze ? { freeze } : {}), summary: `every meta runs on ${formatZk(target)}${freeze ? `; the leader's failover to ${freeze.newLeader} froze writes for ${secs(freeze.totalMs)} (${secs(freeze.stopToServingMs)} to serve, ${secs(freeze.servingToHealthyMs)} to read healthy)` : ''}` };
}

/**
 * cluster_info from whichever meta leads, waited for: a run resumed right after its coordinator
 * died mid-failover finds no leader for the seconds the failover takes.
 */
async function anyLeader(env: RunEnv, ctx: StepContext): Promise<ClusterInfo> {
  const deadline = Date.now() + env.params.leaderTimeoutMs;
  for (;;) {
    try {
      return await env.shell.clusterInfo();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      ctx.progress(`waiting for a leader to answer cluster_info: ${toAppError(e).message.split('\n')[0]}`);
      await sleep(500);
    }
  }
}

async function failover(env: RunEnv, ctx: StepContext, leader: MetaHost, others: MetaHost[], f: PreflightFacts, timeout: number): Promise<{ stopToServingMs: number; servingToHealthyMs: number; totalMs: number; newLeader: string; lockReleased: boolean }> {
  const target = { hosts: f.target, root: f.root };
  // The freeze starts with the stop request: the leader stops serving before the agent answers.
  const t0 = Date.now();
  env.freeze('start', `stopping the leader ${leader.name}: a follower on ${f.target} takes over`);
  await controlMeta(env, ctx, leader, 'stop');
  // Old and new servers are one ensemble here: the lock node is on f.target too.
  const release = await releaseStoppedLeaderLock({
    hosts: f.target,
    lockDir: leaderLockDir(f.lockRoot),
    cluster: env.cluster,
    leader,
    stillRunning: metaRunningProbe(env),
    timeoutMs: 10_000,
  });
  if ('released' in release) ctx.progress(release.released);
  else ctx.warn(`the stopped leader's lock node stays until its ZooKeeper session expires ([zookeeper] timeout_ms = ${f.zkTimeoutMs} ms): ${release.kept}`);
  const info = await waitServing(env, ctx, target, others, env.params.leaderTimeoutMs);
  const t1 = Date.now();
  if (info === 'under-recovery') throw new AppError('INTERNAL', 'the new leader answers ERR_UNDER_RECOVERY');
  // Only the metas still running are asked to answer: the old leader is down on purpose.
  await requireHealthy(env, ctx, target, timeout, { allMetas: false });
  const t2 = Date.now();
  const newLeader = metaByAddress(env.cluster, info.primaryMetaServer)?.name ?? info.primaryMetaServer;
  env.freeze('end', `${newLeader} serves from ${formatZk(target)} and the cluster reads healthy`);
  await controlMeta(env, ctx, leader, 'start');
  await requireHealthy(env, ctx, target, timeout);
  return { stopToServingMs: t1 - t0, servingToHealthyMs: t2 - t1, totalMs: t2 - t0, newLeader, lockReleased: 'released' in release };
}

/** Every meta config names the new servers, or the old ones must not leave (a meta would lose ZooKeeper). */
async function requireAllMoved(env: RunEnv, f: PreflightFacts): Promise<void> {
  const cfgs = await readMetaConfigs({ pool: env.pool, targets: targetsOf([env.cluster]) });
  const bad = cfgs.filter((c) => c.value?.values['zookeeper.hosts_list'] !== f.target);
  if (bad.length > 0) throw new PreconditionError(`not removing the old servers while ${bad.map((b) => `${b.host} ${b.value ? `names ${b.value.values['zookeeper.hosts_list']}` : `cannot be read (${b.error?.message ?? b.status})`}`).join(', ')}`);
  const rolled = rolledMetas(env);
  const notRestarted = env.cluster.metas.filter((m) => !rolled.has(m.name));
  if (notRestarted.length > 0) throw new PreconditionError(`not removing the old servers: ${notRestarted.map((m) => m.name).join(', ')} not restarted on the new servers by this run`);
}

/** The reconfig method's steps after the preflight, in order: planned and run from this one list. */
export const RECONFIG_STEPS: readonly MethodStep[] = [
  step({
    name: 'add-observers',
    title: (f) => `Add the new servers as observers (${reconfigOf(f).joiners.map((j) => j.id).join(', ')})`,
    hosts: noHosts,
    detail: (_p, f) => `one reconfig per server, each waited for until it serves as an observer synced with the leader; current config ${reconfigOf(f).configVersion}; never two joining participants`,
    run: (env, ctx) => applyMoves(env, ctx, 'add-observer'),
  }),
  step({
    name: 'promote',
    title: () => 'Promote the new servers to participants, one at a time',
    hosts: noHosts,
    detail: () => 'each promotion waits for the server to be synced as an observer first, and to follow (or lead) after; at most one server of the config may be down',
    run: (env, ctx) => applyMoves(env, ctx, 'promote'),
  }),
  step({
    name: 'roll-metas',
    title: (f) => `Move each meta's [zookeeper] hosts_list to ${f.target}, followers first, then the leader`,
    hosts: allNames,
    detail: (_p, f) => `per meta: edit through the agent (backup kept), restart, health gate; ${f.leader}'s restart is a failover to a follower already on the new servers: the only write freeze`,
    run: rollMetas,
  }),
  step({
    name: 'remove-old',
    title: (f) => `Remove the old servers (${reconfigOf(f).oldMembers.map((m) => m.id).join(', ')})`,
    hosts: noHosts,
    detail: () => 'only once every meta config names the new servers and every meta restarted on them; the old servers keep their data (stop them after the run)',
    run: async (env, ctx) => {
      const f = factsOf(ctx);
      if (!env.check) await requireAllMoved(env, f);
      return applyMoves(env, ctx, 'remove');
    },
  }),
  step({
    name: 'confirm-write',
    title: () => 'Confirm a write commits under the new config',
    hosts: noHosts,
    detail: (_p, f) => `create and read back an ephemeral znode through ${f.target} only ("commit of a reconfig is not yet activation": ZooKeeper's reconfig guide)`,
    run: async (env, ctx) => {
      const f = factsOf(ctx);
      if (!requireNotCheck(env, ctx, `write through ${f.target} and read it back`)) return {};
      const removed = ctx.results.get('remove-old');
      const version = BigInt(`0x${removed?.configVersion ?? reconfigOf(f).configVersion}`);
      const auth = reconfigAuth(env.env);
      const r = await confirmWrite(f.target, version, { ...(auth ? { auth } : {}), timeoutMs: RPC_TIMEOUT_MS });
      return { zxid: r.zxid, summary: `a write committed at zxid 0x${r.zxid} through ${f.target}, which serves config ${version.toString(16)} or later` };
    },
  }),
  FINAL_HEALTH_STEP,
];
