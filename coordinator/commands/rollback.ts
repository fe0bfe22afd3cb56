import { Command } from 'commander';
import { CliIO, EXIT } from '../lib/io';
import { finish, rendererFor, requireYesForJson, STATE_DIR_HELP, stateDirOf } from '../lib/migrate/cli-support';
import { rollback, runDetail } from '../lib/migrate';
import type { Register } from './index';
import { AgentCallFlags, agentSettings } from './conventions';
import { durationArg } from './duration';
import { positiveIntArg } from './fleet-options';
import { FAN_OUT_DEFAULTS } from '../lib/fleet';

const HELP = `
Return the cluster of a migration run to its old ensemble: stop every meta that may run on the
new ensemble (so that no two leaders ever run on two ensembles), restore each meta's config.ini
from the agent's backup (the one whose sha256 the preflight recorded), start the metas with the
old leader first, restore the meta level, verify health on the old ensemble, and remove what the
run wrote into the new ensemble. The old tree was never modified by the migration. Each step is
journaled and idempotent: a rollback that was interrupted can be run again.

When not to use it: after a run that succeeded (the cluster has been writing metadata to the new
ensemble since; migrate back instead), or one that was aborted before changing anything.

Permissions: as for "zkmig migrate".

Exit codes: 1 rolled back (the cluster is as before the run); 2 the rollback failed (run it
again once the cause is fixed).`;

export const registerRollback: Register = (program: Command, io: CliIO) => {
  program
    .command('rollback')
    .summary('return the cluster of a migration run to the old ensemble')
    .description('Return the cluster of a migration run to its old ensemble.')
    .addHelpText('after', `${HELP}\n`)
    .argument('<run>', 'the run id (see "zkmig status")')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print events as JSON lines')
    .option('--state-dir <dir>', STATE_DIR_HELP)
    .option('-f, --forks <n>', `agents contacted at once (default: ${FAN_OUT_DEFAULTS.limit})`, positiveIntArg('--forks'))
    .option('--timeout <duration>', 'deadline of each agent read call; edits get at least 30s (default: 10s)', durationArg('--timeout'))
    .action(async (run: string, o: { yes?: boolean; json?: boolean; stateDir?: string } & AgentCallFlags) => {
      requireYesForJson(o.yes, o.json, 'rollback');
      const stateDir = stateDirOf(o.stateDir, io);
      const d = runDetail(stateDir, run);
      if (!o.yes && !(await io.confirm(`Roll back run ${run} (${d.method} of ${d.cluster} to ${d.to}, now ${d.outcome}) to the old ensemble?`))) {
        io.err('Not confirmed; nothing was changed.\n');
        io.exitCode = EXIT.FINDINGS;
        return;
      }
      const r = rendererFor(io, o.json);
      try {
        finish(io, await rollback(run, { stateDir, env: io.env, emit: r.emit, agents: agentSettings(o) }), o.json);
      } finally {
        r.close();
      }
    });
};
