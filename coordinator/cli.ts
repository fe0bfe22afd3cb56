#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { setDebugSink } from '../shared/debug';
import { toAppError } from '../shared/errors';
import { VERSION } from '../shared/version';
import { COMMANDS } from './commands';
import { fitHelp, helpSettings, helpWidth } from '../shared/help-format';
import { CliIO, EXIT, processIO } from './lib/io';

/** Build the `zkmig` program. Exported so tests can drive it with a captured CliIO. */
export function buildProgram(io: CliIO): Command {
  // Help fits the terminal ($COLUMNS, else its width), 80 columns in pipes, never over 100.
  const width = helpWidth(io.env, io.isTTY);
  const program = new Command('zkmig')
    .description(
      // Paragraphs only: commander fits each line to the terminal, so a hard break inside a
      // sentence would leave a ragged line.
      "Move an Apache Pegasus cluster's metadata from one ZooKeeper ensemble to another, and keep the " +
        "meta-server fleet's configuration honest.\n\n" +
        'Exit codes: 0 success; 1 the answer is "no" (trees differ, cluster unhealthy, findings); ' +
        '2 zkmig could not do what was asked (bad usage, unreachable peer, failed step).',
    )
    .version(VERSION, '-V, --version')
    // Global: debug lines (every agent RPC and Pegasus shell run, with outcome and duration) and
    // the stack of a failure, on stderr, so that stdout (reports, --json) stays machine-readable.
    .option('-v, --verbose', 'debug lines on stderr: each agent RPC and shell run, stacks of errors')
    .hook('preAction', () => {
      if (program.opts<{ verbose?: boolean }>().verbose) setDebugSink(io.err);
    })
    .showHelpAfterError('(run with --help for usage)')
    // Help (and --version) is all that commander writes to stdout: fit it to the help width.
    .configureOutput({ writeOut: (s) => io.out(fitHelp(s, width)), writeErr: io.err })
    .configureHelp(helpSettings(width))
    .exitOverride();
  for (const register of COMMANDS) register(program, io);
  return program;
}

/** Run the CLI; resolves to the exit code. The only place errors are caught and printed. */
export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(nestedHelp(argv), { from: 'user' });
    return io.exitCode ?? EXIT.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version arrive here as "errors" with exit code 0.
      return err.exitCode === 0 ? EXIT.OK : EXIT.ERROR;
    }
    const e = toAppError(err);
    io.err(`Error: ${e.message}\n`);
    const verbose = io.env.ZKMIG_DEBUG || program.opts<{ verbose?: boolean }>().verbose;
    if (verbose && err instanceof Error && err.stack) io.err(`${err.stack}\n`);
    return EXIT.ERROR;
  } finally {
    setDebugSink(undefined);
  }
}

/**
 * `zkmig help zk copy` → `zkmig zk copy --help`. commander's help command looks one level down
 * only, so `help zk copy` used to print the help of `zk`. Global options before `help` stay.
 */
export function nestedHelp(argv: string[]): string[] {
  const i = argv.findIndex((a) => !a.startsWith('-'));
  if (i < 0 || argv[i] !== 'help' || argv.length - i < 3) return argv;
  const words = argv.slice(i + 1);
  if (words.some((w) => w.startsWith('-'))) return argv;
  return [...argv.slice(0, i), ...words, '--help'];
}

/**
 * How long the process may linger once the command is done. Normally node exits at once, its
 * event loop empty; but grpc-js never abandons a TLS handshake with an agent that accepted the
 * connection and then hung (a stopped or wedged process), and that socket kept `zkmig` alive for
 * ever after printing its report (found by test/integration/load-fleet.test.ts). The grace lets
 * real clean-up, such as a ZooKeeper session's close, finish first.
 */
const EXIT_GRACE_MS = 2000;

if (require.main === module) {
  const done = (code: number): void => {
    process.exitCode = code;
    setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
  };
  main(process.argv.slice(2)).then(done, (err: unknown) => {
    process.stderr.write(`Error: ${String(err)}\n`);
    done(EXIT.ERROR);
  });
}
