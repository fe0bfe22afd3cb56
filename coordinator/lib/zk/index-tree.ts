import { ConnOptions, probeMultiRead, ZkConn } from './conn';
import type { Excludes } from './excludes';
import { IndexEntry, relPath, TreeIndex } from './tree-index';
import { TreeWalker, WalkRecord, WalkStats } from './walker';

/**
 * Open `n` sessions to `hosts` (one per read lane); closes what was opened if one fails. The lanes
 * batch getData into multiRead requests when the ensemble supports them (ZooKeeper 3.6+), unless
 * $ZKMIG_NO_MULTIREAD is set.
 */
export async function openLanes(hosts: string, n: number, opts: ConnOptions): Promise<ZkConn[]> {
  const results = await Promise.allSettled(Array.from({ length: Math.max(1, n) }, () => ZkConn.open(hosts, opts)));
  const ok = results.filter((r): r is PromiseFulfilledResult<ZkConn> => r.status === 'fulfilled').map((r) => r.value);
  const bad = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (bad) {
    closeLanes(ok);
    throw bad.reason;
  }
  const multiRead = !process.env.ZKMIG_NO_MULTIREAD && (await probeMultiRead(hosts, opts));
  for (const c of ok) c.multiRead = multiRead;
  return ok;
}

/** sync every lane on `path` (they may be connected to different, possibly lagging, members). */
export async function syncLanes(conns: readonly ZkConn[], path: string): Promise<void> {
  await Promise.all(conns.map((c) => c.sync(path)));
}

export function closeLanes(conns: readonly ZkConn[]): void {
  for (const c of conns) c.close();
}

export interface IndexResult {
  index: TreeIndex;
  stats: WalkStats;
  /** Absolute paths of ephemeral nodes seen (also in `index`, flagged). */
  ephemeral: string[];
  /** Absolute paths of excluded subtrees that were met. */
  excluded: string[];
}

/**
 * Read a whole subtree into an index (data hashes and ACLs, no data kept): the target scan before
 * an overwrite, both sides of a diff, the verify pass.
 */
export async function indexTree(
  lanes: ZkConn[],
  root: string,
  opts: {
    excludes: Excludes;
    window?: number;
    signal?: AbortSignal;
    onNode?: (n: number, pending: number) => void;
    /** Every record as read (with its data when `keepData`), for callers that need more than the index. */
    onRecord?: (r: WalkRecord) => void;
    /** @default false */
    keepData?: boolean;
    /** See WalkOptions.acceptChanging. @default false */
    acceptChanging?: boolean;
  },
): Promise<IndexResult> {
  const index: TreeIndex = new Map();
  const ephemeral: string[] = [];
  const excluded: string[] = [];
  await syncLanes(lanes, root);
  let walker: TreeWalker | undefined = undefined;
  walker = new TreeWalker({
    lanes,
    ...(opts.window !== undefined ? { window: opts.window } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.keepData ? { keepData: true } : {}),
    ...(opts.acceptChanging ? { acceptChanging: true } : {}),
    skip: (p) => {
      if (!opts.excludes.hasExact(relPath(root, p))) return false;
      excluded.push(p);
      return true;
    },
    onRecord: (r) => {
      const eph = r.ephemeralOwner !== 0n;
      if (eph) ephemeral.push(r.path);
      index.set(relPath(root, r.path), new IndexEntry(r.hash, r.acl, r.dataLength, eph));
      opts.onRecord?.(r);
      opts.onNode?.(index.size, walker?.pending ?? 0);
    },
  });
  const stats = await walker.run(root);
  return { index, stats, ephemeral, excluded };
}
