import { endpointArg, parentPath, ZkEndpoint } from '../../../shared/zk/endpoint';
import type { ConnOptions } from './conn';
import { Excludes } from './excludes';
import { closeLanes, openLanes } from './index-tree';
import { TreeWalker } from './walker';

export interface LsOptions {
  endpoint: string | ZkEndpoint;
  auth?: string;
  /** The whole subtree with node counts and sizes; otherwise the node and its children. @default false */
  recursive?: boolean;
  conn?: Omit<ConnOptions, 'auth'>;
  /** @default 3 */
  readSessions?: number;
  signal?: AbortSignal;
}

export interface LsNode {
  path: string;
  name: string;
  dataLength: number;
  numChildren: number;
  ephemeral: boolean;
  /** Nodes in the subtree, this one included (recursive listings; otherwise 1 + numChildren is not known deeper). */
  subtreeNodes: number;
  /** Data bytes in the subtree. */
  subtreeBytes: number;
  children: LsNode[];
}

export interface LsResult {
  root: LsNode;
  recursive: boolean;
  ms: number;
}

/**
 * List a node and its children, or (recursive) its whole subtree with per-node sizes and subtree
 * totals. One getChildren per node (its Stat carries the sizes). Under `/`, ZooKeeper's own
 * `/zookeeper` is left out.
 */
export async function listTree(o: LsOptions): Promise<LsResult> {
  const t0 = Date.now();
  const ep = endpointArg(o.endpoint);
  const recursive = o.recursive ?? false;
  const excl = Excludes.none().forRoot(ep.path);
  const depthOf = (p: string): number => (p === ep.path ? 0 : (ep.path === '/' ? p : p.slice(ep.path.length)).split('/').length - 1);
  const lanes = await openLanes(ep.hosts, o.readSessions ?? 3, { ...o.conn, ...(o.auth ? { auth: o.auth } : {}) });
  const nodes = new Map<string, LsNode>();
  try {
    await new TreeWalker({
      lanes,
      readData: false,
      readAcl: false,
      ...(o.signal ? { signal: o.signal } : {}),
      skip: (p) => (!recursive && depthOf(p) > 1) || (ep.path === '/' && excl.hasExact(p.slice(1))),
      onRecord: (r) => {
        const name = r.path === '/' ? '/' : r.path.slice(r.path.lastIndexOf('/') + 1);
        nodes.set(r.path, { path: r.path, name, dataLength: r.dataLength, numChildren: r.numChildren, ephemeral: r.ephemeralOwner !== 0n, subtreeNodes: 1, subtreeBytes: r.dataLength, children: [] });
      },
    }).run(ep.path);
  } finally {
    closeLanes(lanes);
  }
  // Link children to parents, deepest first so subtree totals add up bottom-up.
  const all = [...nodes.values()].map((n) => ({ n, d: depthOf(n.path) }));
  all.sort((x, y) => y.d - x.d);
  for (const { n } of all) {
    if (n.path === ep.path) continue;
    const parent = nodes.get(parentPath(n.path));
    if (!parent) continue;
    parent.children.push(n);
    parent.subtreeNodes += n.subtreeNodes;
    parent.subtreeBytes += n.subtreeBytes;
  }
  for (const n of nodes.values()) n.children.sort((x, y) => naturalCompare(x.name, y.name));
  return { root: nodes.get(ep.path)!, recursive, ms: Date.now() - t0 };
}

/** Numbers in names compare as numbers, so partitions list 0, 1, 2, ... 10 rather than 0, 1, 10. */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** Human sizes: 0 B, 512 B, 1.5 KiB, 18.8 MiB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/**
 * The listing as a tree:
 * ```
 * /pegasus/c1  0 B  [100,255 nodes, 18.8 MiB]
 * ├── apps  6 B  [100,251 nodes, 18.8 MiB]
 * │   ├── 1  301 B  [401 nodes, 75.6 KiB]
 * ```
 * Subtree totals are shown for nodes with children in recursive listings; `maxDepth` stops the
 * drawing (not the counting) below that depth.
 */
export function renderTree(r: LsResult, maxDepth = Infinity): string {
  const lines: string[] = [];
  const label = (n: LsNode, isRoot: boolean): string => {
    const parts = [isRoot ? n.path : n.name, formatBytes(n.dataLength)];
    if (n.ephemeral) parts.push('ephemeral');
    if (r.recursive && n.subtreeNodes > 1) parts.push(`[${fmt(n.subtreeNodes)} nodes, ${formatBytes(n.subtreeBytes)}]`);
    else if (!r.recursive && n.numChildren > 0) parts.push(`[${fmt(n.numChildren)} children]`);
    return parts.join('  ');
  };
  lines.push(label(r.root, true));
  const walk = (n: LsNode, prefix: string, depth: number): void => {
    if (depth >= maxDepth) {
      if (n.children.length > 0) lines.push(`${prefix}└── ... ${fmt(n.children.length)} children not shown (--depth)`);
      return;
    }
    n.children.forEach((c, i) => {
      const last = i === n.children.length - 1;
      lines.push(`${prefix}${last ? '└── ' : '├── '}${label(c, false)}`);
      walk(c, prefix + (last ? '    ' : '│   '), depth + 1);
    });
  };
  walk(r.root, '', 0);
  return lines.join('\n') + '\n';
}
