/**
 * One coordinator process running one or more `zkmig` commands at the same time (each with its own
 * captured output), as an operator's shell would run `zkmig ... & zkmig ... & wait` but sharing
 * one process, so a load test sees one coordinator driving the whole fleet. Prints one JSON line:
 * `{"runs":[{"code","out","err","ms"}...],"maxRssMiB"}` (peak RSS of this process, getrusage).
 *
 * Usage: node dist/test/harness/coordinator-run-main.js '[["audit","-i","inv.yml","--json"], ...]'
 */
import { main } from '../../coordinator/cli';

interface Run {
  code: number;
  out: string;
  err: string;
  ms: number;
}

async function runOne(argv: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const started = process.hrtime.bigint();
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), isTTY: false, env: {}, confirm: async () => false });
  return { code, out, err, ms: Math.round(Number(process.hrtime.bigint() - started) / 1e6) };
}

async function run(): Promise<void> {
  const argvs = JSON.parse(process.argv[2] ?? '[]') as string[][];
  const runs = await Promise.all(argvs.map(runOne));
  // Exit once written, like the zkmig entry point does after its grace (coordinator/cli.ts): a hung
  // agent's pending TLS handshake would otherwise keep this process alive.
  process.stdout.write(`${JSON.stringify({ runs, maxRssMiB: Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10 })}\n`, () => process.exit(0));
}

run().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(2);
});
