/**
 * `npm run fuzz -- [--seed N] [--iterations M] [--seeds K]`: the INI fuzzer for longer than the unit
 * test runs it. Prints one JSON line per seed; exits 1 on the first failure, printing the case.
 */
import { fuzzIni } from './ini-fuzz';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 0) {
    process.stderr.write(`Error: --${name} needs a non-negative integer, got ${JSON.stringify(process.argv[i + 1])}\n`);
    process.exit(2);
  }
  return v;
}

const first = arg('seed', Date.now() % 1_000_000);
const iterations = arg('iterations', 20_000);
const seeds = arg('seeds', 1);
for (let s = first; s < first + seeds; s++) {
  const started = Date.now();
  const r = fuzzIni(s, iterations);
  process.stdout.write(`${JSON.stringify({ seed: s, ...r.stats, ms: Date.now() - started, ok: !r.failure })}\n`);
  if (r.failure) {
    const f = r.failure;
    process.stdout.write(`FAILED at iteration ${f.iteration}: ${f.reason}\nedit ${JSON.stringify(f.edit)}\ntext ${JSON.stringify(f.text)}\n`);
    process.exit(1);
  }
}
