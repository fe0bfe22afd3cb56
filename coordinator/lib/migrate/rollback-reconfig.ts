import { AppError, PreconditionError } from '../../../shared/errors';
import { readMetaConfigs } from '../config-edit';
import { targetsOf } from '../fleet';
import { formatZk } from '../health';
import { metaByAddress, RunEnv } from './env';
import { Journal } from './journal';
import { controlMeta } from './meta-ops';
import { removeJoiners, restoreOldMembers } from './reconfig-moves';
import type { RollbackScope } from './rollback';
import { restoreMetaConfig } from './rollback';
import type { StepContext, StepDef } from './runner';
import { factsOf, waitServing } from './steps-common';
import { META_ROLLED_NOTE, reconfigOf, withAdmin } from './steps-reconfig';
import type { zk } from '../../../shared/zk/client';

/**
 * Rollback of `--method reconfig`: the config changes are reversed in the opposite order, and
 * nothing is ever copied (one ensemble, one history: no-return.ts). The old servers come back
 * into the membership in their original roles first (joiners kept, since metas may use them);
 * then every meta moved to the new servers gets its config.ini back from the agent's backup and
 * is restarted, followers first and the leader last (a failover back); then the new servers
 * leave; the meta level and health on the old ensemble are checked last. After `remove-old` the
 * old servers must still be running (they keep their data and follow as non-voting members until
 * re-added); if they were stopped meanwhile, the rollback says so and stops.
 */

export const META_RESTORED_NOTE = 'reconfig-meta-restored';

const RPC_TIMEOUT_MS = 30_000;

function notedHosts(env: RunEnv, text: string): Set<string> {
  if (!env.journal) return new Set();
  return new Set(Journal.read(env.journal.file).flatMap((e) => (e.kind === 'note' && e.text === text ? [String(e.data?.host)] : [])));
}

/** The old servers first (they are what the rollback keeps), the new ones if none of them answers. */
function admin<T>(env: RunEnv, ctx: StepContext, fn: (c: zk.Client) => Promise<T>): Promise<T> {
  const r = reconfigOf(factsOf(ctx));
  return withAdmin(env, [r.source, r.target], fn);
}

export function reconfigRollbackSteps(env: RunEnv, scope: RollbackScope, tail: StepDef[]): StepDef[] {
  return [
    {
      name: 'rollback-readd-old',
      title: 'Rollback: the old servers back in the ensemble in their original roles',
      run: async (ctx) => {
        if (!scope.targetWritten) return { summary: 'the membership was never changed' };
        const r = reconfigOf(factsOf(ctx));
        const c = await admin(env, ctx, (client) => restoreOldMembers({ client, syncTimeoutMs: env.params.syncTimeoutMs, rpcTimeoutMs: RPC_TIMEOUT_MS, progress: (m) => ctx.progress(m) }, r));
        return { configVersion: c.version.toString(16), summary: `old servers ${r.oldMembers.map((m) => m.id).join(', ')} are members again (config ${c.version.toString(16)})` };
      },
    },
    {
      name: 'rollback-restore-metas',
      title: "Rollback: each meta's config.ini back from the agent's backup and restarted, followers first",
      run: async (ctx) => {
        const f = factsOf(ctx);
        if (!scope.cutover) return { summary: 'no meta config was changed' };
        const cfgs = await readMetaConfigs({ pool: env.pool, targets: targetsOf([env.cluster]) });
        const unread = cfgs.filter((c) => !c.value);
        if (unread.length > 0) throw new AppError('UNAVAILABLE', `cannot read the config of ${unread.map((u) => `${u.host} (${u.error?.message ?? u.status})`).join(', ')}`, { cause: unread.find((u) => u.error)?.error });
        const rolled = notedHosts(env, META_ROLLED_NOTE);
        const restored = notedHosts(env, META_RESTORED_NOTE);
        let leaderName: string | undefined;
        try {
          leaderName = metaByAddress(env.cluster, (await env.shell.clusterInfo()).primaryMetaServer)?.name;
        } catch {
          /* no leader answers: order does not matter then */
        }
        const order = [...env.cluster.metas.filter((m) => m.name !== leaderName), ...env.cluster.metas.filter((m) => m.name === leaderName)];
        const moved: string[] = [];
        for (const h of order) {
          const sha = cfgs.find((c) => c.host === h.name)!.value!.sha256;
          const changed = await restoreMetaConfig(env, ctx, f, h.name, sha);
          // Edited (and maybe restarted) by the run: it runs on the new servers until restarted.
          if (!changed && !(rolled.has(h.name) && !restored.has(h.name))) continue;
          await controlMeta(env, ctx, h, 'restart');
          env.note(META_RESTORED_NOTE, { host: h.name });
          moved.push(h.name);
        }
        if (moved.length > 0) await waitServing(env, ctx, { hosts: f.source, root: f.root }, env.cluster.metas, env.params.leaderTimeoutMs);
        return { summary: moved.length ? `${moved.join(', ')} restarted on ${formatZk({ hosts: f.source, root: f.root })}` : 'every meta already ran on the old servers' };
      },
    },
    {
      name: 'rollback-remove-new',
      title: 'Rollback: the new servers leave the ensemble',
      run: async (ctx) => {
        const f = factsOf(ctx);
        if (!scope.targetWritten) return { summary: 'the membership was never changed' };
        const cfgs = await readMetaConfigs({ pool: env.pool, targets: targetsOf([env.cluster]) });
        const bad = cfgs.filter((c) => c.value?.values['zookeeper.hosts_list'] !== f.source);
        if (bad.length > 0) throw new PreconditionError(`not removing the new servers while ${bad.map((b) => b.host).join(', ')} do(es) not name ${f.source}`);
        const c = await admin(env, ctx, (client) => removeJoiners({ client, syncTimeoutMs: env.params.syncTimeoutMs, rpcTimeoutMs: RPC_TIMEOUT_MS, progress: (m) => ctx.progress(m) }, reconfigOf(f)));
        return { configVersion: c.version.toString(16), summary: `membership back to ${c.members.map((m) => `${m.id}:${m.role}`).join(', ')} (config ${c.version.toString(16)})` };
      },
    },
    ...tail,
  ];
}
