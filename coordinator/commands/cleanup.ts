import { Command } from 'commander';
import { CliIO, EXIT } from '../lib/io';
import { addInventoryOption, inventoryFile, requireYesForJson } from '../lib/migrate/cli-support';
import { cleanupOld } from '../lib/migrate';
import type { Register } from './index';
import { confirmOrStop } from './confirm';
import { checkOption } from './conventions';

const HELP = `
Delete a migrated cluster's tree (cluster_root) from its OLD ensemble, once that is proven safe:
  - every meta's [zookeeper] hosts_list names another ensemble (all agents must answer);
  - the running leader reports another ensemble (cluster_info);
  - no live session holds an ephemeral node in the old tree (no meta still runs there);
  - every persistent node of the old tree exists in the tree the cluster now uses.
Then it asks for confirmation (exactly "y"; --yes skips it) and deletes the tree, children first.
Leaving a stale tree lets a misconfigured meta "succeed" against old metadata (docs/pegasus-internals.md §8.15).

When not to use it: before the migrated cluster has run healthy for a while (the old tree is your
way back), or on an ensemble other clusters share the same cluster_root on.

Permissions: the agents' client certificate, delete access to the old ensemble's cluster_root.

Exit codes: 0 deleted (or, with --dry-run, safe to delete); 1 not confirmed; 2 refused or failed.`;

export const registerCleanup: Register = (program: Command, io: CliIO) => {
  const cmd = program.command('cleanup').summary("delete a migrated cluster's tree from the old ensemble, after verifying it is unused").description("Delete a migrated cluster's tree from its old ensemble, once proven unused and redundant.").addHelpText('after', `${HELP}\n`);
  checkOption(cmd, 'run every check, delete nothing');
  addInventoryOption(cmd)
    .requiredOption('--cluster <name>', 'the cluster (inventory group)')
    .requiredOption('--old <hosts>', 'the old ensemble, host:port[,host:port...]')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print the result as JSON')
    .action(async (o: { inventory?: string; cluster: string; old: string; yes?: boolean; dryRun?: boolean; json?: boolean }) => {
      requireYesForJson(o.yes || o.dryRun, o.json, 'cleanup');
      const r = await cleanupOld({
        inventory: inventoryFile(o.inventory, io),
        cluster: o.cluster,
        old: o.old,
        env: io.env,
        checkMode: o.dryRun === true,
        ...(io.isTTY && !o.json ? { progress: (m: string) => io.err(`  ${m}...\n`) } : {}),
        confirm: (c) => confirmOrStop(io, { yes: o.yes, question: `Delete ${c.root} (${c.nodes} nodes) from ${c.old}? The cluster runs on ${c.current}.` }),
      });
      if (o.json) io.out(JSON.stringify(r, null, 2) + '\n');
      else if (r.checkMode) io.out(`Safe to delete ${r.root} (${r.nodes} nodes) from ${r.old}: the cluster runs on ${r.current} and its tree holds every old node. (dry run: nothing deleted)\n`);
      else if (r.confirmed) io.out(`Deleted ${r.root} (${r.deleted} nodes) from ${r.old}; the cluster runs on ${r.current}.\n`);
      io.exitCode = r.checkMode || r.confirmed ? EXIT.OK : EXIT.FINDINGS;
    });
};
