import { address, decimal, detectFormat, expectSections, jsonStrings, jsonTable, keyValues, oneOf, onlyTables, Output, parseJsonObject, prepare, sections, throwIfFailed, unparsable } from './output';
import { BalanceOperationCount, ClusterInfo, META_LEVELS } from './types';

const KEYS = [
  'meta_servers',
  'primary_meta_server',
  'zookeeper_hosts',
  'zookeeper_root',
  'meta_function_level',
  'balance_operation_count',
  'primary_replica_count_stddev',
  'total_replica_count_stddev',
] as const;

/**
 * Parse `cluster_info` output (docs/pegasus-internals.md §4.3), tabular or `-j`, v2.5.0 or master. Throws a
 * ShellCommandError for `get cluster info failed, error=ERR_...`, and an InvalidInputError for
 * anything it does not understand or a key that is missing.
 */
export function parseClusterInfo(text: string, command = 'cluster_info'): ClusterInfo {
  const out = prepare(command, text);
  throwIfFailed(out);
  const format = detectFormat(out);
  let kv: Map<string, { value: string; at?: number }>;
  if (format === 'json') {
    const obj = parseJsonObject(out);
    onlyTables(out, obj, ['cluster_info']);
    kv = new Map([...jsonStrings(out, jsonTable(out, obj, 'cluster_info', true)!, 'cluster_info')].map(([k, v]) => [k, { value: v }]));
  } else {
    const found = expectSections(out, sections(out), ['cluster_info'], ['cluster_info']);
    kv = keyValues(out, found.get('cluster_info')!);
  }
  const get = (k: string): { value: string; at?: number } => {
    const v = kv.get(k);
    if (!v) throw unparsable(out, undefined, `key ${k} is missing (truncated output?)`);
    return v;
  };
  const val = (k: string): string => get(k).value;
  const metaServers = val('meta_servers')
    .split(',')
    .map((s) => address(out, get('meta_servers').at, 'meta_servers entry', s.trim()));
  const extra: Record<string, string> = {};
  for (const [k, v] of kv) if (!(KEYS as readonly string[]).includes(k) && k !== 'cluster_name') extra[k] = v.value;
  const level = get('meta_function_level');
  const info: ClusterInfo = {
    format,
    metaServers,
    primaryMetaServer: address(out, get('primary_meta_server').at, 'primary_meta_server', val('primary_meta_server')),
    zookeeperHosts: val('zookeeper_hosts'),
    zookeeperRoot: val('zookeeper_root'),
    metaFunctionLevel: oneOf(out, level.at, 'meta_function_level', level.value.replace(/^fl_/, ''), META_LEVELS),
    balanceOperationCount: parseBalanceOperationCount(out, get('balance_operation_count')),
    primaryReplicaCountStddev: decimal(out, get('primary_replica_count_stddev').at, 'primary_replica_count_stddev', val('primary_replica_count_stddev')),
    totalReplicaCountStddev: decimal(out, get('total_replica_count_stddev').at, 'total_replica_count_stddev', val('total_replica_count_stddev')),
    extra,
  };
  const name = kv.get('cluster_name');
  if (name !== undefined) info.clusterName = name.value;
  return info;
}

/**
 * ≤ v2.5.0: `move_pri=0,copy_pri=0,copy_sec=0,total=0`; master: a JSON object (multi-line in the
 * tabular output, a string holding JSON with `-j`). Every counter must be there.
 */
function parseBalanceOperationCount(out: Output, v: { value: string; at?: number }): BalanceOperationCount {
  const counts: Record<string, unknown> = {};
  const text = v.value.trim();
  if (text.startsWith('{')) {
    try {
      Object.assign(counts, JSON.parse(text));
    } catch (e) {
      throw unparsable(out, v.at, `balance_operation_count is not valid JSON: ${(e as Error).message}`);
    }
  } else {
    for (const part of text.split(',')) {
      const m = /^([a-z_]+)=(-?\d+)$/.exec(part.trim());
      if (!m) throw unparsable(out, v.at, `balance_operation_count part ${JSON.stringify(part)} is not name=count`);
      counts[m[1]!] = Number(m[2]);
    }
  }
  const n = (k: string): number => {
    const c = counts[k];
    if (typeof c !== 'number' || !Number.isInteger(c)) throw unparsable(out, v.at, `balance_operation_count has no integer ${k}`);
    return c;
  };
  return { movePri: n('move_pri'), copyPri: n('copy_pri'), copySec: n('copy_sec'), total: n('total') };
}
