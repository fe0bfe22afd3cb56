import { unalivePlanLines } from './unalive';
import { setConfig } from '../config-edit';
import type { PegasusCluster } from '../inventory';
import { loadCluster, openEnv } from './env';
import { withRunZkSecurity } from './zk-security';
import type { Emit } from './events';
import { MigrateInput, MigrateParams, resolveParams } from './params';
import { PONR_TEXT } from './no-return';
import { preflight, PreflightFacts } from './preflight';
import { partitionsOf } from './steps-trust';
import { sizedTimeoutMs, trustAfterStartMs } from './timing';

/**
 * `zkmig plan`: the preflight checks plus the exact steps with their hosts and the config diffs
 * each agent computes in check mode. Changes nothing and records nothing.
 */

export interface PlannedStep {
  name: string;
  title: string;
  /** Inventory hosts the step acts on (empty: the cluster through the shell, or ZooKeeper). */
  hosts: string[];
  detail: string;
  /** The point of no return is passed during this step (no-return.ts). */
  pointOfNoReturn?: boolean;
}

export interface ConfigDiff {
  host: string;
  status: string;
  diff: string;
  msg: string;
}

export interface MigrationPlan {
  params: MigrateParams;
  facts: PreflightFacts;
  steps: PlannedStep[];
  diffs: ConfigDiff[];
}

function secs(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}

/** The steps of `method`, described with the preflight's facts. Pure. */
export function plannedSteps(params: MigrateParams, f: PreflightFacts, cluster: PegasusCluster): PlannedStep[] {
  const followers = cluster.metas.filter((m) => m.name !== f.leader).map((m) => m.name);
  const all = cluster.metas.map((m) => m.name);
  const zkNew = `${f.target}${f.root}`;
  // stay-stopped.ts: a meta a supervisor brings back stops the run.
  const stay = params.stayStoppedMs > 0 ? `; each stopped meta must stay down for ${secs(params.stayStoppedMs)} (a supervisor restarting it stops the run)` : '';
  if (params.method === 'copy') {
    return [
      { name: 'stop-followers', title: 'Stop every follower meta', hosts: followers, detail: `${f.leader} keeps leading alone; the write freeze starts here${stay}` },
      { name: 'set-blind', title: 'set_meta_level blind on the leader', hosts: [f.leader], detail: `stored level now ${f.level}; blind stops partition-config writes (not DDL)` },
      { name: 'copy', title: `Copy ${f.root} to ${f.target}`, hosts: [], detail: `${f.size.nodes} znodes, ${f.size.bytes} bytes; ${f.size.ephemeral} ephemeral node(s) (LOCKNODEs) skipped; verified by digest` },
      { name: 'check-source', title: 'Check the source did not change', hosts: [], detail: `digest and max mzxid; on a change: ${params.onSourceChange === 'recopy' ? `copy again (at most ${params.maxCopyAttempts} copies)` : 'abort and roll back'}` },
      { name: 'stop-leader', title: 'Stop the leader', hosts: [f.leader], detail: `no meta runs: nothing writes the source tree (blind does not stop drops, renames, envs, duplication, bulk load, backup)${stay}` },
      { name: 'recheck-source', title: 'Fingerprint the source again', hosts: [], detail: `compare with the copied digest; on a change: ${params.onSourceChange === 'recopy' ? 'copy the difference' : 'abort and roll back'}` },
      { name: 'update-configs', title: `[zookeeper] hosts_list = ${f.target}`, hosts: all, detail: 'through the agents, backups kept (diffs below)' },
      { name: 'start-leader', title: 'Start the leader on the new ensemble', hosts: [f.leader], detail: '' },
      { name: 'wait-leader', title: `Wait until ${f.leader} serves from ${zkNew}`, hosts: [f.leader], detail: `deadline ${secs(params.leaderTimeoutMs)}; the write freeze ends; POINT OF NO RETURN once it serves; health trusted after fd_grace_seconds + a beacon (${secs(trustAfterStartMs(f.timing))}), within ${secs(sizedTimeoutMs(params.healthTimeoutMs, partitionsOf(f)))}; tables and partitions as before`, pointOfNoReturn: true },
      { name: 'start-followers', title: 'Start the followers', hosts: followers, detail: '' },
      { name: 'final-health', title: 'Final health check', hosts: [], detail: `meta level back to ${f.level}` },
    ];
  }
  return [
    { name: 'backup-lists', title: 'Back up the table and node lists', hosts: [], detail: `${f.tables.length} table(s), ${f.nodes.length} node(s); recovery list = the ALIVE nodes` },
    { name: 'stop-metas', title: 'Stop every meta', hosts: all, detail: `the write freeze starts here${stay}` },
    { name: 'wait-inactive', title: `Wait ${secs(f.inactiveWaitMs)} for the replica servers to go inactive`, hosts: [], detail: `config_sync_interval_ms ${f.timing.configSyncIntervalMs}, fd_lease_seconds ${f.timing.fdLeaseSeconds}, fd_grace_seconds ${f.timing.fdGraceSeconds}` },
    { name: 'configure-recovery', title: `hosts_list = ${f.target} everywhere; recover_from_replica_server = true on ${f.leader}`, hosts: all, detail: 'backups kept (diffs below)' },
    { name: 'start-recovery-meta', title: `Start ${f.leader} in recovery mode`, hosts: [f.leader], detail: `${zkNew}/apps must be absent or empty` },
    { name: 'recover', title: 'recover -s <ALIVE nodes>', hosts: [], detail: 'requires "Recover result: ERR_OK"; POINT OF NO RETURN: the meta writes the recovered tree and serves from it', pointOfNoReturn: true },
    { name: 'disable-recovery', title: 'recover_from_replica_server = false', hosts: [f.leader], detail: '' },
    { name: 'restart-recovered-meta', title: `Restart ${f.leader} in normal mode`, hosts: [f.leader], detail: 'the write freeze ends when it serves' },
    { name: 'start-others', title: 'Start every other meta', hosts: followers, detail: '' },
    { name: 'wait-converged', title: 'Wait until the pre-migration tables are back and fully healthy', hosts: [], detail: `after fd_grace_seconds + a beacon; deadline ${secs(sizedTimeoutMs(params.convergeTimeoutMs, partitionsOf(f)))} (grows with the partition count); tables recovery brings back are reported, not waited for` },
    { name: 'final-health', title: 'Final health check', hosts: [], detail: `meta level back to ${f.level}` },
  ];
}

export async function planMigration(input: MigrateInput, o: { env: NodeJS.ProcessEnv; stateDir: string; emit?: Emit }): Promise<MigrationPlan> {
  const params = resolveParams({ ...input, dryRun: true });
  return withRunZkSecurity(loadCluster(params, o.env), params.to, () => planIn(params, o));
}

async function planIn(params: MigrateParams, o: { env: NodeJS.ProcessEnv; stateDir: string; emit?: Emit }): Promise<MigrationPlan> {
  const env = openEnv({ run: 'plan', params, journal: undefined, emit: o.emit ?? (() => undefined), stateDir: o.stateDir, env: o.env });
  try {
    const facts = await preflight(env);
    const edits = [{ section: 'zookeeper', key: 'hosts_list', value: facts.target }];
    const r = await setConfig({ pool: env.pool, cluster: env.cluster, edits, checkMode: true });
    const diffs: ConfigDiff[] = r.hosts.map((h) => ({ host: h.host, status: h.status, diff: h.value?.diff ?? '', msg: h.value?.msg ?? h.error?.message ?? '' }));
    if (params.method === 'recover') {
      const rec = await setConfig({ pool: env.pool, cluster: env.cluster, hosts: [facts.leader], edits: [...edits, { section: 'meta_server', key: 'recover_from_replica_server', value: 'true' }], checkMode: true });
      for (const h of rec.hosts) {
        const d = diffs.find((x) => x.host === h.host);
        if (d) Object.assign(d, { diff: h.value?.diff ?? d.diff, msg: h.value?.msg ?? d.msg });
      }
    }
    return { params, facts, steps: plannedSteps(params, facts, env.cluster), diffs };
  } finally {
    env.pool.close();
  }
}

/** The plan as text (also what `migrate` shows before asking for confirmation). */
export function renderPlan(params: MigrateParams, f: PreflightFacts, steps: PlannedStep[], diffs: ConfigDiff[] = []): string {
  const lines = [
    `Plan: migrate cluster ${params.cluster} from ${f.source}${f.root} to ${f.target}${f.root} by ${params.method}${params.dryRun ? '' : ''}`,
    `  metas: ${f.metas.map((m) => `${m.name}${m.name === f.leader ? ' (leader)' : ''}`).join(', ')}; meta level ${f.level}`,
    `  tables: ${f.tables.map((t) => `${t.name}(${t.partitionCount})`).join(', ') || 'none'}; replica servers: ${f.nodes.length}`,
    `  tree: ${f.size.nodes} znodes, ${f.size.bytes} bytes, ${f.size.ephemeral} ephemeral; estimated time ${secs(f.estimateMs)}`,
  ];
  for (const w of f.warnings) lines.push(`  warning: ${w}`);
  if (params.method === 'recover') {
    if (f.losses.lines.length === 0) lines.push('  recovery losses: none found (no duplications, backup policies, bulk loads or dropped tables)');
    else for (const l of f.losses.lines) lines.push(`  RECOVERY CANNOT RESTORE: ${l}`);
  }
  lines.push(...unalivePlanLines(params, f));
  lines.push('', 'Steps:');
  steps.forEach((s, i) => {
    lines.push(`  ${String(i + 1).padStart(2)}. ${s.title}${s.hosts.length ? ` [${s.hosts.join(', ')}]` : ''}${s.detail ? `\n      ${s.detail}` : ''}`);
    if (s.pointOfNoReturn) lines.push(`  ---- ${PONR_TEXT} ----`);
  });
  if (diffs.length > 0) {
    lines.push('', 'Config changes (agents, check mode):');
    for (const d of diffs) lines.push(`  ${d.host}: ${d.status}${d.diff ? `\n${d.diff.replace(/\n+$/, '').replace(/^/gm, '      ')}` : ` ${d.msg}`}`);
  }
  lines.push(
    '',
    `On failure after the first change and before the point of no return: ${params.autoRollback ? 'automatic rollback to the old ensemble' : 'stop (--no-auto-rollback); resume or rollback by hand'}; the old tree is never modified.`,
    'On failure after the point of no return: roll forward (repair, retry with backoff); if that fails, stop serving from the new ensemble and say what is left. "zkmig rollback RUN" then copies the new tree back onto the old ensemble first.',
  );
  return lines.join('\n');
}
