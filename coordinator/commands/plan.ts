import { Command, Option } from 'commander';
import { CliIO, EXIT } from '../lib/io';
import { addInventoryOption, inventoryFile, STATE_DIR_HELP, stateDirOf } from '../lib/migrate/cli-support';
import { Method, METHODS, planMigration, renderPlan } from '../lib/migrate';
import { isPrecondition } from '../../shared/errors';
import type { Register } from './index';
import { parseCount } from './duration';

const HELP = `
Run a migration's preflight and print the exact plan, changing nothing and recording nothing:
  - every meta of server_list is in the inventory and its agent answers; the meta configs agree
    and hold no known mistake (hosts_list under [meta_server], recovery mode left on, drift);
  - every meta runs, and the cluster is healthy on the ensemble its configs name;
  - the source ensemble answers; the target answers and its cluster_root is absent or empty;
  - tree size, time estimate, and for --method recover what recovery cannot restore;
  - the steps with their hosts, and each meta's config diff computed by its agent in check mode.

When not to use it: it does not replace "zkmig migrate --dry-run", which also runs every step in
check mode; use plan to review, dry-run to rehearse.

Permissions: the agents' client certificate, read access to both ensembles, the Pegasus shell.

Exit codes: 0 the preflight passed; 1 it found problems (listed); 2 it could not run.`;

export const registerPlan: Register = (program: Command, io: CliIO) => {
  const cmd = program.command('plan').summary('preflight checks and the exact steps of a migration; changes nothing').description('Run the preflight checks of a migration and print its exact steps and config diffs; changes nothing.').addHelpText('after', `${HELP}\n`);
  addInventoryOption(cmd)
    .requiredOption('--cluster <name>', 'the cluster (inventory group)')
    .requiredOption('--to <hosts>', 'the new ensemble, host:port[,host:port...]')
    .addOption(new Option('--method <method>', 'copy, recover or reconfig').choices([...METHODS]).makeOptionMandatory())
    .option('--allow-unalive', 'recover: accept UNALIVE replica servers')
    .option('--allow-running-jobs', 'accept active duplications, bulk loads and backup policies')
    .option('--no-precopy', 'copy: plan the copy inside the write freeze instead of the pre-copy')
    .option('--precopy-threshold <changes>', 'copy: enter the write freeze once fewer changes than this are outstanding (default 100)')
    .addOption(new Option('--verify <how>', 'copy: the proof inside the freeze').choices(['delta', 'full']).default('delta'))
    .option('--json', 'print the plan as JSON')
    .option('--state-dir <dir>', STATE_DIR_HELP)
    .action(async (o: { inventory?: string; cluster: string; to: string; method: Method; allowUnalive?: boolean; allowRunningJobs?: boolean; precopy: boolean; precopyThreshold?: string; verify: 'delta' | 'full'; json?: boolean; stateDir?: string }) => {
      try {
        const plan = await planMigration(
          {
            inventory: inventoryFile(o.inventory, io),
            cluster: o.cluster,
            to: o.to,
            method: o.method,
            allowUnalive: o.allowUnalive === true,
            allowRunningJobs: o.allowRunningJobs === true,
            precopy: o.precopy,
            verify: o.verify,
            ...(o.precopyThreshold !== undefined ? { precopyThreshold: parseCount(o.precopyThreshold, '--precopy-threshold') } : {}),
          },
          { env: io.env, stateDir: stateDirOf(o.stateDir, io), emit: (e) => (e.kind === 'warning' && !o.json ? io.err(`warning: ${e.message}\n`) : undefined) },
        );
        io.out(o.json ? JSON.stringify(plan, null, 2) + '\n' : renderPlan({ ...plan.params, dryRun: false }, plan.facts, plan.steps, plan.diffs) + '\n');
        io.exitCode = EXIT.OK;
      } catch (e) {
        if (!isPrecondition(e)) throw e;
        if (o.json) io.out(JSON.stringify({ ok: false, problems: (e as { context?: { problems?: string[] } }).context?.problems ?? [(e as Error).message] }, null, 2) + '\n');
        else io.err(`${(e as Error).message}\n`);
        io.exitCode = EXIT.FINDINGS;
      }
    });
};
