/**
 * Helper of bench/audit.ts: one `zkmig audit --json` run in a fresh process, as an operator would
 * start it, reporting its wall time and this process's peak RSS (getrusage). The JSON report goes
 * nowhere: only the numbers are printed.
 *
 * Usage: node dist/bench/_audit-run.js INVENTORY [FORKS]
 */
import { main } from '../coordinator/cli';

async function run(): Promise<void> {
  const inventory = process.argv[2]!;
  const forks = process.argv[3];
  const rssBefore = process.memoryUsage().rss;
  let bytes = 0;
  let report: { counts?: unknown; recap?: { totals?: unknown } } = {};
  let out = '';
  const started = process.hrtime.bigint();
  const code = await main(['audit', '-i', inventory, '--json', ...(forks ? ['--forks', forks] : []), ...(process.env.ZKMIG_BENCH_EXTRA ? process.env.ZKMIG_BENCH_EXTRA.split(' ') : [])], {
    out: (s) => {
      bytes += s.length;
      out += s;
    },
    err: (s) => void process.stderr.write(s),
    isTTY: false,
    env: {},
    confirm: async () => false,
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  // With --expose-gc (bench/audit.ts passes it): what the audit left live, as opposed to garbage
  // the collector had not reclaimed yet when the peak RSS was reached.
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  try {
    report = JSON.parse(out) as typeof report;
  } catch {
    /* reported as exit code below */
  }
  out = '';
  process.stdout.write(
    `${JSON.stringify({ exitCode: code, auditMs: Math.round(ms), outputBytes: bytes, counts: report.counts, recap: report.recap?.totals, rssBeforeMiB: mib(rssBefore), maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024 * 10) / 10, heapUsedMiB: mib(process.memoryUsage().heapUsed), heapAfterGc: Boolean(gc), externalMiB: mib(process.memoryUsage().external), rssAfterMiB: mib(process.memoryUsage().rss) })}\n`,
  );
}

function mib(b: number): number {
  return Math.round((b / 1048576) * 10) / 10;
}

run().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
