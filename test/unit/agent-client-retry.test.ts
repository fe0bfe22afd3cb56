import test from 'ava';
import * as grpc from '@grpc/grpc-js';
import { backoffMs, DEFAULT_RETRY, isRetryable, withRetry } from '../../coordinator/lib/agent-retry';
import { AgentRpcError } from '../../shared/errors';

const grpcErr = (code: grpc.status): Error & { code: grpc.status } => Object.assign(new Error(grpc.status[code]), { code });

test('backoff grows exponentially, is capped, and jitter stays within its fraction', (t) => {
  const o = { ...DEFAULT_RETRY, jitter: 0 };
  t.deepEqual([1, 2, 3, 4, 5, 6].map((a) => backoffMs(a, o)), [100, 200, 400, 800, 1600, 2000]);
  const j = { ...DEFAULT_RETRY, jitter: 0.5 };
  t.is(backoffMs(3, j, () => 0), 200);
  t.is(backoffMs(3, j, () => 1), 400);
});

test('only UNAVAILABLE and DEADLINE_EXCEEDED are retryable, also through AgentRpcError.grpcCode', (t) => {
  t.true(isRetryable(grpcErr(grpc.status.UNAVAILABLE)));
  t.true(isRetryable(grpcErr(grpc.status.DEADLINE_EXCEEDED)));
  for (const c of [grpc.status.FAILED_PRECONDITION, grpc.status.PERMISSION_DENIED, grpc.status.INVALID_ARGUMENT, grpc.status.INTERNAL, grpc.status.UNAUTHENTICATED]) {
    t.false(isRetryable(grpcErr(c)), grpc.status[c]);
  }
  t.true(isRetryable(new AgentRpcError('h:1', 'GetFacts', grpc.status.UNAVAILABLE, 'UNAVAILABLE', 'x')));
  t.false(isRetryable(new AgentRpcError('h:1', 'EditConfig', grpc.status.FAILED_PRECONDITION, 'PRECONDITION', 'x')));
});

test('withRetry retries retryable failures up to maxAttempts with backoff between them', async (t) => {
  const sleeps: number[] = [];
  let n = 0;
  const e = await t.throwsAsync(
    withRetry(true, { ...DEFAULT_RETRY, jitter: 0 }, async () => {
      n++;
      throw grpcErr(grpc.status.UNAVAILABLE);
    }, async (ms) => void sleeps.push(ms)),
  );
  t.is((e as unknown as { code: number }).code, grpc.status.UNAVAILABLE);
  t.is(n, DEFAULT_RETRY.maxAttempts);
  t.deepEqual(sleeps, [100, 200, 400]);
  n = 0;
  t.is(await withRetry(true, DEFAULT_RETRY, async () => (++n < 3 ? Promise.reject(grpcErr(grpc.status.DEADLINE_EXCEEDED)) : 'ok'), async () => undefined), 'ok');
  t.is(n, 3);
});

test('mutations (retryable=false) and non-retryable codes run exactly once', async (t) => {
  let n = 0;
  await t.throwsAsync(withRetry(false, DEFAULT_RETRY, async () => {
    n++;
    throw grpcErr(grpc.status.UNAVAILABLE);
  }, async () => undefined));
  t.is(n, 1);
  n = 0;
  await t.throwsAsync(withRetry(true, DEFAULT_RETRY, async () => {
    n++;
    throw grpcErr(grpc.status.FAILED_PRECONDITION);
  }, async () => undefined));
  t.is(n, 1);
});
