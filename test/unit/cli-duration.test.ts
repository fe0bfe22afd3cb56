import test from 'ava';
import { formatDuration, parseDuration } from '../../coordinator/commands/duration';
import { isUsageError } from '../../shared/errors';

test('one syntax: compound units, fractions, a plain number in the flag\'s unit', (t) => {
  t.is(parseDuration('1h30m', '--wait'), 5_400_000);
  t.is(parseDuration('1m30s', '--wait'), 90_000);
  t.is(parseDuration('90s', '--wait'), 90_000);
  t.is(parseDuration('500ms', '--wait'), 500);
  t.is(parseDuration('1.5s', '--wait'), 1500);
  t.is(parseDuration('2h0m5s', '--wait'), 7_205_000);
  t.is(parseDuration(' 30 ', '--timeout'), 30_000);
  t.is(parseDuration('3000', '--connect-timeout', { plain: 'ms' }), 3000);
  t.is(parseDuration('5s', '--connect-timeout', { plain: 'ms' }), 5000);
});

test('errors name the flag; zero only where allowed; bounds are checked', (t) => {
  for (const bad of ['soon', '1h30', '5 m', '-5s', '1x', '', 'ms', '1h 30m']) {
    const e = t.throws(() => parseDuration(bad, '--leader-timeout'));
    t.true(isUsageError(e), bad);
    t.regex(e!.message, /^--leader-timeout ".*" is not a duration \(e\.g\. 1h30m, 90s, 500ms/, bad);
  }
  t.throws(() => parseDuration('0', '--leader-timeout'), { message: '--leader-timeout "0" must be more than zero' });
  t.is(parseDuration('0s', '--inactive-wait', { allowZero: true }), 0);
  t.throws(() => parseDuration('50', '--connect-timeout', { plain: 'ms', minMs: 100 }), { message: '--connect-timeout "50" must be at least 100ms' });
  t.throws(() => parseDuration('3m', '--session-timeout', { plain: 'ms', maxMs: 120_000 }), { message: '--session-timeout "3m" must be at most 2m' });
});

test('formatDuration prints what parseDuration reads back', (t) => {
  for (const ms of [250, 1500, 90_000, 5_400_000, 7_205_000]) t.is(parseDuration(formatDuration(ms), '--x'), ms);
});
