/**
 * Poll the cluster's health until it is healthy or a deadline passes (`zkmig health --wait`, and
 * the migration's "wait until it serves from the new ensemble"). Each round is a full checkHealth;
 * the last report is returned either way, so the caller can say what was still wrong.
 */
import { UsageError } from '../../../shared/errors';
import { PegasusShell } from '../shell';
import { checkHealth, CheckHealthOptions, HEALTH_DEFAULTS } from './check';
import type { HealthReport } from './types';
import { sleep as realSleep } from '../../../shared/process';

export interface WaitHealthyOptions {
  /** Epoch milliseconds after which no new round starts. */
  deadline: number;
  /** Pause between the end of a round and the start of the next. @default 2000 */
  intervalMs?: number;
  /** Called with every report (progress on a terminal, migration events). */
  onReport?: (r: HealthReport, attempt: number) => void;
  /** Stops waiting early (the report so far is returned). */
  signal?: AbortSignal;
  /** Injected by tests. @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
}

export interface WaitHealthyResult {
  /** The last report; `verdict === 'healthy'` unless the deadline passed first. */
  report: HealthReport;
  healthy: boolean;
  attempts: number;
  waitedMs: number;
}

export const WAIT_DEFAULTS = { intervalMs: 2000 } as const;

export async function waitHealthy(o: CheckHealthOptions, w: WaitHealthyOptions): Promise<WaitHealthyResult> {
  if (!Number.isFinite(w.deadline)) throw new UsageError('waitHealthy: deadline must be a time in epoch milliseconds');
  const started = Date.now();
  const interval = w.intervalMs ?? WAIT_DEFAULTS.intervalMs;
  const sleep = w.sleep ?? realSleep;
  for (let attempt = 1; ; attempt++) {
    // A shell we build ourselves never outlives the deadline by more than a few seconds.
    const remaining = w.deadline - Date.now();
    const shell = o.shell ?? PegasusShell.forCluster(o.cluster, { timeoutMs: Math.max(5000, Math.min(o.shellTimeoutMs ?? HEALTH_DEFAULTS.shellTimeoutMs, remaining)) });
    const report = await checkHealth({ ...o, shell });
    w.onReport?.(report, attempt);
    const done = report.verdict === 'healthy';
    if (done || w.signal?.aborted || Date.now() + interval > w.deadline) {
      return { report, healthy: done, attempts: attempt, waitedMs: Date.now() - started };
    }
    await sleep(interval);
  }
}
