import {
  address,
  columns,
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
import { NodeInfo, NodeList, NodeStatus } from './types';

const DETAIL_COUNTS = ['replica_count', 'primary_count', 'secondary_count'] as const;
const TABLES = ['parameters', 'details', 'summary'] as const;
const SUMMARY = ['total_node_count', 'alive_node_count', 'unalive_node_count'] as const;
const STATUSES: readonly NodeStatus[] = ['ALIVE', 'UNALIVE'];

/**
 * Parse `nodes [-d]` output (docs/pegasus-internals.md §4.5), tabular or `-j`, including the `[parameters]` table
 * that `-s`/`-o` add, ip:port (v2.5.0) or host:port (master) addresses, and right-aligned counts.
 * The summary must agree with the rows, so a truncated `[details]` table is an error.
 */
export function parseListNodes(text: string, command = 'nodes'): NodeList {
  const out = prepare(command, text);
  throwIfFailed(out);
  const format = detectFormat(out);
  let rows: { at?: number; cells: Record<string, string> }[];
  let summary: Map<string, { value: string; at?: number }>;
  let parameters: Map<string, { value: string }> | undefined;
  if (format === 'json') {
    const obj = parseJsonObject(out);
    onlyTables(out, obj, TABLES);
    rows = jsonRows(out, jsonTable(out, obj, 'details', true)!, 'details', ['address', 'status']).map((cells) => ({ cells }));
    summary = new Map([...jsonStrings(out, jsonTable(out, obj, 'summary', true)!, 'summary')].map(([k, v]) => [k, { value: v }]));
    const p = jsonTable(out, obj, 'parameters', false);
    parameters = p && new Map([...jsonStrings(out, p, 'parameters')].map(([k, v]) => [k, { value: v }]));
  } else {
    const found = expectSections(out, sections(out), TABLES, ['details', 'summary']);
    rows = columns(out, found.get('details')!, ['address', 'status']).rows;
    summary = keyValues(out, found.get('summary')!);
    const p = found.get('parameters');
    parameters = p && keyValues(out, p);
  }

  const nodes: NodeInfo[] = rows.map(({ at, cells: c }) => {
    const node: NodeInfo = {
      address: address(out, at, 'address', c.address),
      status: oneOf(out, at, 'status', c.status, STATUSES),
      extra: {},
    };
    const present = DETAIL_COUNTS.filter((k) => c[k] !== undefined);
    if (present.length > 0 && present.length < DETAIL_COUNTS.length) {
      throw unparsable(out, at, `nodes -d columns are incomplete: has ${present.join(', ')}`);
    }
    if (present.length > 0) {
      node.replicaCount = int(out, at, 'replica_count', c.replica_count);
      node.primaryCount = int(out, at, 'primary_count', c.primary_count);
      node.secondaryCount = int(out, at, 'secondary_count', c.secondary_count);
      if (node.replicaCount !== node.primaryCount + node.secondaryCount) {
        throw unparsable(out, at, `replica_count ${node.replicaCount} is not primary_count + secondary_count`);
      }
    }
    for (const [k, v] of Object.entries(c)) {
      if (k !== 'address' && k !== 'status' && !(DETAIL_COUNTS as readonly string[]).includes(k)) node.extra[k] = v;
    }
    return node;
  });

  for (const [k, v] of summary) if (!(SUMMARY as readonly string[]).includes(k)) throw unparsable(out, v.at, `unexpected summary key ${k}`);
  const n = (k: (typeof SUMMARY)[number]): number => {
    const v = summary.get(k);
    if (!v) throw unparsable(out, undefined, `summary has no ${k} (truncated output?)`);
    return int(out, v.at, k, v.value);
  };
  const sum = { totalNodeCount: n('total_node_count'), aliveNodeCount: n('alive_node_count'), unaliveNodeCount: n('unalive_node_count') };
  const alive = nodes.filter((x) => x.status === 'ALIVE').length;
  if (sum.totalNodeCount !== nodes.length || sum.aliveNodeCount !== alive || sum.unaliveNodeCount !== nodes.length - alive) {
    throw unparsable(
      out,
      undefined,
      `the summary (${sum.totalNodeCount} nodes, ${sum.aliveNodeCount} alive) does not match [details] (${nodes.length} rows, ${alive} ALIVE) (truncated output?)`,
    );
  }
  const result: NodeList = { format, nodes, summary: sum };
  if (parameters) result.parameters = Object.fromEntries([...parameters].map(([k, v]) => [k, v.value]));
  return result;
}
