#!/usr/bin/env node
/**
 * Simulated `./run.sh shell`: `shell.js [--cluster host:port,...] [-n name -c shell-config.ini]
 * [--format v2.5.0|master]`. Reads commands from stdin (no prompt on a pipe), prints exactly what
 * the v2.5.0 shell prints (or master's variants with --format master), and always exits 0, like the
 * real shell: callers must read the text. With -c, `[task..default] rpc_timeout_milliseconds` of the
 * shell config sets the RPC timeout (default 10000 ms).
 */
import { lines, parseShellArgs, runShell } from '../shell/shell';

async function main(): Promise<void> {
  // A reader that goes away (`| head`) ends the shell quietly, as SIGPIPE ends the real one.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => process.exit(0));
  let opts;
  try {
    opts = parseShellArgs(process.argv.slice(2), process.cwd(), process.pid);
  } catch (e) {
    // run.sh prints its usage and still exits 0 from the shell's point of view; keep 0 too.
    process.stderr.write(`ERROR: ${(e as Error).message}\n`);
    process.exit(0);
  }
  await runShell(opts, lines(process.stdin), {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    isTTY: process.stdin.isTTY === true,
  });
  process.exit(0);
}

main().catch((e: unknown) => {
  process.stderr.write(`ERROR: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(0);
});
