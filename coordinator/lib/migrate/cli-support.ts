import { Command } from 'commander';
import * as fs from 'node:fs';
import { UsageError } from '../../../shared/errors';
import { inventoryPath } from '../inventory';
import { CliIO, EXIT } from '../io';
import { signalExitCode, StopRequest } from './interrupt';
import type { RunOutcome } from './journal';
import type { MigrateParams } from './params';
import { renderPlan } from './plan';
import { UNALIVE_RISK, unaliveApplies } from './unalive';
import { formatEvent } from './events';
import { makeRenderer, Renderer } from './render';
import type { RunOptions, RunResult } from './run';
import { StepFailedError } from './runner';
import { resolveStateDir } from './state-dir';

/**
 * What the migration commands (plan, migrate, status, resume, rollback, cleanup) share: flags,
 * the renderer choice, the confirmation prompt and the exit code of an outcome. Kept out of the
 * command files so that each of them stays a thin wrapper over one library call.
 */

export const STATE_DIR_HELP = 'where run journals live (default: $ZKMIG_STATE_DIR, else $XDG_STATE_HOME/zkmig, else ~/.local/state/zkmig)';

export function addInventoryOption(c: Command): Command {
  return c.option('-i, --inventory <file>', 'Ansible inventory: INI, YAML or ansible-inventory JSON (default: $ZKMIG_INVENTORY)');
}

export function inventoryFile(flag: string | undefined, io: CliIO): string {
  return inventoryPath({ ...(flag !== undefined ? { file: flag } : {}), env: io.env });
}

export function stateDirOf(flag: string | undefined, io: CliIO): string {
  return resolveStateDir(flag, io.env);
}

/** `diff`: print each config edit's unified diff (--diff); the run log and JSON always have them. */
export function rendererFor(io: CliIO, json: boolean | undefined, diff = false): Renderer {
  return withRunLog(makeRenderer(io, json ? 'json' : io.isTTY ? 'tty' : 'plain', { diff }));
}

/**
 * Also write a plain-text log of the run next to its journal (`RUN.log` beside `RUN.jsonl`),
 * one timestamped line per event, whatever the terminal showed: the transcript operators would
 * otherwise `| tee`. Appended, so a resume or rollback of the same run adds to it.
 */
export function withRunLog(r: Renderer): Renderer {
  let fd: number | undefined;
  return {
    emit: (e) => {
      if (e.kind === 'run-start' && fd === undefined) {
        try {
          fd = fs.openSync(e.journal.replace(/\.jsonl$/, '') + '.log', 'a', 0o600);
        } catch {
          // No log is no reason to stop a migration; the journal is the record.
        }
      }
      if (fd !== undefined) {
        const text = formatEvent(e) ?? JSON.stringify(e);
        try {
          fs.writeSync(fd, text.split('\n').map((l) => `${new Date().toISOString()} ${l}`).join('\n') + '\n');
        } catch {
          // As above.
        }
      }
      r.emit(e);
    },
    close: () => {
      r.close();
      if (fd !== undefined) fs.closeSync(fd);
      fd = undefined;
    },
  };
}

/**
 * Exit codes of a run: 0 it did what was asked (migrated, or a clean dry run); 1 it did not, and
 * the cluster is as it was (rolled back, aborted, not confirmed); 2 it failed and needs attention
 * (stopped at a failed step, rollback failed).
 */
export function exitCodeOf(outcome: RunOutcome): number {
  if (outcome === 'succeeded') return EXIT.OK;
  if (outcome === 'rolled-back' || outcome === 'aborted') return EXIT.FINDINGS;
  if (outcome === 'interrupted') return 128 + 15; // the CLI passes the real signal to finish()
  return EXIT.ERROR;
}

/** --json leaves no one to answer a question: require --yes up front rather than fail later. */
export function requireYesForJson(yes: boolean | undefined, json: boolean | undefined, what: string): void {
  if (yes) return;
  if (json) throw new UsageError(`${what} with --json needs --yes (there is no one to ask)`);
}

/** The confirmation step of migrate: print the plan, then ask for an exact yes (unless --yes). */
export function planConfirm(io: CliIO, o: { yes?: boolean; json?: boolean; yesUnalive?: boolean }): NonNullable<RunOptions['confirm']> {
  return async ({ params, facts, steps }) => {
    if (!o.json) io.out(renderPlan(params, facts, steps) + '\n\n');
    if (o.yes || params.dryRun) return unaliveConfirmed(io, o, params);
    const ok = await io.confirm(`Migrate cluster ${params.cluster} to ${params.to} by ${params.method} now?`);
    if (!ok) io.err('Not confirmed (answer exactly "y" or "yes", or pass --yes); nothing was changed.\n');
    return ok && (await unaliveConfirmed(io, o, params));
  };
}

/** The second confirmation --allow-unalive takes (unalive.ts): --yes-unalive, or "yes" typed in full. */
async function unaliveConfirmed(io: CliIO, o: { yesUnalive?: boolean }, params: MigrateParams): Promise<boolean> {
  if (!unaliveApplies(params) || o.yesUnalive) return true;
  io.err(`\n--allow-unalive: ${UNALIVE_RISK}.\n`);
  const answer = io.ask ? await io.ask('Type "yes" to recover without the UNALIVE replica servers:') : undefined;
  if (answer?.trim() === 'yes') return true;
  io.err('Not confirmed (type exactly "yes", or pass --yes-unalive); nothing was changed.\n');
  return false;
}

/** Print the result's error lines (the summary itself came through the renderer) and set the exit code. */
export function finish(io: CliIO, r: RunResult, json: boolean | undefined, stop?: StopRequest): void {
  // A failed step was already shown by the renderer; only say what it could not have shown.
  if (!json && r.error && !(r.error instanceof StepFailedError)) io.err(`${r.outcome === 'aborted' ? '' : 'Error: '}${r.error.message}\n`);
  // A refused operator mistake (--to naming the ensemble in use, a hosts_list the metas cannot parse) is bad input.
  const badInput = r.outcome === 'aborted' && (r.error?.code === 'INVALID_INPUT' || r.error?.code === 'USAGE');
  io.exitCode = badInput ? EXIT.ERROR : exitCodeOf(r.outcome);
  // Stopped on a signal: the shell's 128 + signal number (130 SIGINT, 143 SIGTERM).
  if (r.error?.code === 'CANCELLED' && stop?.signal) io.exitCode = signalExitCode(stop.signal);
}
