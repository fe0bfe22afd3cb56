import { PEGASUS_GIT_COMMIT, PEGASUS_VERSION, MASTER_GIT_COMMIT, MASTER_VERSION } from '../common/version';
import { clusterInfo, createApp, dropApp, getMetaLevel, ls, nodes, setMetaLevel } from './commands-cluster';
import { recover, remoteCommand, serverInfo } from './commands-ops';
import { addBackupPolicy, addDup, startBulkLoad } from './commands-writes';
import { Command, ShellContext } from './context';

/**
 * The commands the simulated shell knows, with v2.5.0's descriptions and usage strings
 * (src/shell/main.cpp). Only these are listed in `help`; the real shell has many more.
 */

/** Longest command name in the real v2.5.0 shell (`query_bulk_load_status`): the help column width. */
const MAX_NAME_LENGTH = 22;
const OPTION_WIDTH = 70;

export const COMMANDS: Command[] = [
  { name: 'help', description: 'print help info', usage: '', run: async (ctx) => (printHelp(ctx), true) },
  {
    name: 'version',
    description: 'get the shell version',
    usage: '',
    run: async (ctx) => {
      const master = ctx.format === 'master';
      ctx.out(`Pegasus Shell ${master ? MASTER_VERSION : PEGASUS_VERSION} (${master ? MASTER_GIT_COMMIT : PEGASUS_GIT_COMMIT}) Release\n`);
      return true;
    },
  },
  { name: 'cluster_info', description: 'get the information of the cluster', usage: '[-r|--resolve_ip] [-o|--output file_name] [-j|--json]', run: clusterInfo },
  {
    name: 'ls',
    description: 'list all apps',
    usage: '[-a|-all] [-d|--detailed] [-j|--json] [-o|--output file_name][-s|--status all|available|creating|dropping|dropped]',
    run: ls,
  },
  {
    name: 'nodes',
    description: 'get the node status for this cluster',
    usage: '[-d|--detailed] [-j|--json] [-r|--resolve_ip] [-u|--resource_usage][-o|--output file_name] [-s|--status all|alive|unalive] [-q|--qps]',
    run: nodes,
  },
  {
    name: 'create',
    description: 'create an app',
    usage: '<app_name> [-p|--partition_count num] [-r|--replica_count num] [-f|--fail_if_exist] [-e|--envs k1=v1,k2=v2...]',
    run: createApp,
  },
  { name: 'drop', description: 'drop an app', usage: '<app_name> [-r|--reserve_seconds num]', run: dropApp },
  { name: 'set_meta_level', description: 'set the meta function level: stopped, blind, freezed, steady, lively', usage: '<stopped|blind|freezed|steady|lively>', run: setMetaLevel },
  { name: 'get_meta_level', description: 'get the meta function level', usage: '', run: getMetaLevel },
  {
    name: 'remote_command',
    description: 'send remote command to servers',
    usage: '[-t all|meta-server|replica-server] [-r|--resolve_ip] [-l ip:port,ip:port...]<command> [arguments...]',
    run: remoteCommand,
  },
  { name: 'server_info', description: 'get info of servers', usage: '[-t all|meta-server|replica-server] [-l ip:port,ip:port...] [-r|--resolve_ip]', run: serverInfo },
  {
    name: 'recover',
    description: 'control the meta to recover the system from given nodes',
    usage: '[-f|--node_list_file file_name] [-s|--node_list_str str] [-w|--wait_seconds num] [-b|--skip_bad_nodes] [-l|--skip_lost_partitions] [-o|--output file_name]',
    run: recover,
  },
  { name: 'add_dup', description: 'add duplication', usage: '<app_name> <remote_cluster_name> [-s|--sst]', run: addDup },
  {
    name: 'start_bulk_load',
    description: 'start app bulk load',
    usage: '<-a --app_name str> <-c --cluster_name str> <-p --file_provider_type str> <-r --root_path> [-i --ingest_behind]',
    run: startBulkLoad,
  },
  {
    name: 'add_backup_policy',
    description: 'add new cold backup policy',
    usage: '<-p|--policy_name str> <-b|--backup_provider_type str> <-a|--app_ids 1,2...> <-i|--backup_interval_seconds num> <-s|--start_time hour:minute> <-c|--backup_history_cnt num>',
    run: addBackupPolicy,
  },
  { name: 'exit', description: 'exit shell', usage: '', run: async (ctx) => (ctx.requestExit(), true) },
];

/** `print_help(e, name_width, option_width)`: the usage wrapped at 70 columns on `] ` / `> ` boundaries. */
export function helpLine(c: Command): string {
  const lines: string[] = [];
  const o = c.usage;
  let start = 0;
  let end = -1;
  let i = 0;
  for (; i < o.length; i++) {
    if (i - start >= OPTION_WIDTH && end >= start) {
      const r = o.slice(start, end + 1).trim();
      if (r) lines.push(r);
      start = end + 2;
    }
    if ((o[i] === ']' || o[i] === '>') && i < o.length - 1 && o[i + 1] === ' ') end = i;
  }
  end = i - 1;
  if (end >= start) {
    const r = o.slice(start, end + 1).trim();
    if (r) lines.push(r);
  }
  let out = '\t' + c.name + ' '.repeat(MAX_NAME_LENGTH + 2 - c.name.length);
  if (lines.length === 0) return out + '\n';
  lines.forEach((l, k) => {
    if (k !== 0) out += '\t' + ' '.repeat(MAX_NAME_LENGTH + 2);
    out += l + '\n';
  });
  return out;
}

export function printHelp(ctx: ShellContext): void {
  ctx.out('Usage:\n' + COMMANDS.map(helpLine).join(''));
}

export async function execute(ctx: ShellContext, argv: string[]): Promise<void> {
  const c = COMMANDS.find((x) => x.name === argv[0]);
  if (!c) {
    ctx.out(`ERROR: invalid subcommand '${argv[0]!}'\n`);
    printHelp(ctx);
    return;
  }
  if (!(await c.run(ctx, argv))) ctx.out('USAGE: ' + helpLine(c));
}
