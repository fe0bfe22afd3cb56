import { AppError, PreconditionError, toAppError, VerifyError } from '../../../shared/errors';
import { formatZk } from '../health';
import type { RunEnv } from './env';
import type { StepContext } from './runner';
import { FinalizeOut, MethodStep, MethodStepName, step } from './step-types';
import { factsOf, noHosts, requireNotCheck, secs } from './steps-common';
import { COPY_STEPS, copyOnce, requireStillBlind, stopFollowersStep } from './steps-copy';
import { runZkSecurity } from './zk-security';
import { migrationAclGuard } from './acl-guard';
import { checkStaysStopped } from './stay-stopped';
import { TreeFollower } from '../zk/follow';
import { fingerprint } from '../zk/tree-read';

/**
 * The copy method with a live pre-copy (the default; `--no-precopy` runs COPY_STEPS): the tree is
 * copied while the cluster runs and the target follows the source (zk/follow.ts TreeFollower),
 * and the write freeze covers only the last delta and its proof instead of the whole copy:
 *
 *   precopy         start the follower (change stream armed, copy, full comparison), then catch-up
 *                   rounds until fewer than --precopy-threshold changes are outstanding (like
 *                   Pegasus's own table migrator, which waits for few pending changes). Nothing is
 *                   stopped; the metas keep writing.
 *   stop-followers  (COPY_STEPS) the freeze starts once they stayed stopped; meanwhile the follower
 *                   keeps catching up in the background (keepFollowing) and sweeps both trees' ACL
 *                   versions (sweepAclsBeforeFreeze), so that neither is left to the freeze; an
 *                   ACL a round refused (acl-guard.ts) fails the step here, before the freeze
 *   set-blind       (COPY_STEPS)
 *   stop-leader     blind checked once more first (a bulk-load start lifts it; not when set-blind
 *                   read it back a moment ago in this process), then no meta runs: the source is frozen
 *   finalize        the last delta and the proof that the target equals the frozen source
 *                   (--verify full: both trees compared in full); on a failed proof, or with no
 *                   follower (a resumed run: it lived in the killed coordinator's memory), a full
 *                   copy with --on-exists sync and a full verify instead; never an unproven cutover
 *   update-configs, start-leader, wait-leader, start-followers, final-health   (COPY_STEPS)
 *
 * The follower's sessions live in this process only: a registry keyed by the run's environment
 * holds it from precopy to finalize, and the run closes it when it ends (closePrecopy).
 */

const followers = new WeakMap<RunEnv, TreeFollower>();

/** Close the run's follower, if one is open (run end, rollback). */
export function closePrecopy(env: RunEnv): void {
  following.get(env)?.halt();
  following.delete(env);
  followers.get(env)?.close();
  followers.delete(env);
}

/**
 * From the pre-copy's end to finalize (the followers' stays-stopped window, blind, the leader's
 * stop) the leader still writes: catch-up rounds go on in the background meanwhile, so that
 * finalize, inside the freeze, applies only what changed since the last round instead of all the
 * writes of those seconds. A round that fails ends the loop; finalize meets the gap or the error
 * again and handles it (resync, or the full-copy fallback).
 */
interface Following {
  halt: () => void;
  stop: () => Promise<void>;
  /** Run the follower's ACL sweep between two rounds; resolves with its ms, or undefined when the loop has ended. */
  sweepAcls: () => Promise<number | undefined>;
}

const following = new WeakMap<RunEnv, Following>();

function keepFollowing(env: RunEnv, follower: TreeFollower, pauseMs = follower.mode === 'sweep' ? 1000 : 200): void {
  // A round in sweep mode (no addWatch) reads every node's stat: fewer of them on the source.
  let stopped = false;
  let ended = false;
  let wake: () => void = () => undefined;
  const sweeps: ((ms: number | undefined) => void)[] = [];
  const loop = (async () => {
    while (!stopped) {
      try {
        const asked = sweeps.splice(0);
        if (asked.length > 0) {
          // Answered whatever happens (they are out of `sweeps` now): the sweep's ms once it ran,
          // undefined when it failed (finalize sweeps then).
          let ms: number | undefined;
          try {
            ms = await follower.sweepAcls();
            // The digest finalize journals, prepared here too: inside the freeze it redoes only what changed.
            follower.prepareTargetDigest();
            // The round that applies what the sweep found runs before the answer: an ACL the guard
            // refuses (acl-guard.ts) is then known before the freeze, not met inside it.
            await follower.catchUp();
          } finally {
            for (const done of asked) done(ms);
          }
          continue;
        }
        await follower.catchUp();
      } catch {
        return;
      }
      if (stopped) return;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, pauseMs);
        wake = () => (clearTimeout(t), resolve());
      });
    }
  })();
  // A sweep asked for after the loop ended (or cut short by it) answers undefined: finalize sweeps then.
  void loop.finally(() => {
    ended = true;
    sweeps.splice(0).forEach((done) => done(undefined));
  });
  const halt = (): void => {
    stopped = true;
    wake();
  };
  following.set(env, {
    halt,
    stop: async () => (halt(), await loop),
    sweepAcls: () =>
      new Promise<number | undefined>((resolve) => {
        if (stopped || ended) return resolve(undefined);
        sweeps.push(resolve);
        wake();
      }),
  });
}

/**
 * setACL fires no watch, so the delta proof needs a sweep of every node's ACL version on both sides
 * (follow.ts, point 5), the one O(tree) part of the proof. It runs here, alongside the followers'
 * stays-stopped window, right before the freeze, instead of inside it: Pegasus itself never sets
 * an ACL (src/zookeeper/zookeeper_session.cpp creates every node with ZOO_OPEN_ACL_UNSAFE, and no
 * code calls zoo_set_acl), so only somebody else's setACL in the second between this sweep and
 * finalize goes unseen, which `--verify full` (ACLs compared at finalize) covers.
 */
const aclSweeps = new WeakMap<RunEnv, number>();

/** The first ACL the pre-copy's guard refused (a background round's refusal ends the loop). */
const refusedAcls = new WeakMap<RunEnv, PreconditionError>();

async function sweepAclsBeforeFreeze(env: RunEnv, ctx: StepContext): Promise<void> {
  throwRefusal(env);
  if (env.params.verify === 'full') return;
  const ms = await following.get(env)?.sweepAcls();
  throwRefusal(env);
  if (ms === undefined) return;
  aclSweeps.set(env, ms);
  ctx.progress(`ACL versions of both trees swept before the freeze (${secs(ms)})`);
}

/**
 * A background round met an ACL the copy must not write: fail here, with the followers stopped but
 * the leader serving and no blind, rather than in finalize inside the freeze.
 */
function throwRefusal(env: RunEnv): void {
  const r = refusedAcls.get(env);
  if (r) throw new PreconditionError(`${r.message} (found by a catch-up round after the pre-copy; refused before the write freeze)`, { cause: r, context: r.context });
}

/** Stop the background rounds and wait for the one in flight (finalize's rounds must not overlap it). */
async function stopFollowing(env: RunEnv): Promise<void> {
  const f = following.get(env);
  following.delete(env);
  await f?.stop();
}

function shared<K extends MethodStepName>(name: K): MethodStep<K> {
  const s = COPY_STEPS.find((x) => x.name === name);
  if (!s) throw new AppError('INTERNAL', `COPY_STEPS has no step ${name}`);
  return s as MethodStep<K>;
}

function endpoints(env: RunEnv, f: { source: string; target: string; root: string }) {
  // Explicit (not only the ambient scope): the follower's writes grant its SASL user on new nodes.
  const sec = runZkSecurity(env.cluster, env.params.to);
  const s = sec.resolve(f.source);
  const t = sec.resolve(f.target);
  return {
    source: `${f.source}${f.root}`,
    target: `${f.target}${f.root}`,
    ...(s ? { sourceSecurity: s } : {}),
    ...(t ? { targetSecurity: t } : {}),
  };
}

const PRECOPY = step({
  name: 'precopy',
  title: (f) => `Pre-copy ${f.root} to ${f.target} while the cluster runs`,
  hosts: noHosts,
  detail: (p, f) =>
    `${f.size.nodes} znodes copied and compared, then the target follows the source (catch-up rounds) until fewer than ${p.precopyThreshold} changes are outstanding (deadline ${secs(p.precopyTimeoutMs)}); nothing is stopped`,
  run: async (env, ctx) => {
    const f = factsOf(ctx);
    if (!requireNotCheck(env, ctx, `copy ${f.source}${f.root} to ${f.target}${f.root} and follow it until fewer than ${env.params.precopyThreshold} changes are outstanding`)) return {};
    closePrecopy(env);
    const guard = migrationAclGuard(f);
    refusedAcls.delete(env);
    const t0 = Date.now();
    let phase = '';
    const follower = await TreeFollower.start({
      ...endpoints(env, f),
      // The preflight saw an empty target: anything there now was written by someone else. A later
      // attempt of this step may find its own partial copy.
      onExists: ctx.attempt === 1 ? 'fail' : 'sync',
      // Every source ACL is checked as the copy and the rounds read it, not by the preflight
      // (preflight.ts aclCheckOf): a refusal fails this step before anything is stopped.
      sourceAclsChecked: true,
      aclGuard: (path, acl) => {
        const r = guard(path, acl);
        if (r && !refusedAcls.has(env)) refusedAcls.set(env, r);
        return r;
      },
      sessionTimeoutMs: 10000,
      onProgress: (p) => {
        if (p.phase === 'copy' && p.copy) {
          const c = p.copy;
          ctx.progress(`${c.phase}: ${c.nodes}${c.total ? `/${c.total}` : ''} nodes`, c.total ? Math.min(1, c.nodes / c.total) : undefined);
        } else if (p.phase !== phase || p.phase === 'catch-up') ctx.progress(`${p.phase}: ${p.outstanding} change(s) outstanding after ${p.rounds} round(s), ${p.applied} applied`);
        phase = p.phase;
      },
    });
    followers.set(env, follower);
    const deadline = t0 + env.params.precopyTimeoutMs;
    while (follower.outstanding() >= env.params.precopyThreshold || follower.gap !== undefined) {
      if (Date.now() > deadline) {
        throw new PreconditionError(
          `the pre-copy did not get below ${env.params.precopyThreshold} outstanding change(s) within ${secs(env.params.precopyTimeoutMs)} (${follower.outstanding()} outstanding after ${follower.rounds} round(s)): the source changes faster than the target follows; nothing was stopped. Raise --precopy-threshold or --precopy-timeout, or migrate with --no-precopy`,
        );
      }
      await follower.catchUp();
    }
    const precopyMs = Date.now() - t0;
    keepFollowing(env, follower);
    const applied = follower.applied.created + follower.applied.updated + follower.applied.deleted + follower.applied.aclSet;
    return {
      precopyMs,
      copyMs: follower.timings.copyMs,
      compareMs: follower.timings.compareMs,
      rounds: follower.rounds,
      outstanding: follower.outstanding(),
      applied,
      changeDetection: follower.mode,
      resyncs: follower.resyncs,
      summary: `copied and following in ${secs(precopyMs)} (copy ${secs(follower.timings.copyMs)}, comparison ${secs(follower.timings.compareMs)}, ${follower.rounds} catch-up round(s), ${applied} change(s) applied, ${follower.outstanding()} outstanding; ${follower.mode === 'watch' ? 'persistent watches' : 'stat sweeps'})`,
    };
  },
});

const STOP_LEADER = shared('stop-leader');

const SET_BLIND = shared('set-blind');

/** When this process last saw set-blind's own check pass (set-blind reads the level back). */
const blindSeenAt = new WeakMap<RunEnv, number>();

const SET_BLIND_NOTED = step({
  ...SET_BLIND,
  run: async (env, ctx) => {
    const r = await SET_BLIND.run(env, ctx);
    if (!env.check) blindSeenAt.set(env, Date.now());
    return r;
  },
});

/**
 * stop-leader of COPY_STEPS, after one more blind check: the last moment a meta can answer it. Not
 * when set-blind read the level back in this process a moment ago (nothing runs between the two
 * steps here, and each shell call costs the freeze a shell start); a resumed run checks.
 */
const STOP_LEADER_BLIND_CHECKED = step({
  ...STOP_LEADER,
  run: async (env, ctx) => {
    const seen = blindSeenAt.get(env);
    blindSeenAt.delete(env);
    if (!env.check && !(seen !== undefined && Date.now() - seen < 1000)) await requireStillBlind(env, ctx, 'before the leader stops');
    return STOP_LEADER.run(env, ctx);
  },
});

/** The fallback: a full copy (on-exists sync) and a full verify, then the source once more (nothing may write it now). */
async function fullCopy(env: RunEnv, ctx: StepContext, why: string, t0: number): Promise<FinalizeOut> {
  const f = factsOf(ctx);
  ctx.warn(`${why}: copying ${f.root} in full (--on-exists sync) and verifying both trees in full instead`);
  const tc = Date.now();
  const r = await copyOnce(env, ctx, f, 'sync', 'full');
  const copyMs = Date.now() - tc;
  const tp = Date.now();
  const now = await fingerprint(f.source, f.root);
  if (now.digest !== r.digest) throw new PreconditionError(`the source changed during the full copy with every meta stopped (digest ${r.digest.slice(7, 19)} → ${now.digest.slice(7, 19)}): something else writes ${f.source}${f.root}; find it before migrating`);
  const proofMs = Date.now() - tp;
  return {
    proof: 'copy',
    fallback: why,
    digest: r.digest,
    nodes: r.nodes,
    ms: { finalDelta: copyMs, aclCheck: 0, proof: proofMs, digest: 0, total: Date.now() - t0 },
    summary: `${why}: full copy (--on-exists sync) of ${r.nodes} nodes in ${secs(copyMs)} (created ${r.created}, updated ${r.updated}, deleted ${r.deleted}), both trees verified in full, source unchanged since (digest ${r.digest.slice(7, 19)})`,
  };
}

const FINALIZE = step({
  name: 'finalize',
  title: (f) => `Apply the last delta to ${f.target} and prove it equals the frozen source`,
  hosts: noHosts,
  detail: (p) =>
    `${p.verify === 'full' ? 'both trees compared in full (--verify full)' : 'the changed paths compared (delta proof; every ACL version on both sides was swept before the freeze)'}; on a failed proof, or on resume (the follower lived in the killed coordinator), a full copy (--on-exists sync) verified in full instead`,
  run: async (env, ctx) => {
    const f = factsOf(ctx);
    if (!requireNotCheck(env, ctx, `apply the last delta to ${formatZk({ hosts: f.target, root: f.root })} and prove it equal to the source`)) return {};
    // A meta a supervisor restarted since its stop may be leading on the source again.
    checkStaysStopped(env, ctx);
    const t0 = Date.now();
    await stopFollowing(env);
    const follower = followers.get(env);
    if (!follower) return fullCopy(env, ctx, 'resumed: the pre-copy follower lived in the previous coordinator and cannot be trusted', t0);
    try {
      // What the background rounds applied since the pre-copy's step ended (keepFollowing).
      const a = follower.applied;
      const sincePrecopy = a.created + a.updated + a.deleted + a.aclSet - (ctx.results.get('precopy')?.applied ?? 0);
      // Swept before the freeze (sweepAclsBeforeFreeze): not again inside it.
      const sweptMs = aclSweeps.get(env);
      aclSweeps.delete(env);
      let r;
      try {
        r = await follower.finalize({ verify: env.params.verify, aclCheck: sweptMs === undefined, ...(env.testHooks?.beforeProof ? { beforeProof: env.testHooks.beforeProof } : {}) });
      } catch (e) {
        // Never cut over unproven: a failed proof or a gap ends in the full copy; a source still
        // changing with every meta stopped fails the step (fullCopy would find it again).
        if (e instanceof PreconditionError) throw e;
        return await fullCopy(env, ctx, `the pre-copy's proof failed (${toAppError(e).message.split('\n')[0]})`, t0);
      }
      // The target's digest for the point-of-no-return probe (no-return-probe.ts compares the
      // target with it): O(tree) in memory, no reads, so only the one side: the proof compared the
      // maps both digests would come from (a full proof computed and compared both already).
      const td = Date.now();
      if (r.sourceDigest !== undefined && r.sourceDigest !== r.targetDigest) throw new VerifyError(`the proven trees have different digests (${r.sourceDigest.slice(7, 19)}, ${r.targetDigest?.slice(7, 19)}); nothing was cut over`);
      const digest = r.targetDigest ?? follower.targetDigest();
      const digestMs = Date.now() - td;
      const applied = r.applied.created + r.applied.updated + r.applied.deleted + r.applied.aclSet;
      return {
        proof: r.proof,
        ...(r.reason ? { fallback: r.reason } : {}),
        digest,
        nodes: r.nodes,
        rounds: r.rounds,
        applied,
        compared: r.compared,
        ms: { finalDelta: r.ms.finalDelta, aclCheck: r.ms.aclCheck, proof: r.ms.proof, digest: digestMs, total: Date.now() - t0 },
        ...(sweptMs !== undefined ? { aclSweptBeforeFreezeMs: sweptMs } : {}),
        appliedSincePrecopy: sincePrecopy,
        summary: `${sincePrecopy} change(s) applied in the background since the pre-copy; last delta ${applied} change(s) in ${r.rounds} round(s) (${secs(r.ms.finalDelta)}); target proven equal to the frozen source by ${r.proof === 'delta' ? `the delta proof (${r.compared} changed path(s) compared, ${sweptMs !== undefined ? `ACL versions swept before the freeze in ${secs(sweptMs)}` : `ACL sweep ${secs(r.ms.aclCheck)}`})` : `a full comparison (${r.reason ?? ''})`} in ${secs(r.ms.proof + r.ms.aclCheck)}; ${r.nodes} nodes, digest ${digest.slice(7, 19)}`,
      };
    } finally {
      closePrecopy(env);
    }
  },
});

/** The copy method's steps with the pre-copy, after the preflight: planned and run from this one list. */
export const PRECOPY_STEPS: readonly MethodStep[] = [
  PRECOPY,
  stopFollowersStep(sweepAclsBeforeFreeze),
  SET_BLIND_NOTED,
  STOP_LEADER_BLIND_CHECKED,
  FINALIZE,
  shared('update-configs'),
  shared('start-leader'),
  shared('wait-leader'),
  shared('start-followers'),
  shared('final-health'),
];
