import test from 'ava';
import { isUsageError, ShellCommandError } from '../../shared/errors';
import { parseGetMetaLevel, parseSetMetaLevel } from '../../coordinator/lib/shell';
import { sample } from './shell-fixtures';

test('get_meta_level: the fl_ prefix is removed', (t) => {
  t.is(parseGetMetaLevel(sample('get_meta_level.txt')), 'steady');
  t.is(parseGetMetaLevel('current meta level is fl_blind\n'), 'blind');
});

test('set_meta_level: the old level', (t) => {
  t.deepEqual(parseSetMetaLevel(sample('set_meta_level.txt'), 'set_meta_level blind'), { oldLevel: 'steady' });
});

test('"got error" lines are ShellCommandErrors with the code', (t) => {
  const g = t.throws(() => parseGetMetaLevel(sample('get_meta_level.error.txt')), { instanceOf: ShellCommandError }) as ShellCommandError;
  t.is(g.errorCode, 'ERR_UNDER_RECOVERY');
  t.is(g.command, 'get_meta_level');
  const s = t.throws(() => parseSetMetaLevel(sample('set_meta_level.error.txt'), 'set_meta_level blind'), { instanceOf: ShellCommandError }) as ShellCommandError;
  t.is(s.errorCode, 'ERR_FORWARD_TO_OTHERS');
  t.is(s.command, 'set_meta_level blind');
});

test('a level the shell cannot parse (stderr, in bold red) is a usage error', (t) => {
  const e = t.throws(() => parseSetMetaLevel(sample('set_meta_level.bad-level.txt'), 'set_meta_level frozen'), { instanceOf: ShellCommandError }) as ShellCommandError;
  t.is(e.errorCode, 'SHELL_USAGE');
  t.true(isUsageError(e));
  t.regex(e.message, /parse frozen as meta function level failed/);
  t.notRegex(e.message, /\x1b/);
});

test('anything else is an error: unknown level, extra lines, no output', (t) => {
  t.throws(() => parseGetMetaLevel('current meta level is fl_invalid\n'), { message: /unknown meta level fl_invalid/ });
  t.throws(() => parseGetMetaLevel('current meta level is fl_steady\nsomething else\n'), { message: /line 2 "something else"/ });
  t.throws(() => parseGetMetaLevel(''), { message: /no output/ });
  t.throws(() => parseSetMetaLevel('current meta level is fl_steady\n'), { message: /expected "control meta level ok/ });
});
