import * as fs from 'node:fs';
import { AppError, IllegalStateError, PreconditionError, toAppError } from '../../../shared/errors';
import { CancelledError, clusterState, INTERRUPTED_NOTE, nextCommands, StopRequest } from './interrupt';
import { ponrNote } from './no-return';
import { NoReturn, pointOfNoReturn } from './no-return-probe';
import { rollForward, stepsLeft } from './roll-forward';
import { ROLL_FORWARD_RETRY_DELAYS_MS } from './transient';
import { loadCluster, openEnv, RunEnv, AgentSettings, TestHooks } from './env';
import type { PegasusCluster } from '../inventory';
import { withZkSecurity } from '../../../shared/zk/client';
import { runZkSecurity, withRunZkSecurity } from './zk-security';
import { Emit, RunSummary } from './events';
import { Journal, JournalEntry, replay, RunOutcome, RunState } from './journal';
import { MigrateInput, MigrateParams, paramsFromJournal, paramsToJournal, resolveParams } from './params';
import type { PreflightFacts } from './preflight';
import { rollbackScope, rollbackSteps, ROLLBACK_PREFIX } from './rollback';
import { RunLock } from './run-lock';
import { runSteps } from './runner';
import { newRunId, requireRun, runFile } from './state-dir';
import { StepResults } from './step-results';
import { plannedSteps, PlannedStep, stepsFor } from './steps';
import { closePrecopy } from './steps-precopy';
import { closeStaysStopped } from './stay-stopped';
import { HOST_NOTE, summarize } from './summary';

/**
 * The migration as a library: `migrate` starts a run, `resume` finishes one whose coordinator
 * died, `rollback` returns one to the old ensemble. Each yields typed events through `emit`,
 * journals every step's intent and outcome (fsynced) before and after it acts, holds the
 * cluster's run lock in the source ensemble for its whole duration, and rolls back by itself when
 * a step after the first change fails (unless `autoRollback` is off).
 */

export interface RunOptions {
  /** Where run journals live (resolveStateDir). */
  stateDir: string;
  /** Agent calls of this session (`-f/--forks`, `--timeout`); not journaled, so resume may differ. */
  agents?: AgentSettings;
  /** Passed in; never read from process.env below. */
  env: NodeJS.ProcessEnv;
  emit: Emit;
  /**
   * Asked once the preflight passed, with the plan that will run (printed from it). Resolving
   * false ends the run as `aborted` with nothing changed. Not asked when absent.
   */
  confirm?: (plan: { params: MigrateParams; facts: PreflightFacts; steps: PlannedStep[] }) => Promise<boolean>;
  /** Called after each step's done entry is journaled (a test hook; the CLI never sets it). */
  afterStep?: (step: string) => void | Promise<void>;
  /** Test seams inside steps (env.ts TestHooks; the CLI never sets them). */
  testHooks?: TestHooks;
  /** Set on SIGINT/SIGTERM (the CLI's handler): the run stops at the next step boundary. */
  stop?: StopRequest;
}

export interface RunResult {
  run: string;
  journal: string;
  outcome: RunOutcome;
  summary: RunSummary;
  facts?: PreflightFacts;
  /** Why the run did not succeed. */
  error?: AppError;
  /** When an automatic rollback ran: why it was needed. */
  rolledBackBecause?: AppError;
}

/** Journals host results (the recap survives a resume) and forwards every event. */
function journaledEmit(journal: Journal, emit: Emit): Emit {
  return (e) => {
    if (e.kind === 'host-result') journal.append({ kind: 'note', text: HOST_NOTE, data: { host: e.host, status: e.status, step: e.step } });
    emit(e);
  };
}

/** Start a new run. Resolves with the outcome; throws only for bad input (before a journal exists). */
export async function migrate(input: MigrateInput, o: RunOptions): Promise<RunResult> {
  const params = resolveParams(input);
  // A bad inventory, an unknown cluster or an unreadable zk_* file is bad input: refused before any journal exists.
  // The one read of the inventory in this process: the run and the plan it asks about use it.
  const cluster = loadCluster(params, o.env);
  const zk = runZkSecurity(cluster, params.to);
  const run = newRunId(params.cluster);
  const file = runFile(o.stateDir, run);
  const journal = Journal.create(file);
  journal.append({ kind: 'run-start', run, params: paramsToJournal(params) });
  return withZkSecurity(zk.resolve, () => drive({ run, file, journal, params, cluster, state: undefined, o, mode: 'forward' }));
}

/** Continue a run from its journal (the step in flight when the coordinator died runs again). */
export async function resume(run: string, o: RunOptions): Promise<RunResult> {
  const { file, state, params } = openRun(o.stateDir, run);
  if (params.dryRun) throw new PreconditionError(`run ${run} was a dry run; there is nothing to resume`);
  if (state.outcome === 'succeeded') {
    // Idempotent: the coordinator finished before it could be told so (killed after its last step).
    const entries = Journal.read(file);
    o.emit({ kind: 'warning', message: `run ${run} already succeeded; nothing to resume` });
    const summary = summarize(entries, 'succeeded', { run, cluster: params.cluster, method: params.method });
    o.emit({ kind: 'run-end', outcome: 'succeeded', summary });
    return { run, journal: file, outcome: 'succeeded', summary };
  }
  if (state.outcome && state.outcome !== 'failed' && state.outcome !== 'rollback-failed' && state.outcome !== 'interrupted') throw new PreconditionError(`run ${run} already ended: ${state.outcome}; nothing to resume`);
  const rollingBack = state.outcome === 'rollback-failed' || Journal.read(file).some((e) => e.kind === 'step-intent' && e.step.startsWith(ROLLBACK_PREFIX));
  const journal = Journal.open(file);
  journal.append({ kind: 'note', text: 'resumed', data: { pid: process.pid } });
  const cluster = loadCluster(params, o.env);
  return withRunZkSecurity(cluster, params.to, () => drive({ run, file, journal, params, cluster, state, o, mode: rollingBack ? 'rollback' : 'forward' }));
}

/** Return a run's cluster to the old ensemble. */
export async function rollback(run: string, o: RunOptions): Promise<RunResult> {
  const { file, state, params } = openRun(o.stateDir, run);
  requireRollbackable(run, state, params);
  const journal = Journal.open(file);
  journal.append({ kind: 'note', text: 'rollback-requested', data: { pid: process.pid } });
  const cluster = loadCluster(params, o.env);
  return withRunZkSecurity(cluster, params.to, () => drive({ run, file, journal, params, cluster, state, o, mode: 'rollback' }));
}

/**
 * A run that can be rolled back: one that changed something and is not back already. A
 * succeeded run is past the point of no return, so its rollback copies the new tree back first.
 */
function requireRollbackable(run: string, state: RunState, params: MigrateParams): void {
  if (params.dryRun) throw new PreconditionError(`run ${run} was a dry run; it changed nothing`);
  if (state.outcome === 'rolled-back') throw new PreconditionError(`run ${run} is already rolled back`);
  if (state.outcome === 'aborted') throw new PreconditionError(`run ${run} was aborted before changing anything; there is nothing to roll back`);
}

function openRun(stateDir: string, run: string): { file: string; state: RunState; params: MigrateParams } {
  const file = requireRun(stateDir, run);
  const state = replay(Journal.read(file));
  return { file, state, params: paramsFromJournal(state.params, file) };
}

interface Drive {
  run: string;
  file: string;
  journal: Journal;
  params: MigrateParams;
  /** Read from the inventory once, before the journal was opened or written to. */
  cluster: PegasusCluster;
  state: RunState | undefined;
  o: RunOptions;
  mode: 'forward' | 'rollback';
}

async function drive(d: Drive): Promise<RunResult> {
  const { run, file, journal, params, o } = d;
  const emit = journaledEmit(journal, o.emit);
  emit({ kind: 'run-start', run, cluster: params.cluster, method: params.method, dryRun: params.dryRun, journal: file });
  let env: RunEnv | undefined;
  let lock: RunLock | undefined;
  let outcome: RunOutcome = 'failed';
  let error: AppError | undefined;
  let because: AppError | undefined;
  const results = new StepResults();
  const takeLock = async (source: string): Promise<void> => {
    if (params.dryRun || lock) return;
    // reconfig: the lock's session must outlive the old servers' removal, so it knows every server.
    lock = await RunLock.acquire(params.method === 'reconfig' ? `${source},${params.to}` : source, params.cluster, run, { resume: d.state !== undefined });
  };
  try {
    env = openEnv({ run, params, cluster: d.cluster, journal, emit, stateDir: o.stateDir, env: o.env, ...(o.agents ? { agents: o.agents } : {}), ...(o.testHooks ? { testHooks: o.testHooks } : {}) });
    const e = env;
    const steps = stepsFor(e, takeLock);
    const done = new Set(d.state?.done.map((x) => x.step) ?? []);
    results.load(d.state);
    if (d.mode === 'rollback') {
      const facts = results.facts;
      if (!facts) {
        outcome = 'aborted';
        error = new PreconditionError('the run never finished its preflight: nothing was changed, nothing to roll back');
      } else {
        await takeLock(facts.source);
        outcome = await doRollback(e, file, emit, results, facts, o.stop);
      }
    } else {
      if (!done.has('preflight')) {
        try {
          await runSteps([steps[0]!], journal, d.state, emit, results, o.stop ? { stop: o.stop } : {});
        } catch (err) {
          outcome = 'aborted';
          throw err;
        }
      }
      const facts = results.requireFacts();
      await takeLock(facts.source);
      if (o.confirm && !done.has('preflight') && !(await o.confirm({ params, facts, steps: plannedSteps(params, facts, e.cluster) }))) {
        outcome = 'aborted';
        throw new AppError('PRECONDITION', 'not confirmed: nothing was changed');
      }
      const rest = steps.slice(1);
      const retryDelaysFor = (): readonly number[] | undefined => (ponrNote(Journal.read(file)) ? ROLL_FORWARD_RETRY_DELAYS_MS : undefined);
      await runSteps(rest, journal, d.state, emit, results, { retryDelaysFor, ...(o.afterStep ? { afterStep: o.afterStep } : {}), ...(o.stop ? { stop: o.stop } : {}) });
      outcome = 'succeeded';
    }
  } catch (err) {
    error = toAppError(err);
    // Nothing changes before the preflight has passed (a bad inventory, an unreachable agent...).
    if (d.mode === 'forward' && !results.has('preflight')) outcome = 'aborted';
    const facts = results.facts;
    const cancelled = err instanceof CancelledError;
    const noReturn = !cancelled && outcome !== 'aborted' && d.mode === 'forward' && !params.dryRun && env ? await pointOfNoReturn(Journal.read(file), params, facts) : undefined;
    if (cancelled) {
      // Stopped at a step boundary on the operator's signal: no automatic rollback or roll-forward
      // (the operator asked to stop, not to change more); say where the cluster is and what next.
      if (outcome !== 'aborted') {
        outcome = 'interrupted';
        const entries = Journal.read(file);
        const nr = await pointOfNoReturn(entries, params, facts, { connectTimeoutMs: 2000 });
        const where = clusterState(entries, params, facts);
        const rollingBack = d.mode === 'rollback' || entries.some((x) => x.kind === 'step-intent' && x.step.startsWith(ROLLBACK_PREFIX));
        journal.append({ kind: 'note', text: INTERRUPTED_NOTE, data: { signal: err.signal, nextStep: err.nextStep, pastNoReturn: nr.past, state: where } });
        error = new AppError('CANCELLED', `interrupted by ${err.signal} at the step boundary before ${err.nextStep}: ${where}; ${nextCommands(run, nr.past, facts?.source ?? 'the old ensemble', rollingBack)}`, { cause: err });
      } else error = new AppError('CANCELLED', `interrupted by ${err.signal} during the preflight: nothing was changed`, { cause: err });
    } else if (noReturn?.past && env) {
      // The old tree is stale: never back to it by itself. Repair and finish on the new ensemble.
      journal.append({ kind: 'note', text: 'roll-forward', data: { why: noReturn.why, error: error.message } });
      try {
        await rollForward(env, stepsFor(env, takeLock).slice(1), emit, results, error);
        outcome = 'succeeded';
        because = error;
        error = undefined;
      } catch (fwErr) {
        outcome = 'failed';
        const left = stepsLeft(file, stepsFor(env, takeLock).slice(1));
        error = new AppError(toAppError(fwErr).code, `stopped past the point of no return: every meta config names ${params.to}, no meta runs on the old ensemble; steps left: ${left.join(', ') || 'none'}. Last error: ${toAppError(fwErr).message}. Fix it and run "zkmig resume ${run}" (or "zkmig rollback ${run}", which copies the new tree back first)`, { cause: fwErr });
      }
    } else if (outcome !== 'aborted' && d.mode === 'forward') {
      if (params.dryRun) outcome = 'failed';
      else if (!params.autoRollback) {
        outcome = 'failed';
        emit({ kind: 'warning', message: `automatic rollback is off: the run stops here. "zkmig resume ${run}" retries, "zkmig rollback ${run}" returns to the old ensemble` });
      } else if (env) {
        because = error;
        emit({ kind: 'warning', message: `rolling back automatically: ${error.message}` });
        try {
          outcome = await doRollback(env, file, emit, results, facts, o.stop);
          error = undefined;
        } catch (rbErr) {
          outcome = rbErr instanceof CancelledError ? 'interrupted' : 'rollback-failed';
          error = rbErr instanceof CancelledError ? new AppError('CANCELLED', `interrupted by ${rbErr.signal} during the automatic rollback, before ${rbErr.nextStep}: ${clusterState(Journal.read(file), params, facts)}; "zkmig rollback ${run}" (or "zkmig resume ${run}") finishes the rollback`, { cause: rbErr }) : toAppError(rbErr);
        }
      }
    } else if (d.mode === 'rollback' && outcome !== 'aborted') outcome = 'rollback-failed';
  } finally {
    if (env) closePrecopy(env);
    if (env) await closeStaysStopped(env);
    journal.append({ kind: 'run-end', outcome });
    journal.close();
    await lock?.release().catch(() => undefined);
    env?.pool.close();
  }
  const entries = Journal.read(file);
  const summary = summarize(entries, outcome, {
    run,
    cluster: params.cluster,
    method: params.method,
    ...(error && outcome === 'interrupted' ? { message: error.message } : {}),
    ...(error && outcome !== 'rolled-back' && outcome !== 'interrupted' ? { message: `${outcomeText(outcome)}: ${firstLine(error.message)}` } : {}),
    ...(because && outcome === 'rolled-back' ? { message: `rolled back to the old ensemble after: ${firstLine(because.message)}` } : {}),
    ...(because && outcome === 'succeeded' ? { message: `the cluster serves from the new ensemble; rolled forward past the point of no return after: ${firstLine(because.message)}` } : {}),
    ...(params.dryRun && outcome === 'succeeded' ? { message: 'dry run: every step ran in check mode; nothing was changed' } : {}),
  });
  emit({ kind: 'run-end', outcome, summary });
  const facts = results.facts;
  return { run, journal: file, outcome, summary, ...(facts ? { facts } : {}), ...(error ? { error } : {}), ...(because ? { rolledBackBecause: because } : {}) };
}

function firstLine(s: string): string {
  return s.split('\n')[0]!;
}

function outcomeText(o: RunOutcome): string {
  return o === 'aborted' ? 'aborted, nothing changed' : o;
}

export const ROLLBACK_DECISION_NOTE = 'rollback-decision';

/**
 * Run the rollback steps; throws (after journaling) when one fails. Whether the new tree must be
 * copied back first is decided once per run and journaled, so a rollback resumed after a failure
 * does the same kind of rollback even once the target tree's state has moved on.
 */
async function doRollback(env: RunEnv, file: string, emit: Emit, results: StepResults, facts: PreflightFacts | undefined, stop?: StopRequest): Promise<RunOutcome> {
  const entries: JournalEntry[] = Journal.read(file);
  if (!env.journal) throw new IllegalStateError('no-journal', 'a rollback needs the run journal');
  // The pre-copy's follower must not write into the target the rollback clears, and the rollback's
  // own starts of metas are not supervisors' restarts.
  closePrecopy(env);
  await closeStaysStopped(env);
  const nr = await rollbackDecision(env, entries, facts);
  emit({ kind: 'warning', message: nr.past ? `past the point of no return (${nr.why}): the new tree is copied back onto the old ensemble before any meta starts there` : `before the point of no return (${nr.why}): the old tree is still the truth` });
  const state = replay(Journal.read(file));
  await runSteps(rollbackSteps(env, { ...rollbackScope(entries), pastNoReturn: nr.past }), env.journal, state, emit, results, stop ? { stop } : {});
  return 'rolled-back';
}

export async function rollbackDecision(env: RunEnv, entries: readonly JournalEntry[], facts: PreflightFacts | undefined): Promise<NoReturn> {
  const prior = entries.find((e) => e.kind === 'note' && e.text === ROLLBACK_DECISION_NOTE);
  if (prior && prior.kind === 'note') return { past: prior.data?.past === true, why: String(prior.data?.why ?? '') };
  const nr = await pointOfNoReturn(entries, env.params, facts);
  env.note(ROLLBACK_DECISION_NOTE, { past: nr.past, why: nr.why });
  return nr;
}

/** The run's state from its journal, for `zkmig status`. */
export function readRun(file: string): { state: RunState; entries: JournalEntry[] } {
  if (!fs.existsSync(file)) throw new AppError('NOT_FOUND', `no run journal at ${file}`);
  const entries = Journal.read(file);
  return { state: replay(entries), entries };
}

export interface RollbackPlan {
  run: string;
  pastNoReturn: boolean;
  why: string;
  steps: { name: string; title: string }[];
}

/** What `zkmig rollback RUN` would do, shown before it asks: which kind of rollback, and its steps. Changes nothing. */
export async function planRollback(run: string, o: { stateDir: string; env: NodeJS.ProcessEnv }): Promise<RollbackPlan> {
  const opened = openRun(o.stateDir, run);
  const cluster = loadCluster(opened.params, o.env);
  return withRunZkSecurity(cluster, opened.params.to, () => planRollbackIn(run, opened, cluster, o));
}

async function planRollbackIn(run: string, { file, params, state }: ReturnType<typeof openRun>, cluster: PegasusCluster, o: { stateDir: string; env: NodeJS.ProcessEnv }): Promise<RollbackPlan> {
  requireRollbackable(run, state, params);
  const entries = Journal.read(file);
  const facts = StepResults.of(state).facts;
  const prior = entries.find((e) => e.kind === 'note' && e.text === ROLLBACK_DECISION_NOTE);
  const nr: NoReturn = prior && prior.kind === 'note' ? { past: prior.data?.past === true, why: String(prior.data?.why ?? '') } : await pointOfNoReturn(entries, params, facts);
  const env = openEnv({ run, params, cluster, journal: undefined, emit: () => undefined, stateDir: o.stateDir, env: o.env });
  try {
    return { run, pastNoReturn: nr.past, why: nr.why, steps: rollbackSteps(env, { ...rollbackScope(entries), pastNoReturn: nr.past }).map((s) => ({ name: s.name, title: typeof s.title === 'string' ? s.title : s.name })) };
  } finally {
    env.pool.close();
  }
}
