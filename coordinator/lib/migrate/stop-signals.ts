import type { CliIO } from '../io';
import type { Emit } from './events';
import { signalExitCode, StopRequest, StopSignal } from './interrupt';

/**
 * The CLI side of interrupt.ts: SIGINT/SIGTERM handlers for the length of a migrate, resume or
 * rollback. The first signal asks the runner to stop at the next step boundary (the step in
 * progress finishes: a half-written config set or a meta half-restarted is worse than a few more
 * seconds); the second only says it is still stopping; a third exits at once, with a warning that
 * the step in progress is left in flight and the command that runs it again.
 */

export interface StopHandlers {
  stop: StopRequest;
  /** Wraps the renderer's emit to know the run id and the step in progress. */
  track: (inner: Emit) => Emit;
  dispose: () => void;
}

/** What the handlers need of `process` (a test passes an EventEmitter). */
export interface SignalSource {
  on(event: StopSignal, fn: () => void): unknown;
  off(event: StopSignal, fn: () => void): unknown;
  exit(code: number): void;
}

export function installStopHandlers(io: CliIO, proc: SignalSource = process): StopHandlers {
  const stop = new StopRequest();
  let run: string | undefined;
  let step: string | undefined;
  let count = 0;
  const onSignal = (sig: StopSignal): void => {
    count++;
    const current = step ? `step ${step} is finishing` : 'no step is running';
    if (stop.request(sig)) {
      io.err(`\n${sig} received: stopping at the next step boundary (${current}; no step is left half-done). Signal again to see that it is still stopping; a third signal exits at once.\n`);
    } else if (count === 2) {
      io.err(`\n${sig} received: still stopping (${current}); the journal and the resume command follow when it is done. A third signal exits at once.\n`);
    } else {
      io.err(`\nWARNING: ${sig} received a third time: exiting now${step ? ` with step ${step} in flight (it runs again on resume)` : ''}. ${run ? `Run "zkmig status ${run}", then "zkmig resume ${run}" or "zkmig rollback ${run}".` : ''}\n`);
      proc.exit(signalExitCode(sig));
    }
  };
  const onInt = (): void => onSignal('SIGINT');
  const onTerm = (): void => onSignal('SIGTERM');
  proc.on('SIGINT', onInt);
  proc.on('SIGTERM', onTerm);
  return {
    stop,
    track: (inner) => (e) => {
      if (e.kind === 'run-start') run = e.run;
      if (e.kind === 'step-start') step = e.step;
      if (e.kind === 'step-done' || e.kind === 'step-failed') step = undefined;
      inner(e);
    },
    dispose: () => {
      proc.off('SIGINT', onInt);
      proc.off('SIGTERM', onTerm);
    },
  };
}
