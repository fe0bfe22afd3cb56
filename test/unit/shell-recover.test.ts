import test from 'ava';
import { InvalidInputError, isPrecondition, ShellCommandError } from '../../shared/errors';
import { parseRecover, RecoverHint } from '../../coordinator/lib/shell';
import { sample } from './shell-fixtures';

test('the docs/pegasus-internals.md §4.7 sample: result, nodes and the hint block', (t) => {
  t.deepEqual(parseRecover(sample('recover.ok-hints.txt')), {
    waitSeconds: 100,
    skipBadNodes: false,
    skipLostPartitions: false,
    nodes: ['10.0.0.11:34801', '10.0.0.12:34801'],
    duplicateNodes: [],
    waitedSeconds: 1,
    result: 'ERR_OK',
    hints: [{ level: 'WARNING', message: 'partition(1.0) only collects 2/3 of replicas, may lost data' }],
  });
});

test('no hint block, several wait lines', (t) => {
  const r = parseRecover(sample('recover.ok.txt'));
  t.is(r.waitedSeconds, 3);
  t.deepEqual(r.hints, []);
  t.is(r.nodes.length, 3);
});

test('hints without their trailing newline run together and are still split', (t) => {
  const r = parseRecover(sample('recover.run-together.txt'));
  t.true(r.skipBadNodes);
  t.true(r.skipLostPartitions);
  t.deepEqual(
    r.hints.map((h) => h.message.slice(0, 30)),
    ['collect app and replica info f', 'partition(2.7) has no replica ', "app(3)'s old name(temp) is con"],
  );
});

test('"duplicate replica node" lines are reported', (t) => {
  t.deepEqual(parseRecover(sample('recover.duplicate.txt')).duplicateNodes, ['10.0.0.12:34801']);
});

test('ERR_TRY_AGAIN is a ShellCommandError carrying the ERROR hints', (t) => {
  const e = t.throws(() => parseRecover(sample('recover.try-again.txt'), 'recover -f c1.nodes'), { instanceOf: ShellCommandError }) as ShellCommandError;
  t.is(e.errorCode, 'ERR_TRY_AGAIN');
  t.is(e.command, 'recover -f c1.nodes');
  t.true(isPrecondition(e));
  t.regex(e.message, /you can skip it by set skip_bad_nodes option/);
  t.is((e.context.hints as RecoverHint[])[0]!.level, 'ERROR');
});

test('ERR_SERVICE_ALREADY_RUNNING (not in recovery mode) is an error', (t) => {
  const e = t.throws(() => parseRecover(sample('recover.already-running.txt')), { instanceOf: ShellCommandError }) as ShellCommandError;
  t.is(e.errorCode, 'ERR_SERVICE_ALREADY_RUNNING');
});

test('"Wait recovery failed" is ERR_TIMEOUT', (t) => {
  const e = t.throws(() => parseRecover(sample('recover.wait-failed.txt')), { instanceOf: ShellCommandError }) as ShellCommandError;
  t.is(e.errorCode, 'ERR_TIMEOUT');
  t.is(e.code, 'UNAVAILABLE');
});

test('argument errors are usage errors', (t) => {
  const e = t.throws(() => parseRecover(sample('recover.usage.txt')), { instanceOf: ShellCommandError }) as ShellCommandError;
  t.is(e.errorCode, 'SHELL_USAGE');
});

test('truncated output and stray lines are errors', (t) => {
  t.throws(() => parseRecover(sample('recover.truncated.txt')), { instanceOf: InvalidInputError, message: /truncated/ });
  t.throws(() => parseRecover(sample('recover.ok.txt').replace('Recover result: ERR_OK', 'Recover result is fine')), { message: /line \d+ "Recover result is fine"/ });
  t.throws(() => parseRecover(sample('recover.ok.txt') + 'and one more thing\n'), { message: /unexpected text after "Recover result"/ });
  t.throws(() => parseRecover(sample('recover.ok-hints.txt').replace(/=+\n$/, '')), { message: /hint block is not closed/ });
  t.throws(() => parseRecover(sample('recover.ok.txt').replace('10.0.0.12:34801', 'not-an-address')), { message: /node "not-an-address"/ });
});
