import test from 'ava';
import { Command } from 'commander';
import { agentCallOptions, agentSettings, checkOption } from '../../coordinator/commands/conventions';
import { fitHelp } from '../../shared/help-format';
import { main } from '../../coordinator/cli';
import { CliIO } from '../../coordinator/lib/io';

async function parsed(args: string[]): Promise<Record<string, unknown>> {
  let seen: Record<string, unknown> = {};
  const cmd = checkOption(agentCallOptions(new Command('x').exitOverride()), 'change nothing').action((o: Record<string, unknown>) => {
    seen = o;
  });
  await cmd.parseAsync(args, { from: 'user' });
  return seen;
}

test('--check and its alias --dry-run both set dryRun; -f and --timeout become agent settings', async (t) => {
  t.like(await parsed(['--check']), { dryRun: true });
  t.like(await parsed(['--dry-run']), { dryRun: true });
  t.is((await parsed([])).dryRun, undefined);
  const o = await parsed(['-f', '4', '--timeout', '1m30s']);
  t.deepEqual(agentSettings(o), { forks: 4, timeoutMs: 90_000 });
  await t.throwsAsync(parsed(['--timeout', 'soon']), { message: /--timeout "soon" is not a duration/ });
  await t.throwsAsync(parsed(['-f', '0']), { message: /--forks must be a positive integer/ });
});

test('migrate, resume, rollback, cleanup, zk copy and zk rm take --check; migrate/resume/rollback take -f and --timeout', async (t) => {
  for (const p of [['migrate'], ['resume'], ['rollback'], ['cleanup'], ['zk', 'copy'], ['zk', 'rm']]) {
    let out = '';
    const io: CliIO = { out: (s) => void (out += s), err: () => undefined, isTTY: false, env: {}, confirm: async () => false };
    t.is(await main([...p, '--help'], io), 0);
    if (!['resume', 'rollback'].includes(p[0]!)) t.regex(out, /--check[\s\S]*?\(alias:\s+--dry-run\)/, p.join(' '));
    if (['migrate', 'resume', 'rollback'].includes(p[0]!)) {
      t.regex(out, /-f, --forks <n>/, p.join(' '));
      t.regex(out, /--timeout <duration>/, p.join(' '));
    }
  }
});

test('fitHelp rewraps only what is too wide, keeping definition lists hanging', (t) => {
  const ok = 'Short line.\n\n  - item one\n';
  t.is(fitHelp(ok, 80), ok);
  const long = `${'word '.repeat(30).trim()}\n\n  --term    ${'text '.repeat(20).trim()}\n            more text\n`;
  const fitted = fitHelp(long, 40);
  t.true(fitted.split('\n').every((l) => l.length <= 40), fitted);
  t.regex(fitted, /^ {2}--term {4}text/m);
  t.regex(fitted, /^ {12}text/m);
  // A text added after the tables starts with a line break (its blank line): it stays.
  t.regex(fitHelp(`\n${'word '.repeat(30).trim()}\n`, 40), /^\nword word/);
  // A one-line table row continues under its description column.
  const row = fitHelp(`  meta_config        ${'absolute path '.repeat(6).trim()}\n`, 60);
  t.true(row.split('\n').every((l) => l.length <= 60), row);
  t.regex(row, /^ {21}path/m, row);
});
