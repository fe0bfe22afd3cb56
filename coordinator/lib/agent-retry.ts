/**
 * The agent client's retry policy (after Temporal's grpc-retry.ts): only
 * idempotent reads and check-mode calls are retried, only on UNAVAILABLE and DEADLINE_EXCEEDED, with
 * exponential backoff and full jitter. A mutation is never retried blindly: after a timeout the
 * caller re-reads the state (facts, ReadConfig with its sha256) and re-applies, which the agent's
 * idempotent operations make safe *after looking*.
 */
import * as grpc from '@grpc/grpc-js';

export interface RetryOptions {
  /** Attempts in total, the first included. @default 4 */
  maxAttempts: number;
  /** Backoff before the second attempt. @default 100 */
  initialBackoffMs: number;
  /** Cap of any single backoff. @default 2000 */
  maxBackoffMs: number;
  /** Growth per attempt. @default 2 */
  multiplier: number;
  /**
   * Fraction of each backoff that is random, so that a fleet of coordinator calls that failed
   * together does not retry together: delay = base * (1 - jitter + jitter * random()).
   * @default 0.5
   */
  jitter: number;
}

export const DEFAULT_RETRY: Readonly<RetryOptions> = { maxAttempts: 4, initialBackoffMs: 100, maxBackoffMs: 2000, multiplier: 2, jitter: 0.5 };

/** The codes worth another attempt: the agent was unreachable, draining, or slow. */
export const RETRYABLE_CODES: readonly grpc.status[] = [grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED];

/** True for a gRPC error (or an AgentRpcError, via `grpcCode`) with a retryable status. */
export function isRetryable(err: unknown): boolean {
  const e = err as { grpcCode?: unknown; code?: unknown };
  const code = typeof e.grpcCode === 'number' ? e.grpcCode : e.code;
  return typeof code === 'number' && RETRYABLE_CODES.includes(code);
}

/** Backoff before attempt `attempt + 1` (attempt is 1-based: the delay after the first failure is attempt 1). */
export function backoffMs(attempt: number, opts: RetryOptions, random: () => number = Math.random): number {
  const base = Math.min(opts.maxBackoffMs, opts.initialBackoffMs * opts.multiplier ** (attempt - 1));
  return Math.round(base * (1 - opts.jitter + opts.jitter * random()));
}

/**
 * Run `fn` (given the 1-based attempt number); when `retryable` is false it runs once. Each
 * attempt has its own deadline (set by `fn`), so the worst case is maxAttempts × deadline plus the
 * backoffs; callers that need a tighter bound pass fewer attempts.
 */
export async function withRetry<T>(
  retryable: boolean,
  opts: RetryOptions,
  fn: (attempt: number) => Promise<T>,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (!retryable || attempt >= opts.maxAttempts || !isRetryable(e)) throw e;
      await sleep(backoffMs(attempt, opts));
    }
  }
}
