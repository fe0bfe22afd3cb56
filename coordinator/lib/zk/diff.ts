import { endpointArg, ZkEndpoint } from '../../../shared/zk/endpoint';
import type { ConnOptions } from './conn';
import { Excludes, refuseSystemTree } from './excludes';
import { closeLanes, indexTree, openLanes } from './index-tree';
import { compareIndexes, TreeDifference, treeDigest } from './tree-index';

export interface DiffOptions {
  /** First tree, `host:port[,...]/path`. */
  a: string | ZkEndpoint;
  /** Second tree; may be on another ensemble and under another path. */
  b: string | ZkEndpoint;
  authA?: string;
  authB?: string;
  /** Subtrees to ignore, absolute under A's path or relative to both roots. `/zookeeper` always is. */
  excludes?: readonly string[];
  conn?: Omit<ConnOptions, 'auth'>;
  /** Read sessions per side. @default 3 */
  readSessions?: number;
  /** Requests in flight per session. @default 100 */
  window?: number;
  /** Differences listed (counts stay exact). @default 1000 */
  limit?: number;
  signal?: AbortSignal;
  onProgress?: (nodes: number) => void;
}

export interface DiffResult {
  a: string;
  b: string;
  equal: boolean;
  /** Persistent nodes compared on each side. */
  nodes: { a: number; b: number };
  /** Ephemeral nodes ignored on each side (they are session state, never copied). */
  ephemeral: { a: number; b: number };
  count: { added: number; removed: number; changed: number };
  /** Sorted by path, capped at `limit`. Print with formatDifference(d, rootA, rootB). */
  differences: TreeDifference[];
  digestA: string;
  digestB: string;
  ms: number;
}

const ep = endpointArg;

/** Read one subtree and return its digest and node counts (what `copy` prints as the digest). */
export async function digestTree(o: { endpoint: string | ZkEndpoint; auth?: string; excludes?: readonly string[]; conn?: Omit<ConnOptions, 'auth'>; readSessions?: number; signal?: AbortSignal }): Promise<{
  endpoint: string;
  digest: string;
  nodes: number;
  ephemeral: number;
}> {
  const e = ep(o.endpoint, 'tree');
  refuseSystemTree(e.path, 'tree');
  const lanes = await openLanes(e.hosts, o.readSessions ?? 3, { ...o.conn, ...(o.auth ? { auth: o.auth } : {}) });
  try {
    const r = await indexTree(lanes, e.path, { excludes: Excludes.parse(e.path, o.excludes ?? []).forRoot(e.path), ...(o.signal ? { signal: o.signal } : {}) });
    return { endpoint: `${e.hosts}${e.path}`, digest: treeDigest(r.index), nodes: r.index.size - r.ephemeral.length, ephemeral: r.ephemeral.length };
  } finally {
    closeLanes(lanes);
  }
}

/**
 * Compare two subtrees node by node (path, data hash, ACL), reading both sides at once. Works across
 * ensembles. Ephemeral nodes are left out on both sides, so a tree compared with its copy is equal
 * even though the copy skipped the source's leader-lock nodes.
 */
export async function diffTrees(o: DiffOptions): Promise<DiffResult> {
  const t0 = Date.now();
  const a = ep(o.a, 'first tree');
  const b = ep(o.b, 'second tree');
  refuseSystemTree(a.path, 'first tree');
  refuseSystemTree(b.path, 'second tree');
  const ex = Excludes.parse(a.path, o.excludes ?? []);
  const n = o.readSessions ?? 3;
  const lanesA = await openLanes(a.hosts, n, { ...o.conn, ...(o.authA ? { auth: o.authA } : {}) });
  try {
    const lanesB = await openLanes(b.hosts, n, { ...o.conn, ...(o.authB ? { auth: o.authB } : {}) });
    try {
      let na = 0;
      let nb = 0;
      const common = { ...(o.window !== undefined ? { window: o.window } : {}), ...(o.signal ? { signal: o.signal } : {}) };
      const [ia, ib] = await Promise.all([
        indexTree(lanesA, a.path, { ...common, excludes: ex.forRoot(a.path), onNode: (x) => ((na = x), o.onProgress?.(na + nb)) }),
        indexTree(lanesB, b.path, { ...common, excludes: ex.forRoot(b.path), onNode: (x) => ((nb = x), o.onProgress?.(na + nb)) }),
      ]);
      const cmp = compareIndexes(ia.index, ib.index, { limit: o.limit ?? 1000 });
      return {
        a: `${a.hosts}${a.path}`,
        b: `${b.hosts}${b.path}`,
        equal: cmp.count.added + cmp.count.removed + cmp.count.changed === 0,
        nodes: { a: ia.index.size - ia.ephemeral.length, b: ib.index.size - ib.ephemeral.length },
        ephemeral: { a: ia.ephemeral.length, b: ib.ephemeral.length },
        count: cmp.count,
        differences: cmp.differences,
        digestA: treeDigest(ia.index),
        digestB: treeDigest(ib.index),
        ms: Date.now() - t0,
      };
    } finally {
      closeLanes(lanesB);
    }
  } finally {
    closeLanes(lanesA);
  }
}
