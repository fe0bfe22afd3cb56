import test from 'ava';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import type { Command } from 'commander';
import { buildProgram, main } from '../../coordinator/cli';
import { CliIO } from '../../coordinator/lib/io';

/** Every command path: [], ['inventory'], ['zk', 'copy'], ... */
function paths(cmd: Command, prefix: string[] = []): string[][] {
  return [prefix, ...cmd.commands.flatMap((c) => paths(c, [...prefix, c.name()]))];
}

const quiet: CliIO = { out: () => undefined, err: () => undefined, isTTY: false, env: {}, confirm: async () => false };

test('every help text fits in 80 columns (COLUMNS=80)', async (t) => {
  const all = paths(buildProgram(quiet));
  t.true(all.length > 20, `${all.length} commands`);
  const long: string[] = [];
  for (const p of all) {
    let out = '';
    const io: CliIO = { ...quiet, env: { COLUMNS: '80' }, out: (s) => void (out += s) };
    t.is(await main([...p, '--help'], io), 0, p.join(' '));
    t.regex(out, /^Usage: zkmig/m, p.join(' '));
    out.split('\n').forEach((line, i) => {
      if (line.length > 80) long.push(`zkmig ${p.join(' ')} --help, line ${i + 1} (${line.length}): ${line}`);
    });
    // The text after the options table keeps its blank line.
    t.notRegex(out, /display help for command\n\S/, p.join(' '));
  }
  t.deepEqual(long, []);
});

test('zkmig-agent --help fits in 80 columns too, its text after the options set apart', (t) => {
  const r = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'agent', 'main.js'), '--help'], { env: { ...process.env, COLUMNS: '80' }, encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /^Usage: zkmig-agent/);
  t.deepEqual(r.stdout.split('\n').filter((l) => l.length > 80), []);
  t.regex(r.stdout, /display help for command\n\nzkmig-agent runs on every/);
});
