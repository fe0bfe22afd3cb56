import { unalivePlanLines } from './unalive';
import { setConfig } from '../config-edit';
import type { PegasusCluster } from '../inventory';
import { loadCluster, openEnv } from './env';
import { withRunZkSecurity } from './zk-security';
import type { Emit } from './events';
import { MigrateInput, MigrateParams, resolveParams } from './params';
import { PONR_TEXT } from './no-return';
import { preflight, PreflightFacts } from './preflight';
import { secs } from './steps-common';
import { FreezeEstimate, freezeEstimates, freezeLine } from './timing';
import { plannedSteps, PlannedStep } from './steps';

/**
 * `zkmig plan`: the preflight checks plus the exact steps with their hosts and the config diffs
 * each agent computes in check mode. Changes nothing and records nothing. The steps are described
 * from the same definitions the run runs (steps.ts).
 */

export { plannedSteps };
export type { PlannedStep };

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
  /** Each method's write freeze, estimated (timing.ts freezeEstimates); the text plan says which is least. */
  freeze: FreezeEstimate[];
}

export async function planMigration(input: MigrateInput, o: { env: NodeJS.ProcessEnv; stateDir: string; emit?: Emit }): Promise<MigrationPlan> {
  const params = resolveParams({ ...input, dryRun: true });
  const cluster = loadCluster(params, o.env);
  return withRunZkSecurity(cluster, params.to, () => planIn(params, cluster, o));
}

async function planIn(params: MigrateParams, cluster: PegasusCluster, o: { env: NodeJS.ProcessEnv; stateDir: string; emit?: Emit }): Promise<MigrationPlan> {
  const env = openEnv({ run: 'plan', params, cluster, journal: undefined, emit: o.emit ?? (() => undefined), stateDir: o.stateDir, env: o.env });
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
    return { params, facts, steps: plannedSteps(params, facts, env.cluster), diffs, freeze: freezeOf(params, facts) };
  } finally {
    env.pool.close();
  }
}

function freezeOf(params: MigrateParams, f: PreflightFacts): FreezeEstimate[] {
  return freezeEstimates({ nodes: f.size.nodes, inactiveWaitMs: f.inactiveWaitMs, precopy: params.precopy });
}

/** The plan as text (also what `migrate` shows before asking for confirmation). */
export function renderPlan(params: MigrateParams, f: PreflightFacts, steps: PlannedStep[], diffs: ConfigDiff[] = []): string {
  const lines = [
    `Plan: migrate cluster ${params.cluster} from ${f.source}${f.root} to ${f.target}${f.root} by ${params.method}${params.dryRun ? '' : ''}`,
    `  metas: ${f.metas.map((m) => `${m.name}${m.name === f.leader ? ' (leader)' : ''}`).join(', ')}; meta level ${f.level}`,
    `  tables: ${f.tables.map((t) => `${t.name}(${t.partitionCount})`).join(', ') || 'none'}; replica servers: ${f.nodes.length}`,
    `  tree: ${f.size.nodes} znodes, ${f.size.bytes} bytes, ${f.size.ephemeral} ephemeral; estimated time ${secs(f.estimateMs)}`,
    `  ${freezeLine(params.method, freezeOf(params, f))}`,
  ];
  if (f.aclCheck === 'copy') lines.push('  ACLs: checked as the pre-copy reads them (a digest ACL seen masked, or a sasl: ACL the new ensemble cannot honour, stops it before anything is stopped)');
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
  if (params.method === 'reconfig') {
    lines.push(
      '',
      `On failure: ${params.autoRollback ? 'automatic rollback' : 'stop (--no-auto-rollback); resume or rollback by hand'}. A rollback reverses the config changes made: the old servers back in the membership, each meta's hosts_list restored from the agent's backup and restarted (followers first), the new servers removed. Nothing is copied.`,
      'No point of no return: old and new servers are one ensemble with one history (every zxid, session and ephemeral node kept), so there is no stale tree. After "remove-old" a rollback needs the old servers still running: they are re-added and must sync before the metas move back.',
    );
    return lines.join('\n');
  }
  lines.push(
    '',
    `On failure after the first change and before the point of no return: ${params.autoRollback ? 'automatic rollback to the old ensemble' : 'stop (--no-auto-rollback); resume or rollback by hand'}; the old tree is never modified.`,
    'On failure after the point of no return: roll forward (repair, retry with backoff); if that fails, stop serving from the new ensemble and say what is left. "zkmig rollback RUN" then copies the new tree back onto the old ensemble first.',
  );
  return lines.join('\n');
}
