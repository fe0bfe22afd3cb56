import type { ZkConn } from './conn';
import type { CopyProgress, VerifyResult } from './copy-types';
import type { Excludes } from './excludes';
import { indexTree } from './index-tree';
import { compareIndexes, TreeIndex, treeDigest } from './tree-index';

export interface VerifyOptions {
  /** The source as the copy read it. */
  sourceIndex: TreeIndex;
  sourceRoot: string;
  targetRoot: string;
  /** Target read sessions. */
  targetLanes: ZkConn[];
  /** Source read sessions, for `full`. */
  sourceLanes?: ZkConn[];
  mode: 'target' | 'full';
  /** Excluded subtrees (relative), with `/zookeeper` added per side. */
  sourceExcludes: Excludes;
  targetExcludes: Excludes;
  /** Target-only nodes are not a failure (`--on-exists overwrite` keeps them). */
  extraAllowed: boolean;
  window?: number;
  limit: number;
  signal?: AbortSignal;
  onProgress?: (p: CopyProgress) => void;
}

/**
 * Re-read the target (and, in `full` mode, the source, concurrently) and compare every node's
 * path, data hash and ACL. Reading the target is the part that proves the copy; the hashes kept
 * from the copy's own source read stand in for the source unless `full` asks to read it again.
 */
export async function verifyCopy(o: VerifyOptions): Promise<VerifyResult> {
  const t0 = Date.now();
  const total = [...o.sourceIndex.values()].filter((e) => !e.ephemeral).length;
  let targetNodes = 0;
  let sourceNodes = 0;
  const report = (): void =>
    o.onProgress?.({ phase: 'verify', nodes: targetNodes + sourceNodes, bytes: 0, total: o.mode === 'full' ? 2 * total : total, elapsedMs: Date.now() - t0 });
  const common = { ...(o.window !== undefined ? { window: o.window } : {}), ...(o.signal ? { signal: o.signal } : {}) };
  const [target, source] = await Promise.all([
    indexTree(o.targetLanes, o.targetRoot, { ...common, excludes: o.targetExcludes, onNode: (n) => ((targetNodes = n), n % 1000 === 0 && report()) }),
    o.mode === 'full' && o.sourceLanes
      ? indexTree(o.sourceLanes, o.sourceRoot, { ...common, excludes: o.sourceExcludes, onNode: (n) => ((sourceNodes = n), n % 1000 === 0 && report()) })
      : Promise.resolve(undefined),
  ]);
  report();
  const reference = source?.index ?? o.sourceIndex;
  const cmp = compareIndexes(reference, target.index, { limit: o.limit });
  const sourceDigest = treeDigest(reference);
  const result: VerifyResult = {
    mode: o.mode,
    ok: cmp.count.removed === 0 && cmp.count.changed === 0 && (o.extraAllowed || cmp.count.added === 0),
    nodes: [...reference.values()].filter((e) => !e.ephemeral).length,
    count: { missing: cmp.count.removed, changed: cmp.count.changed, extra: cmp.count.added },
    differences: cmp.differences,
    sourceDigest,
    targetDigest: treeDigest(target.index),
    ms: Date.now() - t0,
  };
  if (source) result.sourceChanged = sourceDigest !== treeDigest(o.sourceIndex);
  return result;
}
