import { Command } from 'commander';
import type { CliIO } from '../lib/io';
import { finish, rendererFor, requireYesForJson, stateDirOf } from '../lib/migrate/cli-support';
import { resume, runDetail } from '../lib/migrate';
import type { Register } from './index';
import { installStopHandlers } from '../lib/migrate/stop-signals';
import { confirmOrStop } from './confirm';
import { AgentCallFlags, agentSettings, runCommandOptions } from './conventions';

const HELP = `
Finish a migration run whose coordinator stopped (killed, crashed, lost its terminal) or that
stopped at a failed step with --no-auto-rollback. It reads the run's journal, takes the cluster's
run lock again (a lock left by this run's dead coordinator on this host is taken over; otherwise
it waits for that session to expire), skips every step the journal records as done, and runs
the step that was in flight again: every step re-reads the real state before acting, so running
it twice is safe. A run that was rolling back continues its rollback. A failure after the first
change rolls back automatically unless the run was started with --no-auto-rollback.

When not to use it: for a run that ended (succeeded, rolled back, aborted: see "zkmig status").

Permissions: as for "zkmig migrate"; the inventory recorded in the journal is read again.

Exit codes as for "zkmig migrate".`;

export const registerResume: Register = (program: Command, io: CliIO) => {
  runCommandOptions(
    program
      .command('resume')
      .summary('finish a migration run from its journal (after the coordinator was killed)')
      .description('Finish a migration run from its journal.')
      .addHelpText('after', `${HELP}\n`)
  )
    .action(async (run: string, o: { yes?: boolean; json?: boolean; diff?: boolean; stateDir?: string } & AgentCallFlags) => {
      requireYesForJson(o.yes, o.json, 'resume');
      const stateDir = stateDirOf(o.stateDir, io);
      const d = runDetail(stateDir, run);
      if (!o.yes) {
        io.out(`Run ${run}: ${d.method} of ${d.cluster} to ${d.to}; last step done: ${d.lastDone ?? 'none'}${d.inFlight ? `; in flight: ${d.inFlight}` : ''}${d.lastError ? `; last error: ${d.lastError}` : ''}\n`);
        if (!(await confirmOrStop(io, { yes: o.yes, question: `Resume run ${run}?` }))) return;
      }
      const r = rendererFor(io, o.json, o.diff);
      const sig = installStopHandlers(io);
      try {
        finish(io, await resume(run, { stateDir, env: io.env, emit: sig.track(r.emit), stop: sig.stop, agents: agentSettings(o) }), o.json, sig.stop);
      } finally {
        sig.dispose();
        r.close();
      }
    });
};
