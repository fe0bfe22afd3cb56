/**
 * The operator conveniences of issue 18: `zkmig -v` (debug lines on stderr for each shell run and
 * agent RPC, and the stack of a failure), `zkmig help A B`, `zkmig completion bash`. For -v:
 * nothing of it without -v, and the sink is off again once the command is done.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { main } from '../../coordinator/cli';
import { CliIO } from '../../coordinator/lib/io';
import { runProcess } from '../../coordinator/lib/shell/run';
import { debugEnabled, setDebugSink } from '../../shared/debug';

function capture(): { io: CliIO; err: () => string } {
  let err = '';
  const io: CliIO = { out: () => undefined, err: (s) => void (err += s), isTTY: false, env: {}, confirm: async () => false };
  return { io, err: () => err };
}

test.serial('a shell run writes one debug line with its exit and duration when debug is on, none when off', async (t) => {
  const lines: string[] = [];
  await runProcess(['/bin/echo', 'quiet'], { input: '', timeoutMs: 10_000 });
  t.deepEqual(lines, []);
  setDebugSink((l) => lines.push(l));
  try {
    await runProcess(['/bin/echo', 'hello'], { input: '', timeoutMs: 10_000 });
  } finally {
    setDebugSink(undefined);
  }
  t.is(lines.length, 1);
  t.regex(lines[0]!, /^\d{4}-\d\d-\d\dT\S+Z debug shell: \/bin\/echo hello: exit 0 in \d+ ms, 6 bytes out, 0 bytes err\n$/);
});

test.serial('-v prints the stack of a failure; without -v only the message; the sink is off afterwards', async (t) => {
  const args = ['health', '--cluster', 'c1', '-i', '/nonexistent/zkmig-inventory.yml'];
  const quiet = capture();
  t.is(await main(args, quiet.io), 2);
  t.regex(quiet.err(), /^Error: /);
  t.notRegex(quiet.err(), /\n\s+at /);
  const loud = capture();
  t.is(await main(['-v', ...args], loud.io), 2);
  t.regex(loud.err(), /^Error: /);
  t.regex(loud.err(), /\n\s+at /);
  t.false(debugEnabled());
  t.is(await main(['--verbose', '--help'], capture().io), 0);
});

test.serial('zkmig help zk copy prints the help of zk copy, not of zk', async (t) => {
  let out = '';
  const io: CliIO = { out: (s) => void (out += s), err: () => undefined, isTTY: false, env: {}, confirm: async () => false };
  t.is(await main(['help', 'zk', 'copy'], io), 0);
  t.regex(out, /^Usage: zkmig zk copy /);
  out = '';
  t.is(await main(['help', 'zk'], io), 0);
  t.regex(out, /^Usage: zkmig zk /);
});

test.serial('zkmig completion bash: a script bash accepts that completes commands, sub-commands and flags', async (t) => {
  let out = '';
  const io: CliIO = { out: (s) => void (out += s), err: () => undefined, isTTY: false, env: {}, confirm: async () => false };
  t.is(await main(['completion', 'bash'], io), 0);
  // Drive the completion function in a real bash, as readline would.
  const complete = (line: string): string[] => {
    const words = line.split(' ');
    const script = `${out}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _zkmig; printf '%s\\n' "\${COMPREPLY[@]}"`;
    return execFileSync('bash', ['-c', script], { encoding: 'utf8' }).split('\n').filter(Boolean);
  };
  t.deepEqual(complete('zkmig mig'), ['migrate']);
  t.deepEqual(complete('zkmig zk c'), ['copy']);
  t.true(complete('zkmig zk copy --source-t').includes('--source-tls-ca'));
  t.true(complete('zkmig migrate --cluster c1 --d').includes('--diff'));
  let err = '';
  t.is(await main(['completion', 'zsh'], { ...io, err: (s) => void (err += s) }), 2);
  t.regex(err, /unsupported shell "zsh"/);
});
