import { JournalEntry, replay } from '../../coordinator/lib/migrate/journal';
import { ponrNote } from '../../coordinator/lib/migrate/no-return';
import { PegasusShell } from '../../coordinator/lib/shell';
import { waitFor } from '../harness/tmp';
import { cliChild, health, journals, newJournal, readJournal, runIdOf } from '../integration/migrate-support';
import type { ChildProcess } from 'node:child_process';
import { baseline, checkConfigs, checkData, checkNoStaleRollback, checkOneEnsemble } from './checks';
import { prepare, RelFleet, reviveAll } from './fleet';
import { inject, Injected } from './inject';
import { guardCopies, removeJobs, verifyJob } from './jobs';
import { watchLeaders } from './leader-monitor';
import { Cell, expectedOf, Fault, Hit, NO_RETURN, targetsFollower } from './matrix';
import { checkRepairable } from './repairable';

/**
 * One cell of the matrix, end to end: a real `zkmig migrate` child on a prepared fleet, each fault
 * of the cell injected as soon as the journal shows its step starting (or, for `no-return`, the
 * point of no return recorded), then what an operator would do (`zkmig resume RUN` after a killed
 * coordinator or a stopped run; a later fault of the cell may hit the resume), then every check:
 * data, health, leaders, configs, never back on a stale tree, the cell's expected outcome, and
 * that the cluster repairs a replica death afterwards.
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
  /** The journal records the point of no return. */
  pastNoReturn: boolean;
  /** Past the point of no return the run ended on the target and the old tree was never served again. */
  noStaleRollback: boolean;
  /** What the cell must end as (matrix.ts expectedOf), if it is pinned. */
  expected: string | null;
  /** null when nothing is pinned. */
  asExpected: boolean | null;
  /** A replica server killed after the run is repaired (repairable.ts). */
  repairable: boolean;
  /** How long that check took (kill, noticed, back, healthy). */
  repairMs: number;
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
  const metaFor = (step: string): string => (targetsFollower(step) ? f.cluster.metas.find((m) => m !== leader)! : leader).name;
  const ignoreJobs = cell.hits.some((h) => JOB_FAULTS.includes(h.fault));
  const b = await baseline(source, target, f.info.clusterRoot, f.cluster.metas.map((m) => m.metaConfig), ignoreJobs);
  const metaAddrs = f.cluster.metas.map((m) => m.metaAddress);
  const monitor = watchLeaders(metaAddrs);
  const problems: string[] = [];
  const chain: string[] = [];
  let run = '';
  const landed: string[] = cell.hits.map(() => 'not-reached');
  const injected: (Injected | undefined)[] = cell.hits.map(() => undefined);
  const fired = (): Injected[] => injected.filter((x): x is Injected => x !== undefined);
  let why: string[] = [];
  let entries: () => JournalEntry[] = () => [];
  let watching = true;
  let watcher: Promise<void> = Promise.resolve();
  try {
    const before = journals(f);
    const extra = cell.hits.some((h) => h.fault === 'supervisor-restart') ? SUPERVISED_FLAGS : [];
    const child = cliChild(f, ['migrate', '--cluster', f.info.cluster, '--to', target, '--method', cell.method, ...(cell.method === 'copy' ? ['--no-precopy'] : []), '--yes', '--json', ...RUN_FLAGS, ...extra]);
    let current: ChildProcess = child.proc;
    const file = await newJournal(f, before, 60000);
    run = runIdOf(file);
    entries = () => readJournal(file);
    // Each fault in turn, at its point, whichever coordinator (the run or a resume) is running then.
    watcher = (async () => {
      for (let i = 0; i < cell.hits.length; i++) {
        const h = cell.hits[i]!;
        while (watching && !reached(entries(), h)) await sleep(5);
        if (!watching) return;
        try {
          injected[i] = await inject(f, h.fault, { meta: metaFor(h.step), source, target, coordinator: () => current });
        } catch (e) {
          problems.push(`harness: injecting ${h.fault}: ${(e as Error).message.split('\n')[0]}`);
          return;
        }
        landed[i] = entries().some((e) => e.kind === 'step-done' && e.step === stepOf(cell, h)) ? 'after-step' : 'during-step';
      }
    })();
    chain.push(await finish(child, 'run'));
    // What the operator does next: resume a run whose coordinator died or that stopped half way
    // (resume continues a rollback that could not finish). Twice at most, or three times when the
    // cell kills the coordinator twice.
    const rounds = 2 + Math.max(0, cell.hits.filter((h) => h.fault === 'coordinator-kill').length - 1);
    for (let i = 0; i < rounds; i++) {
      for (const x of fired()) await x.pending;
      for (const x of fired()) await x.afterRun();
      const st = replay(entries());
      if (st.outcome === 'succeeded' || st.outcome === 'rolled-back' || st.outcome === 'aborted') break;
      reviveAll(f);
      chain.push('resume');
      const r = cliChild(f, ['resume', run, '--yes', '--json']);
      current = r.proc;
      chain.push(await finish(r, 'resume'));
    }
    watching = false;
    await watcher;
    for (const x of fired()) await x.pending;
    fired().forEach((x, i) => {
      if (x.fired && !x.fired()) landed[i] = 'no-effect';
    });
    why = entries().flatMap((e) => (e.kind === 'step-failed' ? [`${e.step}: ${e.error.split('\n')[0]}`] : []));
    const end = replay(entries()).outcome;
    if (end !== chain[chain.length - 1]) chain.push(`journal:${end ?? 'none'}`);
  } catch (e) {
    problems.push(`harness: ${(e as Error).message.split('\n')[0]}`);
  } finally {
    watching = false;
    await watcher;
    for (const x of fired()) await x.afterRun().catch(() => undefined);
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
  const endedOn = servingZk === source ? 'source' : servingZk === target ? 'target' : 'unknown';
  const journal = entries();
  const stale = checkNoStaleRollback(journal, endedOn, watch.lastServed, source);
  problems.push(...stale.problems);

  // The cell's own outcome, where the matrix pins one, and what its fault must leave behind.
  const exp = expectedOf(cell);
  const mismatch: string[] = [];
  if (exp) {
    if (!exp.outcome.test(outcome)) mismatch.push(`outcome ${outcome}, expected ${exp.text}`);
    if (exp.endedOn && endedOn !== exp.endedOn) mismatch.push(`ended on ${endedOn}, expected ${exp.endedOn}`);
    landed.forEach((l, i) => {
      if (l === 'not-reached' || l === 'no-effect') mismatch.push(`${cell.hits[i]!.fault}@${cell.hits[i]!.step} ${l}`);
    });
  }
  const fails = journal.flatMap((e) => (e.kind === 'step-failed' ? [e.error] : [])).join('\n');
  for (const [i, h] of cell.hits.entries()) {
    const x = injected[i];
    if (x?.job?.kind === 'duplication') x.what += ` (${guardCopies(journal)})`;
    if (x?.job) mismatch.push(...(await verifyJob(x.job, { entries: journal, endedOn, source, target, root: f.info.clusterRoot }).catch((e: Error) => [`verifying the job: ${e.message}`])));
    if (h.fault === 'supervisor-restart') {
      const meta = metaFor(h.step);
      if (!fails.includes(`${meta}: `) || !/runs again/.test(fails)) mismatch.push(`no step failure names ${meta} running again: ${fails.split('\n')[0] ?? 'no step failed'}`);
      if (stale.pastNoReturn) mismatch.push('the supervised follower was noticed only past the point of no return');
    }
  }
  problems.push(...mismatch);

  // Repairable afterwards, then the jobs a fault started are removed before the next run.
  const repair = healthy ? await checkRepairable(f, servingZk) : { ok: false, ms: 0, problems: ['repairable: not checked, the cluster is not healthy'] };
  problems.push(...repair.problems.filter((p) => healthy || !p.includes('not checked')));
  if (ignoreJobs && servingZk) {
    await removeJobs(f, servingZk).catch((e: Error) => problems.push(`harness: removing the jobs: ${e.message.split('\n')[0]}`));
  }
  return {
    method: cell.method,
    fault: cell.fault,
    step: cell.step,
    outcome,
    landed: landed.join('+'),
    what: fired().map((x) => x.what).join('; '),
    why,
    run,
    endedOn,
    dataLost,
    healthy,
    splitBrain,
    configsOk: cfg.ok,
    oneEnsemble: one.oneEnsemble,
    pastNoReturn: stale.pastNoReturn,
    noStaleRollback: stale.ok,
    expected: exp?.text ?? null,
    asExpected: exp || mismatch.length > 0 ? mismatch.length === 0 : null,
    repairable: repair.ok,
    repairMs: repair.ms,
    oldTreeUnchanged: data.oldTreeUnchanged,
    tablesKept: data.tablesKept,
    newTreeEqual: data.newTreeEqual ?? null,
    durationMs: Date.now() - t0,
    problems,
    ok: !dataLost && healthy && !splitBrain && cfg.ok && one.oneEnsemble && stale.ok && mismatch.length === 0 && repair.ok && !problems.some((p) => p.startsWith('harness:')),
  };
}

/** Faults that start a job in the cluster (jobs.ts). */
const JOB_FAULTS: Fault[] = ['dup-during-copy', 'bulk-load-during-blind'];

/** A supervised follower: a long stays-stopped window, ended as soon as the restarted port answers (a loaded machine starts it slowly). */
const SUPERVISED_FLAGS = ['--stay-stopped', '60s'];

/** The real step a hit lands in (`no-return` is inside the step that passes the point). */
function stepOf(cell: Cell, h: Hit): string {
  return h.step === NO_RETURN ? (cell.method === 'copy' ? 'wait-leader' : 'recover') : h.step;
}

/**
 * Whether the journal shows the hit's point: its step started, or the point of no return recorded;
 * a bulk load "during blind" as soon as set-blind is done (inject.ts pauses the coordinator).
 */
function reached(entries: readonly JournalEntry[], h: Hit): boolean {
  if (h.step === NO_RETURN) return ponrNote(entries) !== undefined;
  if (h.fault === 'bulk-load-during-blind') return entries.some((e) => e.kind === 'step-done' && e.step === 'set-blind');
  return entries.some((e) => e.kind === 'step-intent' && e.step === h.step);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
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

