import * as fs from 'node:fs';
import * as path from 'node:path';
import { compareHostPort, compareRpcAddress, toHostPort, tryParseAddress } from '../common/address';
import { call, sleep } from '../common/rpc';
import { ShellContext, argError, writeOutput } from './context';
import { usageError } from './commands-cluster';
import { getoptLong } from './getopt';
import { RemoteResult, renderRecoverHeader, renderRecoverResult, renderRemoteCommand } from './render';

/** recover, remote_command, server_info (src/shell/commands/recovery.cpp, node_management.cpp, v2.5.0). */

export async function recover(ctx: ShellContext, argv: string[]): Promise<boolean> {
  const g = getoptLong(argv, 'f:s:w:o:bl', [
    { name: 'node_list_file', hasArg: true, short: 'f' },
    { name: 'node_list_str', hasArg: true, short: 's' },
    { name: 'wait_seconds', hasArg: true, short: 'w' },
    { name: 'skip_bad_nodes', hasArg: false, short: 'b' },
    { name: 'skip_lost_partitions', hasArg: false, short: 'l' },
    { name: 'output', hasArg: true, short: 'o' },
  ]);
  if (g.error) return usageError(ctx, g.error);
  let file = '';
  let str = '';
  let wait = 100;
  let out: string | undefined;
  let skipBad = false;
  let skipLost = false;
  for (const x of g.opts) {
    if (x.opt === 'f') file = x.arg!;
    else if (x.opt === 's') str = x.arg!;
    else if (x.opt === 'w') {
      if (!/^[+-]?\d+$/.test(x.arg!)) {
        ctx.err(`parse ${x.arg!} as wait_seconds failed\n`);
        return false;
      }
      wait = Number(x.arg);
    } else if (x.opt === 'o') out = x.arg;
    else if (x.opt === 'b') skipBad = true;
    else if (x.opt === 'l') skipLost = true;
  }
  const hp = ctx.format === 'master' ? 'host:port' : 'ip:port';
  if (wait <= 0) {
    ctx.err(`invalid wait_seconds ${wait}, should be positive number\n`);
    return false;
  }
  if (str === '' && file === '') {
    ctx.err('should specify one of node_list_file/node_list_str\n');
    return false;
  }
  if (str !== '' && file !== '') {
    ctx.err('should only specify one of node_list_file/node_list_str\n');
    return false;
  }
  const nodes: string[] = [];
  if (str !== '') {
    const tokens = str.split(',').filter((t) => t !== '');
    if (tokens.length === 0) {
      ctx.err("can't parse node from node_list_str\n");
      return true;
    }
    for (const t of tokens) {
      const a = tryParseAddress(t);
      if (!a) {
        ctx.err(`parse ${t} as a ${hp} node failed\n`);
        return true;
      }
      nodes.push(a);
    }
  } else {
    let text: string;
    try {
      text = fs.readFileSync(path.resolve(ctx.cwd, file), 'utf8');
    } catch {
      ctx.err(`open file ${file} failed\n`);
      return true;
    }
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!.trim();
      if (l === '' || l.startsWith('#') || l.startsWith(';')) continue;
      const a = tryParseAddress(l);
      if (!a) {
        ctx.err(`parse ${l} at file ${file} line ${i + 1} as ${hp} failed\n`);
        return true;
      }
      nodes.push(a);
    }
    if (nodes.length === 0) {
      ctx.err(`no node specified in file ${file}\n`);
      return true;
    }
  }
  let text = '';
  const emit = (s: string): void => {
    if (out) text += s;
    else ctx.out(s);
  };
  const set: string[] = [];
  for (const n of nodes) {
    if (set.includes(n)) emit(`duplicate replica node ${n}, just ingore it\n`);
    else set.push(n);
  }
  emit(renderRecoverHeader(set, wait, skipBad, skipLost, ctx.format));
  const pending = ctx.client.request('start_recovery', { recovery_set: set, skip_bad_nodes: skipBad, skip_lost_partitions: skipLost }, wait * 1000);
  let result: Record<string, unknown> | undefined;
  void pending.then((r) => (result = r));
  for (let i = 0; i < wait; i++) {
    await Promise.race([pending, sleep(1000)]);
    if (result) break;
    emit(`Wait recovery for ${i} seconds\n`);
  }
  let err: string;
  if (!result || result.transport_failed) {
    emit('Wait recovery failed, administrator should check the meta for progress\n');
    err = 'ERR_TIMEOUT';
  } else {
    err = String(result.err);
    emit(renderRecoverResult(err, String(result.hint_message ?? '')));
  }
  if (out) {
    writeOutput(ctx, out, text);
    ctx.out(`recover complete with err = ${err}\n`);
  }
  return true;
}

function compareHostPortOf(a: string, b: string): number {
  return compareHostPort(toHostPort(a), toHostPort(b));
}

/** `server_info [-t ...] [-l ...] [-r]` is `remote_command ... server-info`. */
export async function serverInfo(ctx: ShellContext, argv: string[]): Promise<boolean> {
  return remoteCommand(ctx, [...argv, 'server-info']);
}

export async function remoteCommand(ctx: ShellContext, argv: string[]): Promise<boolean> {
  const g = getoptLong(argv, 't:l:r', [
    { name: 'node_type', hasArg: true, short: 't' },
    { name: 'node_list', hasArg: true, short: 'l' },
    { name: 'resolve_ip', hasArg: false, short: 'r' },
  ]);
  if (g.error) return usageError(ctx, g.error);
  let type = '';
  let list = '';
  let resolve = false;
  for (const x of g.opts) {
    if (x.opt === 't') type = x.arg!;
    else if (x.opt === 'l') list = x.arg!;
    else if (x.opt === 'r') resolve = true;
  }
  if (type !== '' && list !== '') {
    argError(ctx, 'can not specify both node_type and node_list\n', 'can not specify both node_type and nodes_str');
    return false;
  }
  if (type === '' && list === '') type = 'all';
  if (type !== '' && !['all', 'meta-server', 'replica-server'].includes(type)) {
    argError(ctx, 'invalid type, should be: all | meta-server | replica-server\n', 'invalid node_type, should be in [all, meta-server, replica-server]');
    return false;
  }
  const [cmd, ...args] = g.positional;
  if (cmd === undefined) {
    argError(ctx, 'command not specified\n', 'missing <command>');
    return false;
  }
  const targets: { role: string; address: string }[] = [];
  if (type !== '') {
    if (type === 'all' || type === 'meta-server') for (const m of ctx.metaList) targets.push({ role: 'meta-server', address: m });
    if (type === 'all' || type === 'replica-server') {
      const r = await ctx.client.request('list_nodes', { status: 'NS_ALIVE' });
      if (r.err !== 'ERR_OK') {
        ctx.err(`ERROR: list node failed: ${String(r.err)}\n`);
        ctx.err(`prepare nodes failed, type = ${type}\n`);
        return true;
      }
      // fill_nodes walks a std::map<rpc_address, ...>: replica servers come out in address order.
      const alive = (r.infos as { address: string }[]).map((n) => n.address).sort(ctx.format === 'master' ? compareHostPortOf : compareRpcAddress);
      for (const a of alive) targets.push({ role: 'replica-server', address: a });
    }
  } else {
    const tokens = list.split(',').filter((t) => t !== '');
    if (tokens.length === 0) {
      ctx.err("can't parse node from node_list\n");
      return true;
    }
    for (const t of tokens) {
      const a = tryParseAddress(t);
      if (!a) {
        ctx.err(`parse ${t} as a ip:port node failed\n`);
        return true;
      }
      targets.push({ role: 'user-specified', address: a });
    }
  }
  // call_remote_command: all nodes in parallel, 5 s each.
  const results: RemoteResult[] = await Promise.all(
    targets.map(async (t) => {
      const r = await call(t.address, 'remote_command', { cmd, args, format: ctx.format }, 5000);
      const ok = r.transport === 'ERR_OK' && r.body.err === 'ERR_OK';
      return { ...t, ok, message: ok ? String(r.body.result) : 'ERR_TIMEOUT' };
    }),
  );
  // -r: host names instead of ip:port (hostname_from_ip_port); master prints host names anyway.
  const shown = resolve ? results.map((r) => ({ ...r, address: toHostPort(r.address) })) : results;
  const o = renderRemoteCommand(cmd, args, shown, ctx.format);
  if (o.stdout) ctx.out(o.stdout);
  if (o.stderr) ctx.err(o.stderr);
  return true;
}
