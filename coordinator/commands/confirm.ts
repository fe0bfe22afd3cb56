import { UsageError } from '../../shared/errors';
import { CliIO, EXIT } from '../lib/io';

/**
 * The one confirmation of a destructive command; the prompt itself is `io.confirm` (an exact "y"
 * or "yes" on a terminal). Resolves true to go ahead:
 * - `--yes` goes ahead without asking;
 * - no terminal and `noTerminal` given: UsageError(noTerminal), exit 2, before anything is shown
 *   or touched (the command cannot run unattended without --yes);
 * - otherwise the operator is asked (without a terminal the answer is no); on no it prints
 *   "Not confirmed; nothing was changed.", sets exit 1 (the answer is no, not an error) and
 *   resolves false: the caller returns.
 */
export async function confirmOrStop(io: CliIO, o: { yes: boolean | undefined; question: string; noTerminal?: string }): Promise<boolean> {
  if (o.yes) return true;
  if (o.noTerminal !== undefined && !io.isTTY) throw new UsageError(o.noTerminal);
  if (await io.confirm(o.question)) return true;
  io.err('Not confirmed; nothing was changed.\n');
  io.exitCode = EXIT.FINDINGS;
  return false;
}
