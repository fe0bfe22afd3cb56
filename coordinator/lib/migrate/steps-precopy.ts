import { AppError, PreconditionError, toAppError, VerifyError } from '../../../shared/errors';
import { formatZk } from '../health';
import type { RunEnv } from './env';
import type { StepContext } from './runner';
import { FinalizeOut, MethodStep, MethodStepName, step } from './step-types';
import { factsOf, noHosts, requireNotCheck, secs } from './steps-common';
import { COPY_STEPS, copyOnce, requireStillBlind } from './steps-copy';
import { runZkSecurity } from './zk-security';
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
 *   stop-followers  (COPY_STEPS) the freeze starts once they stayed stopped; the follower's delta
 *                   grows meanwhile and finalize applies it
 *   set-blind       (COPY_STEPS)
 *   stop-leader     blind checked once more first (a bulk-load start lifts it), then no meta runs:
 *                   the source is frozen
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
  followers.get(env)?.close();
  followers.delete(env);
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
    const t0 = Date.now();
    let phase = '';
    const follower = await TreeFollower.start({
      ...endpoints(env, f),
      // The preflight saw an empty target: anything there now was written by someone else. A later
      // attempt of this step may find its own partial copy.
      onExists: ctx.attempt === 1 ? 'fail' : 'sync',
      sourceAclsChecked: true,
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

/** stop-leader of COPY_STEPS, after one more blind check: the last moment a meta can answer it. */
const STOP_LEADER_BLIND_CHECKED = step({
  ...STOP_LEADER,
  run: async (env, ctx) => {
    if (!env.check) await requireStillBlind(env, ctx, 'before the leader stops');
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
    `${p.verify === 'full' ? 'both trees compared in full (--verify full)' : 'the changed paths compared (delta proof) and every source ACL version swept'}; on a failed proof, or on resume (the follower lived in the killed coordinator), a full copy (--on-exists sync) verified in full instead`,
  run: async (env, ctx) => {
    const f = factsOf(ctx);
    if (!requireNotCheck(env, ctx, `apply the last delta to ${formatZk({ hosts: f.target, root: f.root })} and prove it equal to the source`)) return {};
    // A meta a supervisor restarted since its stop may be leading on the source again.
    checkStaysStopped(env, ctx);
    const t0 = Date.now();
    const follower = followers.get(env);
    if (!follower) return fullCopy(env, ctx, 'resumed: the pre-copy follower lived in the previous coordinator and cannot be trusted', t0);
    try {
      let r;
      try {
        r = await follower.finalize({ verify: env.params.verify, ...(env.testHooks?.beforeProof ? { beforeProof: env.testHooks.beforeProof } : {}) });
      } catch (e) {
        // Never cut over unproven: a failed proof or a gap ends in the full copy; a source still
        // changing with every meta stopped fails the step (fullCopy would find it again).
        if (e instanceof PreconditionError) throw e;
        return await fullCopy(env, ctx, `the pre-copy's proof failed (${toAppError(e).message.split('\n')[0]})`, t0);
      }
      // The digests for the point-of-no-return probe (no-return-probe.ts compares the target with
      // it): O(tree) in memory, no reads.
      const td = Date.now();
      const d = r.sourceDigest !== undefined && r.targetDigest !== undefined ? { sourceDigest: r.sourceDigest, targetDigest: r.targetDigest } : follower.digests();
      if (d.sourceDigest !== d.targetDigest) throw new VerifyError(`the proven trees have different digests (${d.sourceDigest.slice(7, 19)}, ${d.targetDigest.slice(7, 19)}); nothing was cut over`);
      const digestMs = Date.now() - td;
      const applied = r.applied.created + r.applied.updated + r.applied.deleted + r.applied.aclSet;
      return {
        proof: r.proof,
        ...(r.reason ? { fallback: r.reason } : {}),
        digest: d.sourceDigest,
        nodes: r.nodes,
        rounds: r.rounds,
        applied,
        compared: r.compared,
        ms: { finalDelta: r.ms.finalDelta, aclCheck: r.ms.aclCheck, proof: r.ms.proof, digest: digestMs, total: Date.now() - t0 },
        summary: `last delta ${applied} change(s) in ${r.rounds} round(s) (${secs(r.ms.finalDelta)}); target proven equal to the frozen source by ${r.proof === 'delta' ? `the delta proof (${r.compared} changed path(s) compared, ACL sweep ${secs(r.ms.aclCheck)})` : `a full comparison (${r.reason ?? ''})`} in ${secs(r.ms.proof + r.ms.aclCheck)}; ${r.nodes} nodes, digest ${d.sourceDigest.slice(7, 19)}`,
      };
    } finally {
      closePrecopy(env);
    }
  },
});

/** The copy method's steps with the pre-copy, after the preflight: planned and run from this one list. */
export const PRECOPY_STEPS: readonly MethodStep[] = [
  PRECOPY,
  shared('stop-followers'),
  shared('set-blind'),
  STOP_LEADER_BLIND_CHECKED,
  FINALIZE,
  shared('update-configs'),
  shared('start-leader'),
  shared('wait-leader'),
  shared('start-followers'),
  shared('final-health'),
];
