import test from 'ava';
import { isInvalidInput } from '../../shared/errors';
import { expandArgv, formatArgv, shlexSplit, splitCommandLine } from '../../coordinator/lib/shell';

test('splits like a shell, without a shell', (t) => {
  t.deepEqual(splitCommandLine('/opt/pegasus/run.sh shell --cluster {meta_servers}'), ['/opt/pegasus/run.sh', 'shell', '--cluster', '{meta_servers}']);
  t.deepEqual(splitCommandLine(`sudo -u 'pegasus user' "/opt/my dir/run.sh" a\\ b "x\\"y" ''`), ['sudo', '-u', 'pegasus user', '/opt/my dir/run.sh', 'a b', 'x"y', '']);
  t.deepEqual(splitCommandLine('  a\tb  '), ['a', 'b']);
});

test('refuses shell syntax that would not mean what it says, naming the character', (t) => {
  for (const [line, ch] of [
    ['run.sh shell | tee log', '|'],
    ['run.sh shell > out', '>'],
    ['run.sh shell; rm -rf /', ';'],
    ['$HOME/run.sh shell', '$'],
    ['~/run.sh shell', '~'],
    ['run.sh `id`', '`'],
    ['run.sh shell --cluster {meta_servers}$x', '$'],
    ['run.sh *', '*'],
  ]) {
    const e = t.throws(() => splitCommandLine(line!));
    t.true(isInvalidInput(e));
    t.true(e!.message.includes(`"${ch}"`), `${line}: ${e!.message}`);
  }
  t.deepEqual(splitCommandLine(`run.sh '|' "\\$x"`), ['run.sh', '|', '$x']);
});

test('refuses empty lines and unbalanced quotes', (t) => {
  for (const line of ['', '   ', `run.sh 'x`, 'run.sh "x', 'run.sh x\\']) t.throws(() => splitCommandLine(line), undefined, line);
});

test('shlexSplit with comments stops at an unquoted #', (t) => {
  t.deepEqual(shlexSplit('meta1 a=1 # a comment', { comments: true }), ['meta1', 'a=1']);
  t.deepEqual(shlexSplit('meta1 a="x # y"', { comments: true }), ['meta1', 'a=x # y']);
});

test('placeholders are expanded per word, so a value never splits', (t) => {
  t.deepEqual(expandArgv(['run.sh', '--cluster', '{meta_servers}', '-n={cluster}'], { meta_servers: 'a:1,b:2', cluster: 'c 1' }), ['run.sh', '--cluster', 'a:1,b:2', '-n=c 1']);
  t.throws(() => expandArgv(['{nope}'], { cluster: 'c' }), { message: /unknown placeholder \{nope\}.*\{cluster\}/ });
});

test('formatArgv quotes what needs quoting', (t) => {
  t.is(formatArgv(['run.sh', 'shell', '--cluster', 'a:1,b:2']), 'run.sh shell --cluster a:1,b:2');
  t.is(formatArgv(['a b', "it's", '']), `'a b' 'it'\\''s' ''`);
});
