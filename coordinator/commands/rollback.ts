import { Command } from 'commander';
import type { CliIO } from '../lib/io';
import { finish, rendererFor, requireYesForJson, stateDirOf } from '../lib/migrate/cli-support';
import { planRollback, rollback, runDetail } from '../lib/migrate';
import type { Register } from './index';
import { installStopHandlers } from '../lib/migrate/stop-signals';
import { confirmOrStop } from './confirm';
import { AgentCallFlags, agentSettings, runCommandOptions } from './conventions';

const HELP = `
Return the cluster of a migration run to its old ensemble: stop every meta that may run on the
new ensemble (so that no two leaders ever run on two ensembles), restore each meta's config.ini
from the agent's backup (the one whose sha256 the preflight recorded), start the metas with the
old leader first, restore the meta level, verify health on the old ensemble, and remove what the
run wrote into the new ensemble. Each step is journaled and idempotent: a rollback that was
interrupted can be run again.

Before the point of no return (no meta has served from the new ensemble) the old tree was never
modified and is still the truth. Past it, the new tree is the truth (ballots moved there): with
every meta stopped, the new tree is first copied back onto the old ensemble (ephemeral nodes
skipped, verified, aborted if the new tree changes meanwhile), and the new tree is kept. The
plan printed before the question says which of the two this rollback is.

A run that succeeded can be rolled back this way too (its cluster stops while the tree is copied
back); prefer "zkmig migrate --to <old ensemble>", which keeps the cluster up longer. Runs that
were aborted before changing anything have nothing to roll back.

Permissions: as for "zkmig migrate".

Exit codes: 1 rolled back (the cluster is as before the run); 2 the rollback failed (run it
again once the cause is fixed).`;

export const registerRollback: Register = (program: Command, io: CliIO) => {
  runCommandOptions(
    program
      .command('rollback')
      .summary('return the cluster of a migration run to the old ensemble')
      .description('Return the cluster of a migration run to its old ensemble.')
      .addHelpText('after', `${HELP}\n`)
  )
    .action(async (run: string, o: { yes?: boolean; json?: boolean; diff?: boolean; stateDir?: string } & AgentCallFlags) => {
      requireYesForJson(o.yes, o.json, 'rollback');
      const stateDir = stateDirOf(o.stateDir, io);
      const d = runDetail(stateDir, run);
      const plan = await planRollback(run, { stateDir, env: io.env });
      if (!o.json) {
        io.out(`Rollback of run ${run} (${d.method} of ${d.cluster} to ${d.to}, now ${d.outcome}):\n`);
        io.out(`  ${plan.pastNoReturn ? 'PAST the point of no return' : 'before the point of no return'}: ${plan.why}\n`);
        plan.steps.forEach((s, i) => io.out(`  ${String(i + 1).padStart(2)}. ${s.title}\n`));
        io.out('\n');
      }
      if (!(await confirmOrStop(io, { yes: o.yes, question: `Roll back run ${run} to the old ensemble${plan.pastNoReturn ? ', copying the new tree back first' : ''}?` }))) return;
      const r = rendererFor(io, o.json, o.diff);
      const sig = installStopHandlers(io);
      try {
        finish(io, await rollback(run, { stateDir, env: io.env, emit: sig.track(r.emit), stop: sig.stop, agents: agentSettings(o) }), o.json, sig.stop);
      } finally {
        sig.dispose();
        r.close();
      }
    });
};
