import { AppError, PreconditionError, toAppError, VerifyError } from '../../../shared/errors';
import { copyTree } from '../zk/copy';
import { readMetaConfigs } from '../config-edit';
import { targetsOf } from '../fleet';
import { formatZk, sameZk } from '../health';
import type { RunEnv } from './env';
import type { JournalEntry } from './journal';
import { controlMeta, metaState } from './meta-ops';
import { connectZk } from './preflight';
import type { StepContext, StepDef } from './runner';
import type { PreflightFacts } from './preflight';
import { compareTables, editConfigs, factsOf, followersOf, leaderOf, requireHealthy, waitServing } from './steps-common';
import { COPY_CUTOVER_STEPS, COPY_TARGET_STEPS } from './steps-copy';
import { RECOVER_CUTOVER_STEPS, RECOVER_TARGET_STEPS } from './steps-recover';
import { onSession, removeTree } from '../zk/rm';
import { fingerprint } from '../zk/tree-read';
import { portAnswers } from './stay-stopped';
import type { MetaHost } from '../inventory';
import { reconfigRollbackSteps } from './rollback-reconfig';
import { RECONFIG_CUTOVER_STEPS, RECONFIG_MEMBERSHIP_STEPS } from './steps-reconfig';

/**
 * Back to the old ensemble, from wherever the run stopped: stop every meta if any config may
 * already name the new ensemble (never two leaders on two ensembles), put back each meta's
 * config.ini from the agent's backup (found by the sha256 recorded at preflight), start the metas
 * (the old leader first), restore the meta level, verify health on the old ensemble, and clear
 * what the run wrote into the target so that a later attempt starts clean. Before the point of no
 * return (no-return.ts) the old tree was never written and is still the truth. Past it, the new
 * tree is the truth: every meta is stopped, the new tree is copied back onto the old ensemble
 * (the copy engine: ephemeral nodes skipped, verified, the new tree fingerprinted before and
 * after so that a meta still writing it is caught), and only then do the metas start there.
 * Every step is idempotent.
 */

export interface RollbackScope {
  /** A cutover step started: some meta config may name the new ensemble. */
  cutover: boolean;
  /** The run wrote into the target ensemble. */
  targetWritten: boolean;
  /** A write freeze started and did not end. */
  freezeOpen: boolean;
  /**
   * Past the point of no return (no-return.ts): the new tree is the truth, and it is copied back
   * onto the old ensemble before any meta starts there. @default false
   */
  pastNoReturn?: boolean;
}

export function rollbackScope(entries: readonly JournalEntry[]): RollbackScope {
  const started = new Set(entries.filter((e) => e.kind === 'step-intent').map((e) => (e as { step: string }).step));
  let open = false;
  for (const e of entries) if (e.kind === 'note' && (e.text === 'freeze-start' || e.text === 'freeze-end')) open = e.text === 'freeze-start';
  return {
    cutover: [...COPY_CUTOVER_STEPS, ...RECOVER_CUTOVER_STEPS, ...RECONFIG_CUTOVER_STEPS].some((s) => started.has(s)),
    // reconfig writes no tree; its "target" writes are membership changes, reversed by its own rollback.
    targetWritten: [...COPY_TARGET_STEPS, ...RECOVER_TARGET_STEPS, ...RECONFIG_MEMBERSHIP_STEPS].some((s) => started.has(s)),
    freezeOpen: open,
  };
}

export const ROLLBACK_PREFIX = 'rollback-';

export function rollbackSteps(env: RunEnv, scope: RollbackScope): StepDef[] {
  if (env.params.method === 'reconfig') return reconfigRollbackSteps(env, scope, commonTail(env));
  return copyRollbackSteps(env, scope);
}

/** The steps every rollback ends with: the meta level as before, health on the old ensemble. */
function commonTail(env: RunEnv): StepDef[] {
  return copyRollbackSteps(env, { cutover: false, targetWritten: false, freezeOpen: false }).filter((s) => s.name === 'rollback-restore-level' || s.name === 'rollback-verify');
}

function copyRollbackSteps(env: RunEnv, scope: RollbackScope): StepDef[] {
  const p = env.params;
  return [
    {
      name: 'rollback-stop-metas',
      title: 'Rollback: stop every meta that may run on the new ensemble',
      run: async (ctx) => {
        if (!scope.cutover && !scope.pastNoReturn) return { summary: 'no meta config was changed: nothing to stop' };
        const f = factsOf(ctx);
        for (const h of [...followersOf(env, f), leaderOf(env, f)]) await controlMeta(env, ctx, h, 'stop');
        return { summary: `${env.cluster.metas.length} meta(s) stopped` };
      },
    },
    ...(scope.pastNoReturn ? [copyBackStep(env)] : []),
    {
      name: 'rollback-restore-configs',
      title: "Rollback: restore every meta's config.ini from the agent's backup",
      run: async (ctx) => {
        const f = factsOf(ctx);
        const now = await readMetaConfigs({ pool: env.pool, targets: targetsOf([env.cluster]) });
        const unread = now.filter((c) => !c.value);
        if (unread.length > 0) throw new AppError('UNAVAILABLE', `cannot read the config of ${unread.map((u) => `${u.host} (${u.error?.message ?? u.status})`).join(', ')}`, { cause: unread.find((u) => u.error)?.error });
        let restored = 0;
        for (const c of now) if (await restoreMetaConfig(env, ctx, f, c.host, c.value!.sha256)) restored++;
        return { summary: restored ? `${restored} config(s) restored` : 'every config was already as before' };
      },
    },
    {
      name: 'rollback-start-metas',
      title: 'Rollback: start the metas on the old ensemble (old leader first)',
      run: async (ctx) => {
        const f = factsOf(ctx);
        const zk = { hosts: f.source, root: f.root };
        // A meta that a supervisor restarted (stay-stopped.ts) runs outside the agent, which does not
        // see it; a second copy would fail on the taken port. Before any config changed it runs the
        // old config; after the edits it may have read either, and it is left alone only when the
        // cluster, asked through the shell, serves from the old ensemble (it leads there, or it read
        // the old config in the moment before the edit). One that joined the new ensemble is not:
        // the start fails, naming the port, for the operator to stop it through its supervisor.
        // The health check below is the verdict.
        const outsideOnOld = async (h: MetaHost): Promise<boolean> => {
          if (scope.pastNoReturn || (await metaState(env, h)) === 'active' || !(await portAnswers(h.address, h.metaPort))) return false;
          if (!scope.cutover) return true;
          const info = await env.shell.clusterInfo().catch(() => undefined);
          return info !== undefined && sameZk({ hosts: info.zookeeperHosts, root: info.zookeeperRoot }, zk);
        };
        const start = async (h: MetaHost): Promise<void> => {
          if (await outsideOnOld(h)) {
            const msg = `${h.metaService} already runs outside the agent (its meta port answers; a supervisor restarted it) on the old ensemble: not started again`;
            ctx.warn(`${h.name}: ${msg}`);
            ctx.hostResult(h.name, 'ok', msg);
            return;
          }
          await controlMeta(env, ctx, h, 'start');
        };
        await start(leaderOf(env, f));
        await waitServing(env, ctx, zk, env.cluster.metas, p.leaderTimeoutMs);
        for (const h of followersOf(env, f)) await start(h);
        if (scope.freezeOpen) env.freeze('end', `the cluster serves from the old ensemble ${formatZk(zk)} again`);
        return { summary: `every meta runs on ${formatZk(zk)}` };
      },
    },
    {
      name: 'rollback-restore-level',
      title: 'Rollback: restore the meta level',
      run: async (ctx) => {
        const f = factsOf(ctx);
        const stored = await env.shell.getMetaLevel();
        if (stored === f.level) return { summary: `meta level ${stored} as before` };
        const r = await env.shell.setMetaLevel(f.level);
        ctx.hostResult(f.leader, 'changed', `meta level ${f.level} (was ${r.oldLevel})`);
        return { summary: `meta level ${f.level} restored` };
      },
    },
    {
      name: 'rollback-verify',
      title: 'Rollback: verify the cluster is healthy on the old ensemble',
      run: async (ctx) => {
        const f = factsOf(ctx);
        const zk = { hosts: f.source, root: f.root };
        await requireHealthy(env, ctx, zk, p.healthTimeoutMs);
        // Tables may legitimately differ (a drop during the copy is why some runs roll back): say so, the health check above is the verdict.
        const diffs = await compareTables(env, f.tables);
        if (diffs.length > 0) ctx.warn(`the tables differ from the preflight's: ${diffs.join('; ')}`);
        return { summary: `healthy on ${formatZk(zk)} with the ${f.tables.length} table(s) of before` };
      },
    },
    {
      name: 'rollback-clean-target',
      title: 'Rollback: remove what the run wrote into the new ensemble',
      run: async (ctx) => {
        const f = factsOf(ctx);
        if (!scope.targetWritten) return { summary: 'nothing was written to the target' };
        if (scope.pastNoReturn) {
          // The copy back is verified and the cluster healthy on it, but the new tree was the truth
          // until minutes ago: keep it until the operator removes it ("zkmig cleanup" checks first).
          return { summary: `${f.target}${f.root} kept (it was copied back; remove it with "zkmig zk rm -r ${f.target}${f.root} --yes" once satisfied)` };
        }
        try {
          const dst = await connectZk(f.target, 'target', 4000);
          try {
            // Stopped metas keep their ephemeral LOCKNODEs until their sessions time out.
            const r = await removeTree({ ...onSession(dst, f.root), recursive: true, ifExists: true, waitEphemeralUntil: Date.now() + f.zkTimeoutMs * 2 + 10000 });
            return { summary: `removed ${r.deleted} node(s) of ${f.root} from ${f.target}` };
          } finally {
            dst.close();
          }
        } catch (e) {
          ctx.warn(`could not remove ${f.root} from ${f.target}: ${toAppError(e).message}; remove it before migrating again ("zkmig zk rm -r ${f.target}${f.root} --yes")`);
          return { summary: 'target left as it is (see the warning)' };
        }
      },
    },
  ];
}

/**
 * Put back one meta's config.ini as it was at the preflight: the agent's backup with the original
 * sha256, or (none left: pruned?) the keys a migration changes. False when it already was.
 */
export async function restoreMetaConfig(env: RunEnv, ctx: StepContext, f: PreflightFacts, name: string, nowSha: string): Promise<boolean> {
  const orig = f.metas.find((m) => m.name === name)!;
  if (nowSha === orig.sha256) {
    ctx.hostResult(name, 'ok', 'config as before the migration');
    return false;
  }
  const host = env.cluster.metas.find((m) => m.name === name)!;
  const client = env.pool.client(host);
  const backups = await client.listBackups(host.metaConfig);
  const match = backups.backups.find((b) => b.sha256 === orig.sha256);
  if (match) {
    const r = await client.restoreConfig({ path: host.metaConfig, backupFile: match.path, expectedSha256: nowSha });
    ctx.hostResult(name, r.changed ? 'changed' : 'ok', `restored ${match.path}`, r.diff?.unified || undefined);
  } else {
    ctx.warn(`${name}: no backup with the original sha256 ${orig.sha256.slice(0, 12)}; setting hosts_list and recover_from_replica_server back instead`);
    await editConfigs(env, ctx, [host], [{ section: 'zookeeper', key: 'hosts_list', value: orig.hostsList }, { section: 'meta_server', key: 'recover_from_replica_server', value: orig.recover }], f);
  }
  return true;
}

/** Past the point of no return: the new tree onto the old ensemble, every meta stopped. */
function copyBackStep(env: RunEnv): StepDef {
  return {
    name: 'rollback-copy-back',
    title: 'Rollback: copy the new tree back onto the old ensemble (every meta stopped; ephemeral nodes skipped; verified)',
    run: async (ctx) => {
      const f = factsOf(ctx);
      const states = await Promise.all(env.cluster.metas.map(async (h) => ({ h, s: await metaState(env, h) })));
      const running = states.filter((x) => x.s !== 'inactive' && x.s !== 'failed');
      if (running.length > 0) throw new PreconditionError(`not copying back while ${running.map((r) => `${r.h.name} is ${r.s}`).join(', ')}: every meta must be stopped`);
      const before = await fingerprint(f.target, f.root);
      if (!before.exists) throw new PreconditionError(`${f.target}${f.root} does not exist: there is no new tree to copy back`);
      const r = await copyTree({
        source: `${f.target}${f.root}`,
        target: `${f.source}${f.root}`,
        onExists: 'sync',
        verify: 'full',
        sessionTimeoutMs: 10000,
        onProgress: (pr) => ctx.progress(`${pr.phase}: ${pr.nodes}${pr.total ? `/${pr.total}` : ''} nodes`, pr.total ? Math.min(1, pr.nodes / pr.total) : undefined),
      });
      if (r.verify && !r.verify.ok) throw new VerifyError(`the copy back did not verify: ${r.verify.count.missing} missing, ${r.verify.count.changed} different, ${r.verify.count.extra} extra node(s) on ${f.source}${f.root}`);
      const after = await fingerprint(f.target, f.root);
      if (after.digest !== before.digest || r.digest !== before.digest) throw new PreconditionError(`${f.target}${f.root} changed during the copy back (digest ${before.digest.slice(7, 19)} → ${after.digest.slice(7, 19)}): something still writes it; nothing was started`);
      const old = await fingerprint(f.source, f.root);
      if (old.digest !== before.digest) throw new VerifyError(`after the copy back ${f.source}${f.root} has digest ${old.digest.slice(7, 19)}, the new tree ${before.digest.slice(7, 19)}`);
      return { digest: before.digest, nodes: r.nodes, summary: `${r.nodes} nodes copied back onto ${f.source}${f.root} (created ${r.created}, updated ${r.updated}, deleted ${r.deleted}), verified (digest ${before.digest.slice(7, 19)}); ${r.skippedEphemeral.count} ephemeral node(s) skipped` };
    },
  };
}
