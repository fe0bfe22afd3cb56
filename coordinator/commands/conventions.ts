/**
 * Flags that mean the same on every command that has them: `--check` (compute everything,
 * change nothing; `--dry-run` is kept as a hidden alias) and the agent-call flags `-f/--forks`
 * and `--timeout` of the migration commands.
 */
import { Command, Option } from 'commander';
import type { AgentSettings } from '../lib/migrate';
import { FAN_OUT_DEFAULTS } from '../lib/fleet';
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

export function agentSettings(f: AgentCallFlags): AgentSettings {
  return { ...(f.forks !== undefined ? { forks: f.forks } : {}), ...(f.timeout !== undefined ? { timeoutMs: f.timeout } : {}) };
}
