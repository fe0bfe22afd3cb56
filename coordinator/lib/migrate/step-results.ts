import { AppError } from '../../../shared/errors';
import type { RunState } from './journal';
import type { PreflightFacts } from './preflight';
import type { StepName, StepOutputs } from './step-types';

/**
 * What the steps of one run recorded, typed by step name (step-types.ts `StepOutputs`). Filled
 * only by the runner: from each step's own `run`, whose return type is checked against its name,
 * or from the journal, where the same step of this run wrote it. That is why the one cast below
 * is sound, and why no step reads another's data by string key and cast.
 */
export class StepResults {
  private readonly byStep = new Map<string, object>();

  /** Seeded from a journal's finished steps (resume, rollback). */
  static of(state: RunState | undefined): StepResults {
    const r = new StepResults();
    r.load(state);
    return r;
  }

  load(state: RunState | undefined): void {
    for (const d of state?.done ?? []) this.byStep.set(d.step, d.data);
  }

  set(step: string, data: object): void {
    this.byStep.set(step, data);
  }

  has(step: string): boolean {
    return this.byStep.has(step);
  }

  get<K extends StepName>(step: K): StepOutputs[K] | undefined {
    return this.byStep.get(step) as StepOutputs[K] | undefined;
  }

  /** The preflight's facts, if the preflight finished. */
  get facts(): PreflightFacts | undefined {
    return this.get('preflight');
  }

  /** The preflight's facts; INTERNAL when missing (every step after the preflight has them). */
  requireFacts(): PreflightFacts {
    const f = this.facts;
    if (!f) throw new AppError('INTERNAL', 'the preflight facts are missing from the run journal');
    return f;
  }
}
