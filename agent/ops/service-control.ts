/**
 * start / stop / restart of a managed service, the same way for every backend, in three phases:
 * read the status → decide (pure: `plan`) → act only if needed, then wait for the state.
 *
 * After a start reaches `active`, the service is watched for its grace period: if it leaves
 * `active`, changes main PID or systemd counts a restart, the result is `failed` (data, not an
 * error) with the exit status and the end of its log. Ansible's systemd module reports success for
 * a unit that dies right after `systemctl start` returns (ansible/ansible#24450; PR #24778 proposed
 * this very check and was never merged); we must not.
 */
import { InvalidInputError } from '../../shared/errors';
import { makeDiff, OpResult } from '../../shared/result';
import type { ResolvedService } from '../config';
import { isUp, ServiceBackend, ServiceStatus, summary } from './service-types';

export type ServiceActionName = 'start' | 'stop' | 'restart';

export interface ControlOptions {
  checkMode: boolean;
  /** How long the state may take (0 = the service's configured timeout). */
  timeoutMs: number;
  /** Milliseconds left before the caller's deadline (Infinity when none). */
  remainingMs: number;
}

export interface ControlDeps {
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

export interface ControlResult extends OpResult {
  checkMode: boolean;
  /** The desired state was not reached (early crash, never became active, still running after stop). */
  failed: boolean;
  before: ServiceStatus;
  status: ServiceStatus;
  logTail: string;
  durationMs: number;
}

const isStopped = (s: ServiceStatus): boolean => s.state === 'inactive' || s.state === 'failed';

/** Phase 2, pure: does the action need to act, given the current status? */
export function plan(action: ServiceActionName, before: ServiceStatus): { act: boolean; predicted: ServiceStatus } {
  if (action === 'start') return isUp(before) ? { act: false, predicted: before } : { act: true, predicted: { ...before, state: 'active', subState: 'running', mainPid: 0 } };
  if (action === 'stop') return isStopped(before) ? { act: false, predicted: before } : { act: true, predicted: { ...before, state: 'inactive', subState: 'dead', mainPid: 0 } };
  return { act: true, predicted: { ...before, state: 'active', subState: 'running', mainPid: 0 } };
}

async function waitFor(backend: ServiceBackend, deps: ControlDeps, until: number, done: (s: ServiceStatus) => boolean): Promise<ServiceStatus> {
  for (;;) {
    const s = await backend.status();
    if (done(s) || deps.now() >= until) return s;
    await deps.sleep(100);
  }
}

interface StartOutcome {
  status: ServiceStatus;
  failed: boolean;
  why: string;
}

async function startAndWatch(svc: ResolvedService, backend: ServiceBackend, deps: ControlDeps, timeoutMs: number, before: ServiceStatus): Promise<StartOutcome> {
  const t0 = deps.now();
  await backend.start(timeoutMs);
  const up = await waitFor(backend, deps, t0 + timeoutMs, (s) => isUp(s) || s.state === 'failed');
  if (!isUp(up)) {
    const why =
      up.state === 'failed'
        ? `${svc.name} failed right after start${up.execMainStatus >= 0 ? ` (exit status ${up.execMainStatus})` : ''}: ${up.detail}`
        : `${svc.name} did not become active within ${timeoutMs} ms (state ${up.state}${up.detail ? `; ${up.detail}` : ''})`;
    return { status: up, failed: true, why };
  }
  const graceEnd = deps.now() + svc.graceMs;
  // systemd resets NRestarts on a manual start (so `before` may count more than `up`); the lower of
  // the two is the baseline that any automatic restart during the grace period exceeds.
  const baseRestarts = Math.min(before.nRestarts, up.nRestarts);
  let s = up;
  for (;;) {
    const crashed = !isUp(s) || (up.mainPid !== 0 && s.mainPid !== up.mainPid) || s.nRestarts > baseRestarts;
    if (crashed) {
      const after = ((deps.now() - t0) / 1000).toFixed(1);
      const how = s.execMainStatus >= 0 ? ` (exit status ${s.execMainStatus})` : '';
      const restarted = s.nRestarts > baseRestarts ? `, restarted ${s.nRestarts - baseRestarts} time(s)` : '';
      return { status: s, failed: true, why: `${svc.name} died ${after} s after start, within its ${svc.graceMs} ms grace period${how}${restarted}: ${s.state}${s.detail ? `; ${s.detail}` : ''}` };
    }
    if (deps.now() >= graceEnd) break;
    await deps.sleep(Math.min(100, Math.max(1, graceEnd - deps.now())));
    s = await backend.status();
  }
  return { status: s, failed: false, why: '' };
}

export async function controlService(svc: ResolvedService, backend: ServiceBackend, action: ServiceActionName, opts: ControlOptions, deps: ControlDeps): Promise<ControlResult> {
  const t0 = deps.now();
  const configured = action === 'stop' ? svc.stopTimeoutMs : svc.startTimeoutMs;
  const grace = action === 'stop' ? 0 : svc.graceMs;
  // Leave room for the grace period and the answer inside the caller's deadline: a result the
  // caller never sees is worse than a clear "your deadline is too short".
  const budget = Math.min(opts.timeoutMs > 0 ? opts.timeoutMs : configured, opts.remainingMs - grace - 250);
  if (!opts.checkMode && budget < 100) {
    throw new InvalidInputError(`the call's deadline leaves ${Math.max(0, Math.round(opts.remainingMs))} ms, too short to ${action} ${svc.name} (grace period ${grace} ms); give it at least ${grace + 1000} ms`);
  }
  const before = await backend.status();
  const p = plan(action, before);
  const header = (when: string): string => `${svc.name} (${svc.backend} ${svc.unit}) ${when}`;
  const result = (status: ServiceStatus, failed: boolean, msg: string, logTail: string, warnings: string[] = []): ControlResult => ({
    changed: status.state !== before.state || status.mainPid !== before.mainPid || status.startedAt !== before.startedAt,
    diff: makeDiff(summary(before), summary(status), header('before'), header('after')),
    msg,
    warnings,
    checkMode: opts.checkMode,
    failed,
    before,
    status,
    logTail,
    durationMs: deps.now() - t0,
  });

  if (!p.act) return result(before, false, `${svc.name} is already ${before.state}${before.mainPid ? ` (pid ${before.mainPid})` : ''}; nothing to do`, '');
  if (opts.checkMode) {
    const r = result(p.predicted, false, `would ${action} ${svc.name} (now ${before.state})`, '');
    return { ...r, changed: true };
  }

  if (action === 'stop' || (action === 'restart' && !isStopped(before))) {
    await backend.stop(budget);
    const stopped = await backend.status();
    if (!isStopped(stopped)) return result(stopped, true, `${svc.name} is still ${stopped.state} after stop`, await backend.logTail());
    if (action === 'stop') return result(stopped, false, `stopped ${svc.name}${before.mainPid ? ` (was pid ${before.mainPid})` : ''}`, '');
  }
  const remaining = Math.max(100, budget - (deps.now() - t0));
  const out = await startAndWatch(svc, backend, deps, remaining, before);
  if (out.failed) {
    (backend as { recordEarlyCrash?: () => void }).recordEarlyCrash?.();
    return result(await backend.status(), true, out.why, await backend.logTail());
  }
  const verb = action === 'restart' ? 'restarted' : 'started';
  return result(out.status, false, `${verb} ${svc.name}${out.status.mainPid ? ` (pid ${out.status.mainPid})` : ''}; it stayed ${out.status.state} through its ${svc.graceMs} ms grace period`, '');
}
