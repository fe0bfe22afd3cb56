import { AppError, toAppError } from '../../../shared/errors';
import { Emit, HostStatus } from './events';
import { CancelledError, StopRequest } from './interrupt';
import { Journal, RunState } from './journal';
import { StepResults } from './step-results';
import { isTransient, TRANSIENT_RETRY_DELAYS_MS } from './transient';

/**
 * Runs a list of idempotent steps against a journal. A step whose `step-done` is already in the
 * journal is skipped and its recorded data handed to later steps, so `resume` continues where a
 * killed coordinator stopped. The step that was in flight runs again: every step re-reads the
 * real state before acting, so running it twice is safe.
 */

export interface StepContext {
  /** Data recorded by earlier steps, typed by step name (from this attempt or the journal). */
  results: StepResults;
  emit: Emit;
  /** The step being run. */
  step: string;
  /** 1 the first time; more when the step was in flight when an earlier coordinator stopped. */
  attempt: number;
  progress(message: string, fraction?: number): void;
  hostResult(host: string, status: HostStatus, msg: string, diff?: string): void;
  warn(message: string): void;
}

export interface StepDef {
  name: string;
  /** Shown when the step starts and ends; a method step's title reads the preflight's facts (step-types.ts). */
  title: string | ((results: StepResults) => string);
  /** Runs the step; returns data to journal (must be JSON-serialisable). */
  run(ctx: StepContext): Promise<object | void>;
}

/** Thrown by runSteps when a step fails; `step` names it, `cause` is the step's error. */
export class StepFailedError extends AppError {
  override readonly name = 'StepFailedError';
  constructor(
    readonly step: string,
    cause: unknown,
  ) {
    super(toAppError(cause).code, `step ${step} failed: ${toAppError(cause).message}`, { cause });
  }
}

export interface RunStepsOptions {
  /** Called after each step's done entry is journaled (tests kill the coordinator here). */
  afterStep?: (step: string) => void | Promise<void>;
  /** Waits before running a step again after a transient failure (transient.ts). @default TRANSIENT_RETRY_DELAYS_MS */
  retryDelaysMs?: readonly number[];
  /** Per step, overrides retryDelaysMs (past the point of no return a run waits longer). */
  retryDelaysFor?: (step: string) => readonly number[] | undefined;
  /** Set by a SIGINT/SIGTERM handler: checked between steps, never inside one (interrupt.ts). */
  stop?: StopRequest;
}

export async function runSteps(steps: StepDef[], journal: Journal, state: RunState | undefined, emit: Emit, results: StepResults, opts: RunStepsOptions = {}): Promise<void> {
  const done = new Map((state?.done ?? []).map((d) => [d.step, d.data]));
  const attempts = new Map<string, number>();
  if (state?.inFlight) attempts.set(state.inFlight.step, state.inFlight.attempt);
  results.load(state);
  for (const step of steps) {
    if (done.has(step.name)) {
      emit({ kind: 'step-skipped', step: step.name, reason: 'done in an earlier attempt' });
      continue;
    }
    // The step boundary: the previous step finished and is journaled; nothing is half-done.
    if (opts.stop?.signal) throw new CancelledError(opts.stop.signal, step.name);
    await runOne(step, journal, emit, results, (attempts.get(step.name) ?? 0) + 1, opts.retryDelaysFor?.(step.name) ?? opts.retryDelaysMs ?? TRANSIENT_RETRY_DELAYS_MS, opts.stop);
    await opts.afterStep?.(step.name);
  }
}

/**
 * One step, journaled; run again (a new attempt, journaled as such) after a transient failure
 * while `delays` last: the step is idempotent, and a peer that was gone for seconds should not
 * roll a migration back. Any other failure, or the last one, is journaled and thrown.
 */
async function runOne(step: StepDef, journal: Journal, emit: Emit, results: StepResults, first: number, delays: readonly number[], stop: StopRequest | undefined): Promise<Record<string, unknown>> {
  const title = typeof step.title === 'string' ? step.title : step.title(results);
  for (let attempt = first, retry = 0; ; attempt++, retry++) {
    journal.append({ kind: 'step-intent', step: step.name, attempt });
    emit({ kind: 'step-start', step: step.name, title });
    const t0 = Date.now();
    const ctx: StepContext = {
      results,
      emit,
      step: step.name,
      attempt,
      progress: (message, fraction) => emit({ kind: 'step-progress', step: step.name, message, ...(fraction === undefined ? {} : { fraction }) }),
      hostResult: (host, status, msg, diff) => emit({ kind: 'host-result', step: step.name, host, status, msg, ...(diff ? { diff } : {}) }),
      warn: (message) => emit({ kind: 'warning', step: step.name, message }),
    };
    let data: Record<string, unknown>;
    try {
      // Step outputs are plain JSON objects (step-types.ts): journaled as they are.
      data = ((await step.run(ctx)) ?? {}) as Record<string, unknown>;
    } catch (err) {
      const e = toAppError(err);
      journal.append({ kind: 'step-failed', step: step.name, error: e.message, code: e.code });
      const wait = delays[retry];
      // An operator who asked to stop gets the failure, not a retry: the step is idempotent and
      // runs again on resume.
      if (wait !== undefined && isTransient(err) && !stop?.signal) {
        emit({ kind: 'warning', step: step.name, message: `${step.name} failed on a transient error (${e.message.split('\n')[0]}); running it again in ${wait / 1000} s` });
        await new Promise((r) => setTimeout(r, wait));
        continue;
      }
      emit({ kind: 'step-failed', step: step.name, title, ms: Date.now() - t0, error: e.message });
      throw new StepFailedError(step.name, err);
    }
    results.set(step.name, data);
    journal.append({ kind: 'step-done', step: step.name, data });
    emit({ kind: 'step-done', step: step.name, title, ms: Date.now() - t0, ...(typeof data.summary === 'string' ? { summary: data.summary } : {}) });
    return data;
  }
}
