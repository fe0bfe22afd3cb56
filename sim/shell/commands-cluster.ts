import { toHostPort } from '../common/address';
import { sleep } from '../common/rpc';
import { AppInfo, PartitionConfig } from '../common/types';
import { ShellContext, argError, writeOutput } from './context';
import { getoptLong } from './getopt';
import { ClusterInfo, renderClusterInfo, renderLs, renderNodes } from './render';

/**
 * cluster_info, ls, nodes, set_meta_level, get_meta_level, create, drop: argument handling and the
 * exact lines of src/shell/commands/*.cpp and replication_ddl_client.cpp (v2.5.0).
 */

const APP_STATUS = ['AS_INVALID', 'AS_AVAILABLE', 'AS_CREATING', 'AS_CREATE_FAILED', 'AS_DROPPING', 'AS_DROP_FAILED', 'AS_DROPPED', 'AS_RECALLING'];
const NODE_STATUS = ['NS_INVALID', 'NS_ALIVE', 'NS_UNALIVE'];
const LEVELS = ['fl_stopped', 'fl_blind', 'fl_freezed', 'fl_steady', 'fl_lively', 'fl_invalid'];

/** `type_from_string`: case-insensitive match against the thrift enum names. */
function typeFromString(names: string[], s: string): string | undefined {
  return names.find((n) => n.toLowerCase() === s.toLowerCase());
}

export async function clusterInfo(ctx: ShellContext, argv: string[]): Promise<boolean> {
  const g = getoptLong(argv, 'rjo:', [
    { name: 'resolve_ip', hasArg: false, short: 'r' },
    { name: 'json', hasArg: false, short: 'j' },
    { name: 'output', hasArg: true, short: 'o' },
  ]);
  if (g.error) return usageError(ctx, g.error);
  let resolve = false;
  let json = false;
  let out: string | undefined;
  for (const o of g.opts) {
    if (o.opt === 'r') resolve = true;
    else if (o.opt === 'j') json = true;
    else if (o.opt === 'o') out = o.arg;
  }
  const r = await ctx.client.request('cluster_info', {});
  if (r.err !== 'ERR_OK') {
    ctx.out(`get cluster info failed, error=${String(r.err)}\n`);
    return true;
  }
  const ci = r as unknown as ClusterInfo;
  if (resolve) {
    ci.meta_servers = ci.meta_servers.map(toHostPort);
    ci.primary_meta_server = toHostPort(ci.primary_meta_server);
  }
  writeOutput(ctx, out, renderClusterInfo(ci, ctx.format, json));
  return true;
}

async function partitionsOf(ctx: ShellContext, apps: AppInfo[]): Promise<{ err?: string; app?: string; parts: Map<number, PartitionConfig[]> }> {
  const parts = new Map<number, PartitionConfig[]>();
  for (const a of apps) {
    if (a.status !== 'AS_AVAILABLE') continue;
    const q = await ctx.client.request('query_config', { app_name: a.app_name });
    if (q.err !== 'ERR_OK') return { err: String(q.err), app: a.app_name, parts };
    parts.set(a.app_id, q.partitions as PartitionConfig[]);
  }
  return { parts };
}

export async function ls(ctx: ShellContext, argv: string[]): Promise<boolean> {
  const g = getoptLong(argv, 'adjs:o:', [
    { name: 'all', hasArg: false, short: 'a' },
    { name: 'detailed', hasArg: false, short: 'd' },
    { name: 'json', hasArg: false, short: 'j' },
    { name: 'status', hasArg: true, short: 's' },
    { name: 'output', hasArg: true, short: 'o' },
  ]);
  if (g.error) return usageError(ctx, g.error);
  const o = { all: false, detailed: false, json: false };
  let status = '';
  let out: string | undefined;
  for (const x of g.opts) {
    if (x.opt === 'a') o.all = true;
    else if (x.opt === 'd') o.detailed = true;
    else if (x.opt === 'j') o.json = true;
    else if (x.opt === 's') status = x.arg!;
    else if (x.opt === 'o') out = x.arg;
  }
  let s = 'AS_INVALID';
  if (status !== '' && status !== 'all') {
    const t = typeFromString(APP_STATUS, `as_${status}`);
    if (!t || t === 'AS_INVALID') {
      argError(ctx, `parse ${status} as app_status::type failed`);
      return false;
    }
    s = t;
  }
  const r = await ctx.client.request('list_apps', { status: s });
  if (r.err !== 'ERR_OK') {
    ctx.out(`list apps failed, error=${String(r.err)}\n`);
    return true;
  }
  const apps = (r.infos as AppInfo[]).sort((a, b) => a.app_id - b.app_id);
  let parts = new Map<number, PartitionConfig[]>();
  if (o.detailed && apps.some((a) => a.status === 'AS_AVAILABLE')) {
    const p = await partitionsOf(ctx, apps);
    if (p.err) {
      ctx.out(`list apps failed, error=${p.err}\n`);
      return true;
    }
    parts = p.parts;
  }
  writeOutput(ctx, out, renderLs(apps, parts, o, ctx.format));
  return true;
}

export async function nodes(ctx: ShellContext, argv: string[]): Promise<boolean> {
  const g = getoptLong(argv, 'druqjs:o:', [
    { name: 'detailed', hasArg: false, short: 'd' },
    { name: 'resolve_ip', hasArg: false, short: 'r' },
    { name: 'resource_usage', hasArg: false, short: 'u' },
    { name: 'qps', hasArg: false, short: 'q' },
    { name: 'json', hasArg: false, short: 'j' },
    { name: 'status', hasArg: true, short: 's' },
    { name: 'output', hasArg: true, short: 'o' },
  ]);
  if (g.error) return usageError(ctx, g.error);
  let detailed = false;
  let json = false;
  let resolve = false;
  let status = '';
  let out: string | undefined;
  for (const x of g.opts) {
    if (x.opt === 'd') detailed = true;
    else if (x.opt === 'j') json = true;
    else if (x.opt === 'r') resolve = true;
    else if (x.opt === 's') status = x.arg!;
    else if (x.opt === 'o') out = x.arg;
    else if (x.opt === 'u' || x.opt === 'q') {
      // Perf counters do not exist in the simulator; say so rather than print invented numbers.
      ctx.err(`ERROR: nodes -${x.opt} (perf counters) is not supported by the Pegasus simulator\n`);
      return true;
    }
  }
  let s = 'NS_INVALID';
  if (status !== '' && status !== 'all') {
    const t = typeFromString(NODE_STATUS, `ns_${status}`);
    if (!t || t === 'NS_INVALID') {
      argError(ctx, `parse ${status} as node_status::type failed`);
      return false;
    }
    s = t;
  }
  const r = await ctx.client.request('list_nodes', { status: s });
  if (r.err !== 'ERR_OK') {
    ctx.out(`list nodes failed, error=${String(r.err)}\n`);
    return true;
  }
  const list = r.infos as { address: string; status: string }[];
  const parts: PartitionConfig[][] = [];
  if (detailed) {
    const a = await ctx.client.request('list_apps', { status: 'AS_AVAILABLE' });
    if (a.err !== 'ERR_OK') {
      ctx.out(`list apps failed, error=${String(a.err)}\n`);
      return true;
    }
    const p = await partitionsOf(ctx, a.infos as AppInfo[]);
    if (p.err) {
      ctx.out(`list app ${p.app} failed, error=${p.err}\n`);
      return true;
    }
    parts.push(...p.parts.values());
  }
  let rendered = renderNodes(list, parts, { detailed, json, status: status || undefined, outFile: out }, ctx.format);
  // -r prints host names for the ip:port addresses (v2.5.0's hostname_from_ip_port); master already does.
  if (resolve && ctx.format !== 'master') rendered = rendered.replace(/127\.0\.0\.1:(\d+)/g, (_m, p: string) => `localhost:${p}`);
  writeOutput(ctx, out, rendered);
  return true;
}

export async function setMetaLevel(ctx: ShellContext, argv: string[]): Promise<boolean> {
  if (argv.length <= 1) return false;
  const l = typeFromString(LEVELS, `fl_${argv[1]!}`);
  if (!l || l === 'fl_invalid') {
    argError(ctx, `parse ${argv[1]!} as meta function level failed\n`);
    return false;
  }
  const r = await ctx.client.request('control_meta', { level: l.slice(3) });
  if (r.err === 'ERR_OK') ctx.out(`control meta level ok, the old level is fl_${String(r.old_level)}\n`);
  else ctx.out(`control meta level got error ${String(r.err)}\n`);
  return true;
}

export async function getMetaLevel(ctx: ShellContext): Promise<boolean> {
  const r = await ctx.client.request('control_meta', { level: 'invalid' });
  if (r.err === 'ERR_OK') ctx.out(`current meta level is fl_${String(r.old_level)}\n`);
  else ctx.out(`get meta level got error ${String(r.err)}\n`);
  return true;
}

const VALID_APP_CHAR = /^[0-9a-zA-Z.:_]+$/;

export async function createApp(ctx: ShellContext, argv: string[]): Promise<boolean> {
  if (argv.length < 2) return false;
  const name = argv[1]!;
  const g = getoptLong(argv, 'p:r:fe:', [
    { name: 'partition_count', hasArg: true, short: 'p' },
    { name: 'replica_count', hasArg: true, short: 'r' },
    { name: 'fail_if_exist', hasArg: false, short: 'f' },
    { name: 'envs', hasArg: true, short: 'e' },
  ]);
  if (g.error) return usageError(ctx, g.error);
  let pc = 4;
  let rc = 3;
  let successIfExist = true;
  const envs: Record<string, string> = {};
  for (const x of g.opts) {
    if (x.opt === 'p' || x.opt === 'r') {
      if (!/^[+-]?\d+$/.test(x.arg!)) {
        ctx.err(`parse ${x.arg!} as ${x.opt === 'p' ? 'partition_count' : 'replica_count'} failed\n`);
        return false;
      }
      if (x.opt === 'p') pc = Number(x.arg);
      else rc = Number(x.arg);
    } else if (x.opt === 'f') successIfExist = false;
    else if (x.opt === 'e') {
      for (const kv of x.arg!.split(',').filter((s) => s !== '')) {
        const i = kv.indexOf('=');
        if (i <= 0) {
          ctx.err(`invalid envs: ${x.arg!}\n`);
          return false;
        }
        envs[kv.slice(0, i)] = kv.slice(i + 1);
      }
    }
  }
  const err = await doCreate(ctx, name, pc, rc, envs, successIfExist);
  ctx.out(err === 'ERR_OK' ? `create app "${name}" succeed\n` : `create app "${name}" failed, error = ${err}\n`);
  return true;
}

async function doCreate(ctx: ShellContext, name: string, pc: number, rc: number, envs: Record<string, string>, successIfExist: boolean): Promise<string> {
  if (pc < 1) {
    ctx.out(`create app ${name} failed: partition_count should >= 1\n`);
    return 'ERR_INVALID_PARAMETERS';
  }
  if (rc < 1) {
    ctx.out(`create app ${name} failed: replica_count should >= 1\n`);
    return 'ERR_INVALID_PARAMETERS';
  }
  if (!VALID_APP_CHAR.test(name)) {
    ctx.out(`create app ${name} failed: invalid app_name\n`);
    return 'ERR_INVALID_PARAMETERS';
  }
  const r = await ctx.client.request('create_app', { app_name: name, app_type: 'pegasus', partition_count: pc, replica_count: rc, success_if_exist: successIfExist, envs, is_stateful: true });
  if (r.transport_failed) {
    ctx.out(`create app ${name} failed: [create] call server error: ${String(r.err)}\n`);
    return String(r.err);
  }
  if (r.err !== 'ERR_OK') {
    ctx.out(`create app ${name} failed: [create] received server error: ${String(r.err)}\n`);
    return String(r.err);
  }
  ctx.out(`create app ${name} succeed, waiting for app ready\n`);
  // wait_app_ready: poll every 2 s until every partition has a primary and enough secondaries.
  for (;;) {
    await sleep(2000);
    const q = await ctx.client.request('query_config', { app_name: name });
    if (q.transport_failed) {
      ctx.out(`create app ${name} failed: [query] call server error: ${String(q.err)}\n`);
      return String(q.err);
    }
    if (q.err !== 'ERR_OK') {
      ctx.out(`create app ${name} failed: [query] received server error: ${String(q.err)}\n`);
      return String(q.err);
    }
    const parts = q.partitions as PartitionConfig[];
    const ready = parts.filter((p) => p.primary !== 'invalid address' && p.secondaries.length + 1 >= rc).length;
    if (ready === pc) {
      ctx.out(`${name} is ready now: (${ready}/${pc})\n`);
      ctx.out(`${name} is ready now!\n`);
      return 'ERR_OK';
    }
    ctx.out(`${name} not ready yet, still waiting... (${ready}/${pc})\n`);
  }
}

export async function dropApp(ctx: ShellContext, argv: string[]): Promise<boolean> {
  if (argv.length < 2) return false;
  const name = argv[1]!;
  const g = getoptLong(argv, 'r:', [{ name: 'reserve_seconds', hasArg: true, short: 'r' }]);
  if (g.error) return usageError(ctx, g.error);
  let reserve = 0;
  for (const x of g.opts) {
    if (!/^[+-]?\d+$/.test(x.arg!)) {
      ctx.err(`parse ${x.arg!} as reserve_seconds failed\n`);
      return false;
    }
    reserve = Number(x.arg);
  }
  ctx.out(`reserve_seconds = ${reserve}\n`);
  let err: string;
  if (!VALID_APP_CHAR.test(name)) err = 'ERR_INVALID_PARAMETERS';
  else err = String((await ctx.client.request('drop_app', { app_name: name, reserve_seconds: reserve })).err);
  ctx.out(err === 'ERR_OK' ? `drop app ${name} succeed\n` : `drop app ${name} failed, error=${err}\n`);
  return true;
}

/** glibc prints its getopt message on stderr; the handler then returns false (→ USAGE). */
export function usageError(ctx: ShellContext, msg: string): boolean {
  ctx.err(msg + '\n');
  return false;
}
