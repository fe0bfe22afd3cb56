import { INVALID_ADDRESS, compareHostPort, compareRpcAddress, toHostPort } from '../common/address';
import { AppInfo, PartitionConfig } from '../common/types';
import { OutputFormat } from '../common/version';
import { TablePrinter, multiJson, multiTabular, nlohmannDump, sortedJson, tableJson } from './table-printer';

/**
 * What the shell prints for each command, as pure functions of the meta's answers, for v2.5.0 and
 * for master's differences (docs/pegasus-internals.md §4.3-4.8, §4.10). The golden tests drive these directly with
 * the data of the samples in docs/pegasus-internals.md.
 */

export interface ClusterInfo {
  meta_servers: string[];
  primary_meta_server: string;
  zookeeper_hosts: string;
  zookeeper_root: string;
  meta_function_level: string;
  balance_operation_count: { move_pri: number; copy_pri: number; copy_sec: number; total: number };
  primary_replica_count_stddev: string;
  total_replica_count_stddev: string;
  cluster_name: string;
}

function addr(a: string, format: OutputFormat): string {
  return format === 'master' ? toHostPort(a) : a;
}

/** `cluster_info [-j]`: one key/value table, no trailing empty line. */
export function renderClusterInfo(ci: ClusterInfo, format: OutputFormat, json: boolean): string {
  const b = ci.balance_operation_count;
  const balance =
    format === 'master'
      ? nlohmannDump(sortedJson({ copy_pri: b.copy_pri, copy_sec: b.copy_sec, move_pri: b.move_pri, total: b.total }))
      : `move_pri=${b.move_pri},copy_pri=${b.copy_pri},copy_sec=${b.copy_sec},total=${b.total}`;
  const tp = new TablePrinter('cluster_info');
  // master keeps server_list as configured (host_port of the config text) but names itself by host name.
  tp.addRowNameAndData('meta_servers', ci.meta_servers.join(','));
  tp.addRowNameAndData('primary_meta_server', addr(ci.primary_meta_server, format));
  tp.addRowNameAndData('zookeeper_hosts', ci.zookeeper_hosts);
  tp.addRowNameAndData('zookeeper_root', ci.zookeeper_root);
  tp.addRowNameAndData('meta_function_level', ci.meta_function_level);
  tp.addRowNameAndData('balance_operation_count', balance);
  tp.addRowNameAndData('primary_replica_count_stddev', ci.primary_replica_count_stddev);
  tp.addRowNameAndData('total_replica_count_stddev', ci.total_replica_count_stddev);
  tp.addRowNameAndData('cluster_name', ci.cluster_name);
  return json ? tableJson(tp) : tp.tabular();
}

/** `%Y-%m-%d_%H:%M:%S` in local time, as `ls` prints create/drop times. */
export function lsTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}_${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export interface LsOptions {
  all: boolean;
  detailed: boolean;
  json: boolean;
}

/** `ls [-a] [-d] [-j]` (replication_ddl_client::list_apps). `partitions` is needed with -d. */
export function renderLs(apps: AppInfo[], partitions: Map<number, PartitionConfig[]>, o: LsOptions, format: OutputFormat): string {
  const general = new TablePrinter('general_info');
  general.addTitle('app_id');
  for (const c of ['status', 'app_name', 'app_type', 'partition_count', 'replica_count', 'is_stateful', 'create_time', 'drop_time', 'drop_expire', 'envs_count']) general.addColumn(c);
  if (format === 'master') general.addColumn('atomic_idempotent');
  let available = 0;
  for (const info of apps) {
    if (!o.all && info.status !== 'AS_AVAILABLE') continue;
    let dropTime = '-';
    let dropExpire = '-';
    if (info.status === 'AS_AVAILABLE') available++;
    else if (info.status === 'AS_DROPPED' && info.expire_second > 0) {
      if (info.drop_second > 0) dropTime = lsTime(info.drop_second);
      dropExpire = lsTime(info.expire_second);
    }
    general.addRow(info.app_id);
    general.appendData(info.status.slice(3));
    general.appendData(info.app_name);
    general.appendData(info.app_type);
    general.appendData(info.partition_count);
    general.appendData(info.max_replica_count);
    general.appendData(info.is_stateful);
    general.appendData(info.create_second > 0 ? lsTime(info.create_second) : '-');
    general.appendData(dropTime);
    general.appendData(dropExpire);
    general.appendData(Object.keys(info.envs).length);
    if (format === 'master') general.appendData(false);
  }
  const tables = [general];
  let fully = 0;
  let unhealthyApps = 0;
  let writeUnhealthyApps = 0;
  let readUnhealthyApps = 0;
  if (o.detailed && available > 0) {
    const h = new TablePrinter('healthy_info');
    h.addTitle('app_id');
    for (const c of ['app_name', 'partition_count', 'fully_healthy', 'unhealthy', 'write_unhealthy', 'read_unhealthy']) h.addColumn(c);
    for (const info of apps) {
      if (info.status !== 'AS_AVAILABLE') continue;
      const s = partitionHealth(partitions.get(info.app_id) ?? []);
      h.addRow(info.app_id);
      h.appendData(info.app_name);
      h.appendData(info.partition_count);
      h.appendData(s.fully);
      h.appendData(info.partition_count - s.fully);
      h.appendData(s.writeUnhealthy);
      h.appendData(s.readUnhealthy);
      if (s.fully === info.partition_count) fully++;
      else unhealthyApps++;
      if (s.writeUnhealthy > 0) writeUnhealthyApps++;
      if (s.readUnhealthy > 0) readUnhealthyApps++;
    }
    tables.push(h);
  }
  const sum = new TablePrinter('summary');
  sum.addRowNameAndData('total_app_count', available);
  if (o.detailed && available > 0) {
    sum.addRowNameAndData('fully_healthy_app_count', fully);
    sum.addRowNameAndData('unhealthy_app_count', unhealthyApps);
    sum.addRowNameAndData('write_unhealthy_app_count', writeUnhealthyApps);
    sum.addRowNameAndData('read_unhealthy_app_count', readUnhealthyApps);
  }
  tables.push(sum);
  return o.json ? multiJson(tables) : multiTabular(tables);
}

/** Per-partition health exactly as `ls -d` counts it (docs/pegasus-internals.md §4.4). */
export function partitionHealth(pcs: PartitionConfig[]): { fully: number; writeUnhealthy: number; readUnhealthy: number } {
  let fully = 0;
  let writeUnhealthy = 0;
  let readUnhealthy = 0;
  for (const p of pcs) {
    const hasPrimary = p.primary !== INVALID_ADDRESS;
    const n = (hasPrimary ? 1 : 0) + p.secondaries.length;
    if (hasPrimary) {
      if (n >= p.max_replica_count) fully++;
      else if (n < 2) writeUnhealthy++;
    } else {
      writeUnhealthy++;
      readUnhealthy++;
    }
  }
  return { fully, writeUnhealthy, readUnhealthy };
}

export interface NodesOptions {
  detailed: boolean;
  json: boolean;
  status?: string;
  outFile?: string;
}

/** `nodes [-d] [-j] [-s s] [-o f]` (ls_nodes in node_management.cpp). */
export function renderNodes(nodes: { address: string; status: string }[], partitions: PartitionConfig[][], o: NodesOptions, format: OutputFormat): string {
  const tables: TablePrinter[] = [];
  if (o.status || o.outFile) {
    const p = new TablePrinter('parameters');
    if (o.status) p.addRowNameAndData('status', o.status);
    if (o.outFile) p.addRowNameAndData('out_file', o.outFile);
    tables.push(p);
  }
  const counts = new Map<string, { p: number; s: number }>();
  for (const n of nodes) counts.set(n.address, { p: 0, s: 0 });
  if (o.detailed) {
    for (const pcs of partitions) {
      for (const pc of pcs) {
        const c = counts.get(pc.primary);
        if (c) c.p++;
        for (const s of pc.secondaries) {
          const cs = counts.get(s);
          if (cs) cs.s++;
        }
      }
    }
  }
  const rows = nodes.map((n) => ({ ...n, shown: addr(n.address, format) }));
  rows.sort((a, b) => (format === 'master' ? compareHostPort(a.shown, b.shown) : compareRpcAddress(a.address, b.address)));
  const d = new TablePrinter('details');
  d.addTitle('address');
  d.addColumn('status');
  if (o.detailed) {
    d.addColumn('replica_count', 'right');
    d.addColumn('primary_count', 'right');
    d.addColumn('secondary_count', 'right');
  }
  let alive = 0;
  for (const r of rows) {
    if (r.status === 'NS_ALIVE') alive++;
    d.addRow(r.shown);
    d.appendData(r.status.replace(/^NS_/, ''));
    if (o.detailed) {
      const c = counts.get(r.address)!;
      d.appendData(c.p + c.s);
      d.appendData(c.p);
      d.appendData(c.s);
    }
  }
  tables.push(d);
  const sum = new TablePrinter('summary');
  sum.addRowNameAndData('total_node_count', nodes.length);
  sum.addRowNameAndData('alive_node_count', alive);
  sum.addRowNameAndData('unalive_node_count', nodes.length - alive);
  tables.push(sum);
  return o.json ? multiJson(tables) : multiTabular(tables);
}

/** The header block `recover` prints before waiting (replication_ddl_client::do_recovery). */
export function renderRecoverHeader(nodes: string[], waitSeconds: number, skipBad: boolean, skipLost: boolean, format: OutputFormat): string {
  const bar = '=============================\n';
  return (
    `Wait seconds: ${waitSeconds}\n` +
    `Skip bad nodes: ${skipBad}\n` +
    `Skip lost partitions: ${skipLost}\n` +
    'Node list:\n' +
    bar +
    nodes.map((n) => addr(n, format) + '\n').join('') +
    bar
  );
}

export function renderRecoverResult(err: string, hint: string): string {
  const bar = '=============================\n';
  return `Recover result: ${err}\n` + (hint ? bar + hint + bar : '');
}

export interface RemoteResult {
  role: string;
  address: string;
  ok: boolean;
  message: string;
}

/** `remote_command` / `server_info`: v2.5.0 writes text to stderr, master a JSON object to stdout. */
export function renderRemoteCommand(command: string, args: string[], results: RemoteResult[], format: OutputFormat): { stdout: string; stderr: string } {
  if (format === 'master') {
    const details: Record<string, unknown> = {};
    for (const r of results) {
      let message: unknown = r.message;
      try {
        message = JSON.parse(r.message);
      } catch {
        /* keep it a string, as the shell does */
      }
      details[toHostPort(r.address)] = { acked: r.ok, message, role: r.role };
    }
    const info = { command: `${command} ${args.join(' ')}`, details, failed_count: results.filter((r) => !r.ok).length, succeed_count: results.filter((r) => r.ok).length };
    return { stdout: nlohmannDump(sortedJson(info)) + '\n', stderr: '' };
  }
  let err = `COMMAND: ${command}${args.map((a) => ' ' + a).join('')}\n\n`;
  for (const r of results) err += `CALL [${r.role}] [${r.address}] ${r.ok ? 'succeed' : 'failed'}: ${r.message}\n`;
  err += `\nSucceed count: ${results.filter((r) => r.ok).length}\n`;
  err += `Failed count: ${results.filter((r) => !r.ok).length}\n`;
  return { stdout: '', stderr: err };
}
