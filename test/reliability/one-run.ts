import { replay } from '../../coordinator/lib/migrate/journal';
import { PegasusShell } from '../../coordinator/lib/shell';
import { waitFor } from '../harness/tmp';
import { cliChild, health, journals, newJournal, readJournal, runIdOf } from '../integration/migrate-support';
import { baseline, checkConfigs, checkData, checkOneEnsemble } from './checks';
import { prepare, RelFleet, reviveAll } from './fleet';
import { inject, Injected } from './inject';
import { watchLeaders } from './leader-monitor';
import { Cell, targetsFollower } from './matrix';

/**
 * One cell of the matrix, end to end: a real `zkmig migrate` child on a prepared fleet, the fault
 * injected as soon as the journal shows the cell's step starting, then what an operator would do
 * (`zkmig resume RUN` after a killed coordinator or a stopped run), then every check.
 */

export interface RunRecord {
  method: string;
  fault: string;
  step: string;
  /** e.g. completed, rolled-back, killed→resume→completed, rollback-failed→resume→rolled-back, hung. */
  outcome: string;
  /** Where the fault landed: during-step (the step had not finished), after-step (it was too short), not-reached, no-effect. */
  landed: string;
  what: string;
  /** The step failures the run journaled, first line each (why it aborted, rolled back or retried). */
  why: string[];
  run: string;
  /** Which side the cluster runs on afterwards. */
  endedOn: 'source' | 'target' | 'unknown';
  dataLost: boolean;
  healthy: boolean;
  splitBrain: boolean;
  configsOk: boolean;
  oneEnsemble: boolean;
  oldTreeUnchanged: boolean;
  tablesKept: boolean;
  newTreeEqual: boolean | null;
  durationMs: number;
  problems: string[];
  ok: boolean;
}

/** Bounds that keep a run of the matrix short; the defaults (2 m, 5 m, 10 m) are for production clusters. */
const RUN_FLAGS = ['--leader-timeout', '60s', '--health-timeout', '90s', '--converge-timeout', '120s'];
/** A run (or resume) that takes longer is killed and reported as hung. */
const RUN_DEADLINE_MS = 6 * 60_000;

export async function runCell(f: RelFleet, cell: Cell): Promise<RunRecord> {
  const t0 = Date.now();
  const { source, target } = await prepare(f);
  const info = await PegasusShell.forCluster(f.cluster).clusterInfo();
  const leader = f.cluster.metas.find((m) => m.metaAddress === info.primaryMetaServer) ?? f.cluster.metas[0]!;
  const meta = targetsFollower(cell.step) ? f.cluster.metas.find((m) => m !== leader)! : leader;
  const b = await baseline(source, target, f.info.clusterRoot, f.cluster.metas.map((m) => m.metaConfig));
  const metaAddrs = f.cluster.metas.map((m) => m.metaAddress);
  const monitor = watchLeaders(metaAddrs);
  const problems: string[] = [];
  const chain: string[] = [];
  let run = '';
  let landed = 'not-reached';
  let injected: Injected | undefined;
  let why: string[] = [];
  try {
    const before = journals(f);
    const child = cliChild(f, ['migrate', '--cluster', f.info.cluster, '--to', target, '--method', cell.method, '--yes', '--json', ...RUN_FLAGS]);
    let exited = false;
    void child.done.then(() => (exited = true));
    const file = await newJournal(f, before, 60000);
    run = runIdOf(file);
    const entries = (): ReturnType<typeof readJournal> => readJournal(file);
    await waitFor(`step ${cell.step} to start`, () => exited || entries().some((e) => e.kind === 'step-intent' && e.step === cell.step), RUN_DEADLINE_MS, 5);
    if (!exited) {
      injected = await inject(f, cell.fault, { meta: meta.name, source, target, coordinator: child.proc });
      landed = entries().some((e) => e.kind === 'step-done' && e.step === cell.step) ? 'after-step' : 'during-step';
    }
    chain.push(await finish(child, 'run'));
    await injected?.pending;
    if (injected?.fired && !injected.fired()) landed = 'no-effect';
    await injected?.afterRun();
    // What the operator does next: resume a run whose coordinator died or that stopped half way
    // (resume continues a rollback that could not finish). Twice at most.
    for (let i = 0; i < 2; i++) {
      const st = replay(entries());
      if (st.outcome === 'succeeded' || st.outcome === 'rolled-back' || st.outcome === 'aborted') break;
      reviveAll(f);
      chain.push('resume');
      chain.push(await finish(cliChild(f, ['resume', run, '--yes', '--json']), 'resume'));
    }
    why = entries().flatMap((e) => (e.kind === 'step-failed' ? [`${e.step}: ${e.error.split('\n')[0]}`] : []));
    const end = replay(entries()).outcome;
    if (end !== chain[chain.length - 1]) chain.push(`journal:${end ?? 'none'}`);
  } catch (e) {
    problems.push(`harness: ${(e as Error).message.split('\n')[0]}`);
  } finally {
    await injected?.afterRun().catch(() => undefined);
    try {
      reviveAll(f);
    } catch {
      /* reported by the checks */
    }
  }
  const watch = await monitor.stop();
  const splitBrain = watch.overlaps.length > 0;
  if (splitBrain) problems.push(`two leaders at once: ${watch.overlaps.slice(0, 3).map((o) => `t=${o.t}ms ${o.leaders.map((l) => `${l.meta}@${l.zk ?? '?'}`).join(' + ')}`).join('; ')}`);

  // The cluster settles (a restarted replica rejoins) before it is judged; polling, not sleeping.
  const cfg = checkConfigs(b);
  problems.push(...cfg.problems);
  let healthy = false;
  let servingZk: string | undefined;
  try {
    await waitFor('the cluster to be healthy', async () => {
      const one = await checkOneEnsemble(metaAddrs, checkConfigs(b).hostsLists);
      servingZk = one.serving;
      if (!servingZk) return false;
      healthy = (await health(f, servingZk).catch(() => undefined))?.verdict === 'healthy';
      return healthy;
    }, 90000, 500);
  } catch {
    /* reported below */
  }
  const one = await checkOneEnsemble(metaAddrs, checkConfigs(b).hostsLists);
  problems.push(...one.problems);
  if (!healthy) problems.push(`not healthy on ${servingZk ?? 'any ensemble'}`);
  const completed = chain.includes('succeeded');
  const data = await checkData(b, servingZk ?? source, completed, cell.method);
  problems.push(...data.problems);
  const dataLost = !data.oldTreeUnchanged || !data.tablesKept || data.newTreeEqual === false;
  const outcome = chain.map((c) => (c === 'succeeded' ? 'completed' : c)).join('→');
  return {
    method: cell.method,
    fault: cell.fault,
    step: cell.step,
    outcome,
    landed,
    what: injected?.what ?? '',
    why,
    run,
    endedOn: servingZk === source ? 'source' : servingZk === target ? 'target' : 'unknown',
    dataLost,
    healthy,
    splitBrain,
    configsOk: cfg.ok,
    oneEnsemble: one.oneEnsemble,
    oldTreeUnchanged: data.oldTreeUnchanged,
    tablesKept: data.tablesKept,
    newTreeEqual: data.newTreeEqual ?? null,
    durationMs: Date.now() - t0,
    problems,
    ok: !dataLost && healthy && !splitBrain && cfg.ok && one.oneEnsemble && !problems.some((p) => p.startsWith('harness:')),
  };
}

/** Wait for a coordinator child; kill it at the deadline. Returns its outcome word. */
async function finish(child: ReturnType<typeof cliChild>, what: string): Promise<string> {
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    child.proc.kill('SIGKILL');
  }, RUN_DEADLINE_MS);
  const r = await child.done;
  clearTimeout(timer);
  if (hung) return `${what}-hung`;
  if (r.code === -1) return 'killed';
  const last = r.out.trim().split('\n').reverse().find((l) => l.includes('"run-end"'));
  try {
    return (JSON.parse(last ?? '{}') as { outcome?: string }).outcome ?? `exit-${r.code}`;
  } catch {
    return `exit-${r.code}`;
  }
}

