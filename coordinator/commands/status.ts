import { Command } from 'commander';
import { CliIO } from '../lib/io';
import { renderTable } from '../lib/table';
import { STATE_DIR_HELP, stateDirOf } from '../lib/migrate/cli-support';
import { formatSummary, listRunStatus, runDetail } from '../lib/migrate';
import type { Register } from './index';

const HELP = `
Show migration runs from their journals in the state directory: without RUN, every run (newest
first) with its cluster, method, outcome and last step; with RUN, each step with its time and
result, the write-freeze window and the host recap. "in-progress" means the journal has no end:
the run is going on, or its coordinator was killed ("zkmig resume RUN" finishes it).

Reads only the journals; contacts no host. Exit code 0.`;

export const registerStatus: Register = (program: Command, io: CliIO) => {
  program
    .command('status')
    .summary('show migration runs and their steps')
    .description('Show migration runs from their journals.')
    .addHelpText('after', `${HELP}\n`)
    .argument('[run]', 'a run id')
    .option('--json', 'print JSON')
    .option('--state-dir <dir>', STATE_DIR_HELP)
    .action((run: string | undefined, o: { json?: boolean; stateDir?: string }) => {
      const stateDir = stateDirOf(o.stateDir, io);
      const width = io.columns !== undefined ? { width: io.columns } : {};
      if (run === undefined) {
        const runs = listRunStatus(stateDir);
        if (o.json) {
          io.out(JSON.stringify(runs, null, 2) + '\n');
          return;
        }
        if (runs.length === 0) {
          io.out(`No runs in ${stateDir}.\n`);
          return;
        }
        const rows = runs.map((r) => [r.run, r.cluster, r.method + (r.dryRun ? '*' : ''), r.outcome, r.inFlight ? `${r.inFlight} (in flight)` : (r.lastDone ?? '-')]);
        // Fixed minimum widths: the columns stay put as runs come and go.
        io.out(renderTable([['RUN', 'CLUSTER', 'METHOD', 'OUTCOME', 'LAST STEP'], ...rows], { sep: ' ', minWidths: [42, 14, 8, 16], ...width }).join('\n') + '\n');
        if (runs.some((r) => r.dryRun)) io.out('(* dry run)\n');
        return;
      }
      const d = runDetail(stateDir, run);
      if (o.json) {
        io.out(JSON.stringify(d, null, 2) + '\n');
        return;
      }
      const lines = [`Run ${d.run}: ${d.method} of cluster ${d.cluster} to ${d.to}${d.dryRun ? ' (dry run)' : ''}, started ${d.startedAt}: ${d.outcome}`, `  journal ${d.file}`, ''];
      const label = { done: 'done', failed: 'FAILED', 'in-flight': 'IN FLIGHT' } as const;
      lines.push(...renderTable(d.steps.map((s) => [label[s.status], s.step, `${s.at}${s.summary ? `  ${s.summary}` : ''}`]), { indent: '  ', sep: ' ', minWidths: [9, 24], ...width }));
      if (d.lastError) lines.push('', `  last error: ${d.lastError}`);
      io.out(lines.join('\n') + '\n' + formatSummary(d.summary) + '\n');
    });
};
