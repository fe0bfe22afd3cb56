import * as path from 'node:path';
import { parseAddress } from '../common/address';
import { PegasusIni } from '../common/ini';
import { MASTER_VERSION, OutputFormat, PEGASUS_VERSION } from '../common/version';
import { execute } from './commands';
import { ShellContext } from './context';
import { MetaClient } from './meta-client';
import { sdsSplitArgs } from './split-args';

/**
 * `./run.sh shell` fed from a pipe (docs/pegasus-internals.md §4.1): banner, no prompt unless stdin is a terminal,
 * one command per line, exit status 0 at EOF whatever happened. Like linenoise's non-tty mode, a line
 * is everything up to `\n` (a `\r` stays in it), and an empty line prints `Invalid argument(s)`
 * (scanfCommand returns NULL for it in v2.5.0).
 */

export interface ShellOptions {
  metaList: string[];
  /** The meta list as given (printed in the banner). */
  metaListText: string;
  /** Name for the banner when the meta does not answer within 1 s. */
  clusterName: string;
  configFile: string;
  format: OutputFormat;
  rpcTimeoutMs: number;
  cwd: string;
}

/** Parse the shell's command line: `--cluster|-m list`, `-n name` with `-c|--config file`, `--format`. */
export function parseShellArgs(argv: string[], cwd: string, pid: number): ShellOptions {
  let cluster: string | undefined;
  let name: string | undefined;
  let config: string | undefined;
  let format: OutputFormat = 'v2.5.0';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--cluster' || a === '-m') cluster = next();
    else if (a === '-n') name = next();
    else if (a === '-c' || a === '--config') config = next();
    else if (a === '--format') {
      const f = next();
      if (f !== 'master' && f !== 'v2.5.0') throw new Error(`--format must be v2.5.0 or master, got ${f}`);
      format = f;
    } else throw new Error(`unknown argument ${a}`);
  }
  if (cluster !== undefined && name !== undefined) throw new Error('--cluster and -n cannot be combined');
  let timeout = 10000;
  let listText = cluster ?? '127.0.0.1:34601,127.0.0.1:34602,127.0.0.1:34603';
  if (config) {
    const ini = PegasusIni.load(path.resolve(cwd, config));
    timeout = ini.getInt('task..default', 'rpc_timeout_milliseconds', 10000);
    if (name !== undefined) {
      if (!ini.has('pegasus.clusters', name)) throw new Error(`cluster ${name} is not in [pegasus.clusters] of ${config}`);
      listText = ini.getString('pegasus.clusters', name);
    }
  } else if (name !== undefined) {
    throw new Error('-n needs -c <shell config> in the simulator (there is no minos to look the cluster up in)');
  }
  const metaList = listText
    .split(',')
    .filter((s) => s.trim() !== '')
    .map((s) => parseAddress(s, '--cluster'));
  return {
    metaList,
    metaListText: listText,
    clusterName: name ?? 'unknown',
    configFile: config ? path.resolve(cwd, config) : path.join(cwd, `config-shell.ini.${pid}`),
    format,
    rpcTimeoutMs: timeout,
    cwd,
  };
}

export async function runShell(o: ShellOptions, input: AsyncIterable<string>, io: { out(s: string): void; err(s: string): void; isTTY: boolean }): Promise<void> {
  let exiting = false;
  const ctx: ShellContext = {
    client: new MetaClient(o.metaList, o.rpcTimeoutMs),
    metaList: o.metaList,
    format: o.format,
    cwd: o.cwd,
    out: io.out,
    err: io.err,
    requestExit: () => {
      exiting = true;
    },
  };
  io.out(`Pegasus Shell ${o.format === 'master' ? MASTER_VERSION : PEGASUS_VERSION}\n`);
  io.out('Type "help" for more information.\n');
  io.out('Type "Ctrl-D" or "Ctrl-C" to exit the shell.\n\n');
  io.out(`The config file is: ${o.configFile}\n`);
  const ci = await ctx.client.request('cluster_info', {}, 1000);
  const name = ci.err === 'ERR_OK' && ci.cluster_name ? String(ci.cluster_name) : o.clusterName;
  io.out(`The cluster name is: ${name}\n`);
  io.out(`The cluster meta list is: ${o.metaListText}\n`);
  if (io.isTTY) io.out('>>> ');
  for await (const line of input) {
    if (line === '') {
      io.out('Invalid argument(s)\n');
    } else {
      const argv = sdsSplitArgs(line);
      if (!argv) io.out('Invalid argument(s)\n');
      else if (argv.length > 0) await execute(ctx, argv);
    }
    if (exiting) return;
    if (io.isTTY) io.out('>>> ');
  }
}

/** Lines of a byte stream, split on `\n` only; a last line without `\n` counts if not empty. */
export async function* lines(stream: AsyncIterable<Buffer | string>): AsyncIterable<string> {
  let buf = '';
  for await (const chunk of stream) {
    buf += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      yield buf.slice(0, i);
      buf = buf.slice(i + 1);
    }
  }
  if (buf !== '') yield buf;
}
