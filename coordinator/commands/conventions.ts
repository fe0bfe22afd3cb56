/**
 * Flags that mean the same on every command that has them: `--check` (compute everything,
 * change nothing; `--dry-run` is kept as a hidden alias) and the agent-call flags `-f/--forks`
 * and `--timeout` of the migration commands.
 */
import { Command, Option } from 'commander';
import type { AgentSettings } from '../lib/migrate';
import { FAN_OUT_DEFAULTS } from '../lib/fleet';
import { STATE_DIR_HELP } from '../lib/migrate/cli-support';
import { durationArg } from './duration';
import { positiveIntArg } from './fleet-options';

/**
 * Add `--check` with `description`, and `--dry-run` as its alias (hidden from help). Either sets
 * the option value `dryRun`, which the actions read.
 */
export function checkOption(cmd: Command, description: string): Command {
  cmd.addOption(new Option('--check', `${description} (alias: --dry-run)`));
  cmd.addOption(new Option('--dry-run').hideHelp());
  return cmd.hook('preAction', (_root, action) => {
    if (action.getOptionValue('check') === true) action.setOptionValue('dryRun', true);
  });
}

export interface AgentCallFlags {
  forks?: number;
  timeout?: number;
}

/** `-f/--forks` and `--timeout` for migrate, resume and rollback. */
export function agentCallOptions(cmd: Command): Command {
  return cmd
    .option('-f, --forks <n>', `agents contacted at once (default: ${FAN_OUT_DEFAULTS.limit})`, positiveIntArg('--forks'))
    .option('--timeout <duration>', 'deadline of each agent read call; edits get at least 30s (default: 10s)', durationArg('--timeout'));
}

/** The options `resume` and `rollback` share: they act on a journaled run, like `migrate` does. */
export function runCommandOptions(cmd: Command): Command {
  return agentCallOptions(
    cmd
      .argument('<run>', 'the run id (see "zkmig status")')
      .option('-y, --yes', 'do not ask for confirmation')
      .option('--diff', 'print the unified diff of every config file the run changes (JSON events always carry it)')
      .option('--json', 'print events as JSON lines')
      .option('--state-dir <dir>', STATE_DIR_HELP),
  );
}

export function agentSettings(f: AgentCallFlags): AgentSettings {
  return { ...(f.forks !== undefined ? { forks: f.forks } : {}), ...(f.timeout !== undefined ? { timeoutMs: f.timeout } : {}) };
}
