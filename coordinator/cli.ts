#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { toAppError } from '../shared/errors';
import { VERSION } from '../shared/version';
import { COMMANDS } from './commands';
import { CliIO, EXIT, processIO } from './lib/io';

/** Build the `zkmig` program. Exported so tests can drive it with a captured CliIO. */
export function buildProgram(io: CliIO): Command {
  const program = new Command('zkmig')
    .description(
      'Move an Apache Pegasus cluster\'s metadata from one ZooKeeper ensemble to another, and keep the\n' +
        'meta-server fleet\'s configuration honest.\n\n' +
        'Exit codes: 0 success; 1 the answer is "no" (trees differ, cluster unhealthy, findings);\n' +
        '2 zkmig could not do what was asked (bad usage, unreachable peer, failed step).',
    )
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();
  for (const register of COMMANDS) register(program, io);
  return program;
}

/** Run the CLI; resolves to the exit code. The only place errors are caught and printed. */
export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return io.exitCode ?? EXIT.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version arrive here as "errors" with exit code 0.
      return err.exitCode === 0 ? EXIT.OK : EXIT.ERROR;
    }
    const e = toAppError(err);
    io.err(`Error: ${e.message}\n`);
    if (io.env.ZKMIG_DEBUG && err instanceof Error && err.stack) io.err(`${err.stack}\n`);
    return EXIT.ERROR;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`Error: ${String(err)}\n`);
      process.exitCode = EXIT.ERROR;
    },
  );
}
