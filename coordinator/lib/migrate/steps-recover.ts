import * as fs from 'node:fs';
import * as path from 'node:path';
import { AppError, PreconditionError, VerifyError, toAppError } from '../../../shared/errors';
import { formatZk, sameZk } from '../health';
import { controlMeta } from './meta-ops';
import { connectZk } from './preflight';
import type { StepContext } from './runner';
import { BackupListsOut, MethodStep, MethodStepName, step } from './step-types';
import { allNames, editConfigs, factsOf, followerNames, followersOf, leaderName, leaderOf, noDetail, noHosts, requireNotCheck, secs, shellCode, sleep, startFollowers, stayText, waitServing } from './steps-common';
import { FINAL_HEALTH_STEP } from './steps-final';
import { partitionsOf, waitTrustworthy } from './steps-trust';
import { sizedTimeoutMs } from './timing';
import { requireStaysStopped } from './stay-stopped';
import { isEmptyRoot } from '../zk/tree-read';

/**
 * The guide's metadata-recovery procedure (docs/pegasus-internals.md §1, §5), fixing the reference script's
 * defects (§1.3): the node diff ignores the `[parameters]` table and is polled with a deadline,
 * the wait after stopping the metas is derived from the configs, every meta is restarted (not
 * only two), the target is checked empty first, and recovery mode is switched off again.
 */

export const RECOVER_CUTOVER_STEPS: readonly MethodStepName[] = ['configure-recovery'];
export const RECOVER_TARGET_STEPS: readonly MethodStepName[] = ['start-recovery-meta'];

function backupOf(ctx: StepContext): BackupListsOut {
  const b = ctx.results.get('backup-lists');
  if (!b) throw new AppError('INTERNAL', 'the backup-lists step has no data in the run journal');
  return b;
}

function isShellCode(e: unknown, code: string): boolean {
  return shellCode(e) === code;
}

/** The recover method's steps after the preflight, in order: planned and run from this one list. */
export const RECOVER_STEPS: readonly MethodStep[] = [
  step({
    name: 'backup-lists',
    title: () => 'Back up the table and node lists',
    hosts: noHosts,
    detail: (_p, f) => `${f.tables.length} table(s), ${f.nodes.length} node(s); recovery list = the ALIVE nodes`,
    run: async (env) => {
      const apps = await env.shell.listApps({ all: true });
      const nodes = await env.shell.listNodes({ detailed: true });
      const tables = apps.apps.filter((a) => a.status !== 'DROPPED').map((a) => ({ appId: a.appId, name: a.appName, partitionCount: a.partitionCount, status: a.status }));
      const dropped = apps.apps.filter((a) => a.status === 'DROPPED').map((a) => ({ appId: a.appId, name: a.appName, partitionCount: a.partitionCount, status: a.status }));
      const nf = nodes.nodes.map((n) => ({ address: n.address, status: n.status, replicaCount: n.replicaCount ?? 0 }));
      const unalive = nf.filter((n) => n.status !== 'ALIVE');
      if (unalive.length > 0 && !env.params.allowUnalive) throw new PreconditionError(`unalive nodes found: ${unalive.map((n) => n.address).join(', ')} (pass --allow-unalive to recover without them)`);
      const recoverNodes = nf.filter((n) => n.status === 'ALIVE').map((n) => n.address);
      if (recoverNodes.length === 0) throw new PreconditionError('no ALIVE replica server to recover from');
      const base = path.join(env.stateDir, env.run);
      const files = { apps: `${base}.apps`, nodes: `${base}.nodes`, recoverNodes: `${base}.recover.nodes` };
      if (!env.check) {
        fs.writeFileSync(files.apps, tables.concat(dropped).map((t) => `${t.appId} ${t.name} ${t.partitionCount} ${t.status}`).join('\n') + '\n');
        fs.writeFileSync(files.nodes, nf.map((n) => `${n.address} ${n.status} ${n.replicaCount}`).join('\n') + '\n');
        fs.writeFileSync(files.recoverNodes, recoverNodes.join('\n') + '\n');
      }
      return { tables, dropped, nodes: nf, recoverNodes, files, summary: `${tables.length} table(s), ${nf.length} node(s) (${recoverNodes.length} ALIVE) saved to ${files.apps}, ${files.nodes}` };
    },
  }),
  step({
    name: 'stop-metas',
    title: () => 'Stop every meta',
    hosts: allNames,
    detail: (params) => `the write freeze starts here${stayText(params)}`,
    run: async (env, ctx) => {
      const f = factsOf(ctx);
      for (const h of [...followersOf(env, f), leaderOf(env, f)]) await controlMeta(env, ctx, h, 'stop');
      env.freeze('start', 'every meta stopped');
      // The inactive wait counts from the stop, not from the end of the stays-stopped window.
      const stoppedAt = Date.now();
      await requireStaysStopped(env, ctx, [...followersOf(env, f), leaderOf(env, f)]);
      return { stoppedAt, summary: `${env.cluster.metas.length} meta(s) stopped` };
    },
  }),
  step({
    name: 'wait-inactive',
    title: (f) => `Wait ${secs(f.inactiveWaitMs)} for the replica servers to go inactive`,
    hosts: noHosts,
    detail: (_p, f) => `config_sync_interval_ms ${f.timing.configSyncIntervalMs}, fd_lease_seconds ${f.timing.fdLeaseSeconds}, fd_grace_seconds ${f.timing.fdGraceSeconds}`,
    run: async (env, ctx) => {
      const f = factsOf(ctx);
      const wait = f.inactiveWaitMs;
      if (!requireNotCheck(env, ctx, `wait ${Math.round(wait / 1000)} s (config_sync_interval_ms ${f.timing.configSyncIntervalMs}, fd_lease_seconds ${f.timing.fdLeaseSeconds}, fd_grace_seconds ${f.timing.fdGraceSeconds})`)) return {};
      const stoppedAt = ctx.results.get('stop-metas')?.stoppedAt ?? Date.now();
      const until = stoppedAt + wait;
      while (Date.now() < until) {
        ctx.progress(`${Math.ceil((until - Date.now()) / 1000)} s left`, 1 - (until - Date.now()) / wait);
        await sleep(Math.min(1000, Math.max(0, until - Date.now())));
      }
      return { summary: `waited ${Math.round(wait / 1000)} s after the metas stopped` };
    },
  }),
  step({
    name: 'configure-recovery',
    title: (f) => `hosts_list = ${f.target} everywhere; recover_from_replica_server = true on ${f.leader}`,
    hosts: allNames,
    detail: () => 'backups kept (diffs below)',
    run: async (env, ctx) => {
      const f = factsOf(ctx);
      const lead = leaderOf(env, f);
      const a = await editConfigs(env, ctx, [lead], [{ section: 'zookeeper', key: 'hosts_list', value: f.target }, { section: 'meta_server', key: 'recover_from_replica_server', value: 'true' }], f);
      const b = followersOf(env, f).length ? await editConfigs(env, ctx, followersOf(env, f), [{ section: 'zookeeper', key: 'hosts_list', value: f.target }], f) : {};
      return { backups: { ...a, ...b }, summary: `hosts_list = ${f.target} everywhere; recover_from_replica_server = true on ${lead.name}` };
    },
  }),
  step({
    name: 'start-recovery-meta',
    title: (f) => `Start ${f.leader} in recovery mode`,
    hosts: leaderName,
    detail: (_p, f) => `${f.target}${f.root}/apps must be absent or empty`,
    run: async (env, ctx) => {
      const f = factsOf(ctx);
      const lead = leaderOf(env, f);
      const zk = { hosts: f.target, root: f.root };
      if (!env.check) {
        // Recovery only works into a missing or empty <root>/apps (docs/pegasus-internals.md §5.4).
        const dst = await connectZk(f.target, 'target');
        try {
          const apps = await isEmptyRoot(dst, f.root === '/' ? '/apps' : `${f.root}/apps`);
          if (apps.children > 0) {
            throw new PreconditionError(`${f.target}${f.root}/apps already has ${apps.children} table(s): a meta in recovery mode would abort (docs/pegasus-internals.md §5.4)`);
          }
        } finally {
          dst.close();
        }
      }
      await controlMeta(env, ctx, lead, 'start');
      if (env.check) return {};
      const r = await waitServing(env, ctx, zk, [lead], env.params.leaderTimeoutMs, { allowRecovery: true });
      if (r !== 'under-recovery') throw new VerifyError(`${lead.name} serves normally instead of waiting for recovery: recover_from_replica_server is not in effect`);
      return { summary: `${lead.name} waits for recovery (ERR_UNDER_RECOVERY) on ${formatZk(zk)}` };
    },
  }),
  step({
    name: 'recover',
    title: () => 'recover -s <ALIVE nodes>',
    hosts: noHosts,
    detail: () => 'requires "Recover result: ERR_OK"; POINT OF NO RETURN: the meta writes the recovered tree and serves from it',
    pointOfNoReturn: true,
    run: async (env, ctx) => {
      const f = factsOf(ctx);
      const b = backupOf(ctx);
      if (!requireNotCheck(env, ctx, `run recover -s <${b.recoverNodes.length} nodes of ${b.files.recoverNodes}>`)) return {};
      // A rerun after a recovery that succeeded: the meta answers normally from the new ensemble.
      try {
        const info = await env.shell.clusterInfo();
        if (sameZk({ hosts: info.zookeeperHosts, root: info.zookeeperRoot }, { hosts: f.target, root: f.root })) {
          env.pointOfNoReturn(`${f.leader} serves the recovered tree from ${f.target}${f.root}`);
          return { summary: 'already recovered (an earlier attempt succeeded)' };
        }
      } catch {
        /* under recovery: go on */
      }
      try {
        // No -b / -l: a listed node that does not answer or a partition without replicas fails the
        // recovery (and the run rolls back) instead of silently losing data (docs/pegasus-internals.md §5.2).
        // -s (inline), not -f: the shell opens a -f file itself, relative to its own directory and
        // on its own host (an ssh-wrapped shell does not see the coordinator's file); the file
        // beside the journal stays as the record (docs/pegasus-internals.md §4.7).
        const r = await env.shell.recover({ nodes: b.recoverNodes });
        for (const h of r.hints) ctx.warn(`recover: ${h.level}: ${h.message}`);
        ctx.hostResult(f.leader, 'changed', `Recover result: ERR_OK (${r.nodes.length} nodes, ${r.hints.length} hint(s))`);
        // The meta wrote the recovered tree and serves from it (server_state::on_start_recovery ends in start_service).
        env.pointOfNoReturn(`${f.leader} recovered the tree into ${f.target}${f.root} and serves from it`);
        return { hints: r.hints.map((h) => `${h.level}: ${h.message}`), summary: `Recover result: ERR_OK from ${r.nodes.length} node(s)` };
      } catch (e) {
        if (isShellCode(e, 'ERR_SERVICE_ALREADY_RUNNING')) {
          env.pointOfNoReturn(`${f.leader} already recovered the tree into ${f.target}${f.root}`);
          return { summary: 'already recovered (ERR_SERVICE_ALREADY_RUNNING)' };
        }
        throw new AppError(toAppError(e).code, `recover failed: ${toAppError(e).message}`, { cause: e });
      }
    },
  }),
  step({
    name: 'disable-recovery',
    title: () => 'recover_from_replica_server = false',
    hosts: leaderName,
    detail: noDetail,
    run: async (env, ctx) => {
      const f = factsOf(ctx);
      await editConfigs(env, ctx, [leaderOf(env, f)], [{ section: 'meta_server', key: 'recover_from_replica_server', value: 'false' }], f);
      return { summary: `recovery mode off on ${f.leader}` };
    },
  }),
  step({
    name: 'restart-recovered-meta',
    title: (f) => `Restart ${f.leader} in normal mode`,
    hosts: leaderName,
    detail: () => 'the write freeze ends when it serves',
    run: async (env, ctx) => {
      const f = factsOf(ctx);
      const zk = { hosts: f.target, root: f.root };
      await controlMeta(env, ctx, leaderOf(env, f), 'restart');
      if (env.check) return {};
      const info = await waitServing(env, ctx, zk, [leaderOf(env, f)], env.params.leaderTimeoutMs);
      if (info === 'under-recovery') throw new VerifyError(`${f.leader} is still in recovery mode after the restart`);
      env.pointOfNoReturn(`${f.leader} serves from ${formatZk(zk)}`);
      env.freeze('end', `${f.leader} serves from ${formatZk(zk)}`);
      return { startedAt: Date.now(), summary: `${info.primaryMetaServer} serves from ${formatZk(zk)}` };
    },
  }),
  step({
    name: 'start-others',
    title: () => 'Start every other meta',
    hosts: followerNames,
    detail: noDetail,
    run: (env, ctx) => startFollowers(env, ctx, 'no other meta'),
  }),
  step({
    name: 'wait-converged',
    title: () => 'Wait until the pre-migration tables are back and fully healthy',
    hosts: noHosts,
    detail: (params, f) =>
    `after fd_grace_seconds + a beacon; deadline ${secs(sizedTimeoutMs(params.convergeTimeoutMs, partitionsOf(f)))} (grows with the partition count); tables recovery brings back are reported, not waited for`,
    run: async (env, ctx) => {
      const f = factsOf(ctx);
      const b = backupOf(ctx);
      if (!requireNotCheck(env, ctx, 'compare the pre-migration tables and their health with the backup')) return {};
      const startedAt = ctx.results.get('restart-recovered-meta')?.startedAt ?? Date.now();
      await waitTrustworthy(ctx, f, startedAt);
      // Only the pre-migration tables count: recovery also brings back dropped tables whose
      // replicas are still on disk (at the default level steady they are never collected,
      // src/meta/server_state.cpp), and these raise per-node replica counts for good.
      const timeout = sizedTimeoutMs(env.params.convergeTimeoutMs, partitionsOf(f));
      const deadline = Date.now() + timeout;
      let last: string[] = [];
      let extra: string[] = [];
      for (let round = 0; ; round++) {
        try {
          const apps = await env.shell.listApps({ detailed: true });
          const now = apps.apps.filter((a) => a.status === 'AVAILABLE');
          const diffs: string[] = [];
          for (const t of b.tables) {
            const n = now.find((a) => a.appId === t.appId);
            if (!n) diffs.push(`table ${t.name} (id ${t.appId}) is missing`);
            else if (n.appName !== t.name || n.partitionCount !== t.partitionCount) diffs.push(`table id ${t.appId} was ${t.name}/${t.partitionCount}, is ${n.appName}/${n.partitionCount}`);
            else {
              const h = apps.health?.find((x) => x.appId === t.appId);
              if (!h || h.fullyHealthy !== h.partitionCount) diffs.push(`${t.name}: ${h ? `${h.fullyHealthy}/${h.partitionCount}` : 'no'} partitions fully healthy`);
            }
          }
          extra = now.filter((a) => !b.tables.some((t) => t.appId === a.appId)).map((a) => `${a.appName} (id ${a.appId})`);
          last = diffs;
        } catch (e) {
          last = [toAppError(e).message];
        }
        if (last.length === 0) break;
        if (Date.now() > deadline) throw new VerifyError(`the pre-migration tables were not back and healthy within ${Math.round(timeout / 1000)} s: ${last.join('; ')}`);
        if (round % 4 === 0) ctx.progress(`not yet: ${last.slice(0, 4).join('; ')}`);
        await sleep(500);
      }
      if (extra.length > 0) ctx.warn(`recovery brought back table(s) that were not available before (dropped tables whose replicas were still on disk): ${extra.join(', ')}; drop them again if unwanted`);
      return { extraTables: extra, summary: `${b.tables.length} table(s) back and fully healthy${extra.length ? `; ${extra.length} more brought back: ${extra.join(', ')}` : ''}` };
    },
  }),
  FINAL_HEALTH_STEP,
];
