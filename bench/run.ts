/**
 * `npm run bench [-- NAME...]`: run benchmarks and print one JSON object per benchmark on stdout.
 * Each benchmark is a module `bench/<name>.ts` exporting `run(args: string[]): Promise<object>`.
 * With no name, every benchmark runs in turn. Progress goes to stderr.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

type Bench = { run: (args: string[]) => Promise<Record<string, unknown>> };

function available(): string[] {
  return fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.js') && f !== 'run.js' && !f.startsWith('_'))
    .map((f) => f.slice(0, -3))
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- benches are discovered at run time
    .filter((n) => typeof (require(path.join(__dirname, n)) as Partial<Bench>).run === 'function')
    .sort();
}

/** Flags that take the next word as their value (`migrate --method reconfig`): joined as `--method=reconfig`. */
const VALUE_FLAGS = ['--method'];

function joinValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (VALUE_FLAGS.includes(a) && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('-')) out.push(`${a}=${argv[++i]}`);
    else out.push(a);
  }
  return out;
}

async function main(raw: string[]): Promise<number> {
  const argv = joinValues(raw);
  const names = argv.filter((a) => !a.startsWith('-'));
  const all = available();
  const unknown = names.filter((n) => !all.includes(n));
  if (unknown.length > 0) {
    process.stderr.write(`Error: unknown benchmark ${unknown.join(', ')}; available: ${all.join(', ')}\n`);
    return 2;
  }
  for (const name of names.length > 0 ? names : all) {
    process.stderr.write(`bench: ${name}\n`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- benches are discovered at run time
    const mod = require(path.join(__dirname, name)) as Bench;
    const result = await mod.run(argv.filter((a) => a.startsWith('-')));
    process.stdout.write(JSON.stringify({ bench: name, ...result }) + '\n');
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (c) => (process.exitCode = c),
  (e: unknown) => {
    process.stderr.write(`Error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 2;
  },
);
