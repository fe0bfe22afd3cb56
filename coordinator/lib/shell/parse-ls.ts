import {
  bool,
  columns,
  dash,
  detectFormat,
  expectSections,
  int,
  jsonRows,
  jsonStrings,
  jsonTable,
  keyValues,
  oneOf,
  onlyTables,
  parseJsonObject,
  prepare,
  sections,
  throwIfFailed,
  unparsable,
} from './output';
import { AppHealth, AppInfo, AppList, AppListSummary, AppStatus } from './types';

const GENERAL = ['app_id', 'status', 'app_name', 'app_type', 'partition_count', 'replica_count', 'is_stateful', 'create_time', 'drop_time', 'drop_expire', 'envs_count'] as const;
const HEALTH = ['app_id', 'app_name', 'partition_count', 'fully_healthy', 'unhealthy', 'write_unhealthy', 'read_unhealthy'] as const;
const DETAILED_SUMMARY = ['fully_healthy_app_count', 'unhealthy_app_count', 'write_unhealthy_app_count', 'read_unhealthy_app_count'] as const;
const STATUSES: readonly AppStatus[] = ['AVAILABLE', 'CREATING', 'DROPPING', 'DROPPED'];
const TABLES = ['general_info', 'healthy_info', 'summary'] as const;

/**
 * Parse `ls [-d] [-a]` output (docs/pegasus-internals.md §4.4; `replication_ddl_client::list_apps`), tabular or
 * `-j`, with or without master's `atomic_idempotent` column. Cross-checks the counts the shell
 * prints so that a truncated table is an error rather than a shorter list: `total_app_count` is
 * the number of AVAILABLE rows, and `[healthy_info]` has one row per AVAILABLE table.
 */
export function parseListApps(text: string, command = 'ls'): AppList {
  const out = prepare(command, text);
  throwIfFailed(out);
  const format = detectFormat(out);
  let generalRows: { at?: number; cells: Record<string, string> }[];
  let healthRows: { at?: number; cells: Record<string, string> }[] | undefined;
  let summary: Map<string, { value: string; at?: number }>;
  if (format === 'json') {
    const obj = parseJsonObject(out);
    onlyTables(out, obj, TABLES);
    generalRows = jsonRows(out, jsonTable(out, obj, 'general_info', true)!, 'general_info', GENERAL).map((cells) => ({ cells }));
    const h = jsonTable(out, obj, 'healthy_info', false);
    healthRows = h && jsonRows(out, h, 'healthy_info', HEALTH).map((cells) => ({ cells }));
    summary = new Map([...jsonStrings(out, jsonTable(out, obj, 'summary', true)!, 'summary')].map(([k, v]) => [k, { value: v }]));
  } else {
    const found = expectSections(out, sections(out), TABLES, ['general_info', 'summary']);
    generalRows = columns(out, found.get('general_info')!, GENERAL).rows;
    const h = found.get('healthy_info');
    healthRows = h && columns(out, h, HEALTH).rows;
    summary = keyValues(out, found.get('summary')!);
  }

  const apps: AppInfo[] = generalRows.map(({ at, cells: c }) => {
    const app: AppInfo = {
      appId: int(out, at, 'app_id', c.app_id),
      status: oneOf(out, at, 'status', c.status, STATUSES),
      appName: c.app_name!,
      appType: c.app_type!,
      partitionCount: int(out, at, 'partition_count', c.partition_count),
      replicaCount: int(out, at, 'replica_count', c.replica_count),
      isStateful: bool(out, at, 'is_stateful', c.is_stateful),
      createTime: dash(c.create_time),
      dropTime: dash(c.drop_time),
      dropExpire: dash(c.drop_expire),
      envsCount: int(out, at, 'envs_count', c.envs_count),
      extra: {},
    };
    for (const [k, v] of Object.entries(c)) {
      if (k === 'atomic_idempotent') app.atomicIdempotent = bool(out, at, k, v);
      else if (!(GENERAL as readonly string[]).includes(k)) app.extra[k] = v;
    }
    return app;
  });

  const health: AppHealth[] | undefined = healthRows?.map(({ at, cells: c }) => ({
    appId: int(out, at, 'app_id', c.app_id),
    appName: c.app_name!,
    partitionCount: int(out, at, 'partition_count', c.partition_count),
    fullyHealthy: int(out, at, 'fully_healthy', c.fully_healthy),
    unhealthy: int(out, at, 'unhealthy', c.unhealthy),
    writeUnhealthy: int(out, at, 'write_unhealthy', c.write_unhealthy),
    readUnhealthy: int(out, at, 'read_unhealthy', c.read_unhealthy),
  }));

  const known = ['total_app_count', ...DETAILED_SUMMARY];
  for (const [k, v] of summary) if (!known.includes(k)) throw unparsable(out, v.at, `unexpected summary key ${k}`);
  const total = summary.get('total_app_count');
  if (!total) throw unparsable(out, undefined, 'summary has no total_app_count (truncated output?)');
  const sum: AppListSummary = { totalAppCount: int(out, total.at, 'total_app_count', total.value) };
  const detailed = DETAILED_SUMMARY.filter((k) => summary.has(k));
  if (detailed.length > 0 || health) {
    for (const k of DETAILED_SUMMARY) if (!summary.has(k)) throw unparsable(out, undefined, `summary has no ${k} (truncated output?)`);
    const n = (k: (typeof DETAILED_SUMMARY)[number]): number => int(out, summary.get(k)!.at, k, summary.get(k)!.value);
    sum.fullyHealthyAppCount = n('fully_healthy_app_count');
    sum.unhealthyAppCount = n('unhealthy_app_count');
    sum.writeUnhealthyAppCount = n('write_unhealthy_app_count');
    sum.readUnhealthyAppCount = n('read_unhealthy_app_count');
  }

  const available = apps.filter((a) => a.status === 'AVAILABLE').length;
  if (available !== sum.totalAppCount) {
    throw unparsable(out, total.at, `total_app_count is ${sum.totalAppCount} but [general_info] lists ${available} AVAILABLE tables (truncated output?)`);
  }
  if (health && health.length !== available) {
    throw unparsable(out, undefined, `[healthy_info] has ${health.length} rows for ${available} AVAILABLE tables (truncated output?)`);
  }
  if (!health && sum.fullyHealthyAppCount !== undefined && available > 0) {
    throw unparsable(out, undefined, 'the summary has health counts but there is no [healthy_info] table (truncated output?)');
  }
  return { format, apps, ...(health ? { health } : {}), summary: sum };
}
