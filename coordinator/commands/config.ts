import { Command } from 'commander';
import { UsageError } from '../../shared/errors';
import type { IniEdit } from '../../shared/ini';
import { getConfig, MIGRATION_KEYS, parseAssignment, parseKeyPath, renderGetConfig, renderSetConfig, setConfig, validateConfigEdits } from '../lib/config-edit';
import { Inventory, PegasusCluster, selectCluster } from '../lib/inventory';
import { CliIO, EXIT } from '../lib/io';
import type { Register } from './index';
import { collect, commandPool, FleetFlags, fleetOptions, limitedHosts, limitOption, loadFleetInventory, progress } from './fleet-options';

interface CommonFlags extends FleetFlags {
  cluster: string;
  host?: string[];
  json?: boolean;
}

interface SetFlags extends CommonFlags {
  absent?: string[];
  check?: boolean;
  diff?: boolean;
  createSection?: boolean;
}

const HELP = `
Read or edit the meta servers' config.ini across one cluster, through the agents. Keys are
SECTION.KEY (split at the last dot: zookeeper.hosts_list, meta_server.cluster_root) or
[SECTION]KEY for sections with dots ([apps.meta]ports).

  zkmig config get --cluster C [KEY...]
  zkmig config set --cluster C KEY=VALUE... [--absent KEY]... [--check] [--diff]`;

const GET_HELP = `
Print the value of each KEY on every meta of the cluster (default: the migration-relevant
keys: ${MIGRATION_KEYS.map((k) => `${k.section}.${k.key}`).join(', ')}), flagging keys
whose value differs between metas. Values are what Pegasus reads: the first definition of a key
wins, inline comments removed. It changes nothing.

Permissions: the agents' TLS files named in the inventory.

Output: per key, one line when every meta agrees, else one line per meta; then the recap. With
--json {cluster, keys, hosts: [{host, status, value: {path, sha256, values, ...}}], drift, recap}.

Exit codes: 0 every meta was read; 2 some meta could not be read (the others are still shown),
bad usage or an invalid inventory.`;

const SET_HELP = `
Set (KEY=VALUE) or remove (--absent KEY) keys in the config.ini of every meta of the cluster
(or the --host ones), the way Ansible's ini_file would but keeping every other byte: comments,
indentation, ";key" lines (never uncommented), line ends. Each host's agent writes atomically
after a timestamped backup, whose path is printed. Running the same command twice changes
nothing the second time.

--check computes every change and diff and writes nothing (Ansible's check mode); --diff prints
the unified diff of each file. Add both to preview.

The value is checked before any host is contacted: a line break, or for the keys zkmig knows a
value Pegasus would refuse (hosts_list and server_list must be host:port lists, timeout_ms a
number, recover_from_replica_server true/false, meta_function_level_on_start a level) is an
error and nothing is written anywhere. meta_server.hosts_list is refused: Pegasus reads
hosts_list only from [zookeeper] (use --absent meta_server.hosts_list to remove that mistake).
A key defined twice in a section, or a missing section without --create-section, fails that
host without writing.

The meta servers read config.ini at start: a change takes effect at their next restart. To move
a cluster to another ZooKeeper ensemble use "zkmig migrate", which also copies the metadata.

When not to use it: for files other than the metas' config.ini (the agents manage only what
their config lists), or to change a live cluster's ensemble by hand.

Permissions: the agents' TLS files named in the inventory; the agents write the files.

Output: one line per host (changed / ok / failed / unreachable, with the backup path), the
diffs with --diff, then the recap. With --json {cluster, checkMode, edits, hosts: [{host,
status, value: {path, changed, beforeSha256, afterSha256, backupFile, diff, outcomes}}], recap}.

Exit codes: 0 every host ok or changed; 2 some host failed or was unreachable, bad usage or an
invalid inventory. A failed host was not written; re-run after fixing it (the edit is idempotent).`;

export const registerConfig: Register = (program: Command, io: CliIO) => {
  const config = program.command('config').summary('get or set meta-server config.ini keys across a cluster, through the agents').description('Read or edit the meta servers\' config.ini across one cluster, through the agents.').addHelpText('after', `${HELP}\n`);

  limitOption(fleetOptions(
    config
      .command('get')
      .summary('print config.ini values on every meta of a cluster')
      .description('Print config.ini values on every meta of a cluster.')
      .addHelpText('after', `${GET_HELP}\n`)
      .argument('[keys...]', 'SECTION.KEY to print (default: the migration-relevant keys)')
      .requiredOption('--cluster <name>', 'the cluster (inventory group)')
      .option('--host <name>', 'only this inventory host (repeatable)', collect)
      .option('--json', 'print JSON for scripts'),
  )).action(async (keys: string[], flags: CommonFlags) => {
    const parsed = keys.map((k) => usage(() => parseKeyPath(k, 'key')));
    const inv = loadFleetInventory(flags, io);
    const cluster = selectCluster(inv, flags.cluster);
    const hosts = hostsOf(inv, cluster, flags, io);
    const pool = commandPool(flags);
    const bar = progress(io, 'config get');
    try {
      const r = await getConfig({ pool, cluster, ...(parsed.length > 0 ? { keys: parsed } : {}), ...(hosts ? { hosts } : {}), onProgress: bar.update });
      bar.end();
      io.out(flags.json ? `${JSON.stringify(r, null, 2)}\n` : renderGetConfig(r));
      io.exitCode = r.recap.totals.failed + r.recap.totals.unreachable > 0 ? EXIT.ERROR : EXIT.OK;
    } finally {
      pool.close();
    }
  });

  limitOption(fleetOptions(
    config
      .command('set')
      .summary('set or remove config.ini keys on every meta of a cluster (--check, --diff)')
      .description('Set or remove config.ini keys on every meta of a cluster, losslessly, with --check and --diff.')
      .addHelpText('after', `${SET_HELP}\n`)
      .argument('[assignments...]', 'SECTION.KEY=VALUE to set')
      .requiredOption('--cluster <name>', 'the cluster (inventory group)')
      .option('--absent <section.key>', 'remove this key (repeatable)', collect)
      .option('--host <name>', 'only this inventory host (repeatable)', collect)
      .option('--check', 'compute changes and diffs, write nothing')
      .option('--diff', 'print the unified diff of each file')
      .option('--create-section', 'create a missing section at the end of the file')
      .option('--json', 'print JSON for scripts'),
  )).action(async (assignments: string[], flags: SetFlags) => {
    const edits: IniEdit[] = [
      ...assignments.map((a) => usage(() => parseAssignment(a))).map((a) => ({ section: a.section, key: a.key, value: a.value, ...(flags.createSection ? { createSection: true } : {}) })),
      ...(flags.absent ?? []).map((k) => usage(() => parseKeyPath(k, '--absent'))).map((k) => ({ section: k.section, key: k.key, absent: true })),
    ];
    if (edits.length === 0) throw new UsageError('config set: give at least one SECTION.KEY=VALUE or --absent SECTION.KEY');
    // Before the inventory and any host: a bad edit changes nothing anywhere.
    usage(() => validateConfigEdits(edits));
    const inv = loadFleetInventory(flags, io);
    const cluster = selectCluster(inv, flags.cluster);
    const hosts = hostsOf(inv, cluster, flags, io);
    const pool = commandPool(flags);
    const bar = progress(io, flags.check ? 'config set (check)' : 'config set');
    try {
      const r = await setConfig({ pool, cluster, edits, checkMode: flags.check === true, ...(hosts ? { hosts } : {}), onProgress: bar.update });
      bar.end();
      io.out(flags.json ? `${JSON.stringify(r, null, 2)}\n` : renderSetConfig(r, { diff: flags.diff === true }));
      io.exitCode = r.recap.totals.failed + r.recap.totals.unreachable > 0 ? EXIT.ERROR : EXIT.OK;
    } finally {
      pool.close();
    }
  });
};

/** --host names and --limit together: the hosts both select (undefined: every meta). */
function hostsOf(inv: Inventory, cluster: PegasusCluster, flags: CommonFlags, io: CliIO): string[] | undefined {
  const limited = limitedHosts(inv, [cluster], flags, io).hosts;
  if (!limited) return flags.host;
  const hosts = cluster.metas.map((m) => m.name).filter((h) => limited.has(h));
  if (!flags.host) return hosts;
  const both = flags.host.filter((h) => limited.has(h));
  if (both.length === 0) throw new UsageError(`--host ${flags.host.join(', ')} and --limit "${flags.limit}" select no host together`);
  return both;
}

/** Turn a parse error of a command-line argument into a usage error. */
function usage<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new UsageError((e as Error).message, { cause: e });
  }
}
