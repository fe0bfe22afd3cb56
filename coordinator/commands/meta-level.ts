import { Command } from 'commander';
import { UsageError } from '../../shared/errors';
import { CliIO, EXIT } from '../lib/io';
import { selectCluster } from '../lib/inventory';
import { META_LEVELS, MetaLevel, PegasusShell } from '../lib/shell';
import { checkOption } from './conventions';
import { loadFleetInventory } from './fleet-options';
import type { Register } from './index';
import { confirmOrStop } from './confirm';

const HELP = `
Show the meta level of a cluster (the Pegasus shell's get_meta_level), or set
it (set_meta_level LEVEL): stopped, blind, freezed, steady or lively. Use it to
undo a level a stopped migration left behind (a "blind" leader takes no
metadata writes), instead of opening the shell by hand. Setting asks for
confirmation (exact "y") unless --yes; --check prints what would change.

Levels, from pegasus's meta_function_level: stopped and blind stop load
balancing and refuse metadata changes (blind also takes no replica reports);
freezed keeps the data where it is; steady (the usual level) does no load
balancing; lively balances load.

Needs the inventory's pegasus_shell for the cluster; contacts no agent.

Exit codes: 0 shown or set; 1 not confirmed; 2 the shell failed or bad usage.`;

interface Flags {
  inventory?: string;
  cluster?: string;
  yes?: boolean;
  dryRun?: boolean;
  json?: boolean;
  timeout?: number;
}

export const registerMetaLevel: Register = (program: Command, io: CliIO) => {
  const cmd = program
    .command('meta-level')
    .summary("show or set a cluster's meta level through the Pegasus shell")
    .description("Show a cluster's meta level, or set it, through the Pegasus shell.")
    .addHelpText('after', `${HELP}\n`)
    .argument('[level]', `the level to set: ${META_LEVELS.join(', ')}`)
    .option('-i, --inventory <file>', 'Ansible inventory (default: $ZKMIG_INVENTORY)')
    .option('--cluster <name>', 'the cluster (default: the only one in the inventory)')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print JSON for scripts');
  checkOption(cmd, 'show the current level and what would change; set nothing');
  cmd.action(async (level: string | undefined, f: Flags) => {
    if (level !== undefined && !(META_LEVELS as readonly string[]).includes(level)) {
      throw new UsageError(`meta level "${level}" is not one of ${META_LEVELS.join(', ')}`);
    }
    const inv = loadFleetInventory(f, io);
    if (f.cluster === undefined && inv.clusters.length !== 1) {
      throw new UsageError(`--cluster is required: the inventory has ${inv.clusters.length} clusters (${inv.clusters.map((c) => c.name).join(', ')})`);
    }
    const cluster = f.cluster !== undefined ? selectCluster(inv, f.cluster) : inv.clusters[0]!;
    const shell = PegasusShell.forCluster(cluster, { env: io.env });
    const current = await shell.getMetaLevel();
    if (level === undefined || f.dryRun || current === level) {
      const would = level !== undefined && current !== level;
      if (f.json) io.out(`${JSON.stringify({ cluster: cluster.name, level: current, ...(level !== undefined ? { requested: level, changed: false } : {}) })}\n`);
      else io.out(`${cluster.name}: meta level ${current}${level === undefined ? '' : would ? ` (check: would set ${level})` : ` (already ${level})`}\n`);
      io.exitCode = EXIT.OK;
      return;
    }
    const go = await confirmOrStop(io, {
      yes: f.yes,
      question: `Set the meta level of ${cluster.name} from ${current} to ${level}?`,
      noTerminal: `refusing to set the meta level of ${cluster.name} from ${current} to ${level} without --yes`,
    });
    if (!go) return;
    const r = await shell.setMetaLevel(level as MetaLevel);
    if (f.json) io.out(`${JSON.stringify({ cluster: cluster.name, level: r.level, oldLevel: r.oldLevel, changed: r.changed })}\n`);
    else io.out(`${cluster.name}: meta level ${r.oldLevel} -> ${r.level}\n`);
    io.exitCode = EXIT.OK;
  });
};
