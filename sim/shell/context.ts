import * as fs from 'node:fs';
import * as path from 'node:path';
import { OutputFormat } from '../common/version';
import { MetaClient } from './meta-client';

/** What every shell command gets. Output goes through `out`/`err` so tests can capture it. */
export interface ShellContext {
  client: MetaClient;
  /** The meta list the shell was started with (ip:port). */
  metaList: string[];
  format: OutputFormat;
  cwd: string;
  out(s: string): void;
  err(s: string): void;
  /** The `exit` command: stop reading commands (the process then exits 0). */
  requestExit(): void;
}

/** A command: argv[0] is its name. Returning false makes the shell print its USAGE line. */
export type CommandFn = (ctx: ShellContext, argv: string[]) => Promise<boolean>;

export interface Command {
  name: string;
  description: string;
  usage: string;
  run: CommandFn;
}

/** Where `-o file` output goes: the file (created/truncated, relative to the shell's cwd) or stdout. */
export function writeOutput(ctx: ShellContext, file: string | undefined, text: string): void {
  if (!file) {
    ctx.out(text);
    return;
  }
  try {
    fs.writeFileSync(path.resolve(ctx.cwd, file), text);
  } catch {
    // std::ofstream that fails to open swallows the output silently; so does the shell.
  }
}

/**
 * An argument error as each version prints it: v2.5.0 uses plain `fprintf(stderr, ...)`; master's
 * SHELL_PRINTLN_ERROR prints `ERROR: <msg>` in bold red (fmt always emits the escapes).
 */
export function argError(ctx: ShellContext, v25: string, master = v25.replace(/\n$/, '')): void {
  if (ctx.format === 'master') ctx.err(`\x1b[1m\x1b[38;2;255;000;000mERROR: ${master}\n\x1b[0m`);
  else ctx.err(v25);
}
