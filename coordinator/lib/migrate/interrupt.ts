import { AppError } from '../../../shared/errors';
import type { JournalEntry } from './journal';
import type { MigrateParams } from './params';
import type { PreflightFacts } from './preflight';
import { ROLLBACK_PREFIX } from './rollback';

/**
 * Stopping a run on SIGINT/SIGTERM. The signal only sets a flag; the runner checks it between
 * steps, so the step being run (writing configs, restarting a meta, copying the tree) finishes
 * and is journaled as done, and no step is left half-done. The run then ends as `interrupted`
 * with a note saying where the cluster is, and `zkmig resume RUN` / `zkmig rollback RUN` go on
 * from there exactly as after a failed step.
 */

export type StopSignal = 'SIGINT' | 'SIGTERM';

export class StopRequest {
  private sig: StopSignal | undefined;
  get signal(): StopSignal | undefined {
    return this.sig;
  }
  /** Records the first signal; returns false when a stop was already requested. */
  request(sig: StopSignal): boolean {
    if (this.sig) return false;
    this.sig = sig;
    return true;
  }
}

/** Thrown by the runner at a step boundary once a stop was requested. */
export class CancelledError extends AppError {
  override readonly name = 'CancelledError';
  constructor(
    readonly signal: StopSignal,
    readonly nextStep: string,
  ) {
    super('CANCELLED', `interrupted by ${signal} before step ${nextStep}`);
  }
}

/** The shell's convention: 128 + the signal number (SIGINT 2, SIGTERM 15). */
export function signalExitCode(sig: StopSignal): number {
  return sig === 'SIGINT' ? 130 : 143;
}

export const INTERRUPTED_NOTE = 'interrupted';

/**
 * Where the metas are after the steps done so far (from the journal: the coordinator was alive
 * and saw each step finish, so it needs no probe). Worded for the operator deciding between
 * resume and rollback.
 */
export function clusterState(entries: readonly JournalEntry[], params: MigrateParams, facts: PreflightFacts | undefined): string {
  const done = new Set(entries.flatMap((e) => (e.kind === 'step-done' ? [e.step] : [])));
  const src = facts?.source ?? 'the old ensemble';
  const dst = params.to;
  if ([...done].some((s) => s.startsWith(ROLLBACK_PREFIX))) return `a rollback to ${src} is under way (done: ${[...done].filter((s) => s.startsWith(ROLLBACK_PREFIX)).join(', ')})`;
  if (params.method === 'copy') {
    if (done.has('start-leader')) return `the leader serves from ${dst}${done.has('start-followers') ? ' and the followers run' : '; the followers are stopped'}; every meta config names ${dst}`;
    if (done.has('update-configs')) return `no meta runs (write freeze); every meta config names ${dst}`;
    if (done.has('stop-leader')) return `no meta runs (write freeze); the meta configs still name ${src}`;
    if (done.has('stop-followers')) return `the leader serves from ${src}${done.has('set-blind') ? ' at meta level "blind" (write freeze)' : ''}; the followers are stopped`;
    if (done.has('precopy')) return `the metas serve from ${src}; the pre-copy wrote ${dst} (no meta was stopped)`;
    return `the metas serve from ${src}; nothing was changed`;
  }
  if (params.method === 'reconfig') {
    if (done.has('remove-old')) return `the metas serve from ${dst}; the old servers left the ensemble`;
    if (done.has('roll-metas')) return `the metas serve from ${dst}; the old servers are still members`;
    if (done.has('add-observers')) return `the new servers are members of the ensemble (${done.has('promote') ? 'participants' : 'observers'}); the metas may be moving to ${dst} one at a time`;
    return `the metas serve from ${src}; nothing was changed`;
  }
  if (done.has('restart-recovered-meta') || done.has('recover')) return `a meta serves the recovered tree from ${dst}${done.has('start-others') ? '; the other metas run' : '; the other metas are stopped'}`;
  if (done.has('stop-metas')) return `no meta runs (write freeze); ${done.has('configure-recovery') ? `the recovery meta's config names ${dst}` : `the meta configs still name ${src}`}`;
  return `the metas serve from ${src}; nothing was changed`;
}

/** The operator's next commands, by whether the run is past the point of no return. */
export function nextCommands(run: string, pastNoReturn: boolean, src: string, rollingBack: boolean): string {
  if (rollingBack) return `"zkmig rollback ${run}" (or "zkmig resume ${run}") finishes the rollback to ${src}`;
  return pastNoReturn
    ? `past the point of no return: "zkmig resume ${run}" finishes on the new ensemble ("zkmig rollback ${run}" copies the new tree back to ${src} first)`
    : `before the point of no return: "zkmig resume ${run}" continues the migration, "zkmig rollback ${run}" returns to ${src}`;
}
