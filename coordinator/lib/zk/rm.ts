import { isPrecondition, PreconditionError, UsageError, ZkError } from '../../../shared/errors';
import { ZK_CODE } from '../../../shared/zk/client';
import { parseEndpoint, ZkEndpoint } from '../../../shared/zk/endpoint';
import type { ConnOptions } from './conn';
import { closeLanes, openLanes } from './index-tree';
import { TreeWalker } from './walker';
import { codeOf } from './wire';
import { BatchWriter } from './writer';

export interface RmOptions {
  endpoint: string | ZkEndpoint;
  auth?: string;
  /** Delete the whole subtree; otherwise a node with children is refused. @default false */
  recursive?: boolean;
  /** List what would be deleted; delete nothing. @default false */
  dryRun?: boolean;
  conn?: Omit<ConnOptions, 'auth'>;
  /** Paths kept in the result (the count stays exact). @default 1000 */
  listLimit?: number;
  signal?: AbortSignal;
  onProgress?: (deleted: number, total: number) => void;
}

export interface RmResult {
  path: string;
  dryRun: boolean;
  /** Nodes deleted (or, in a dry run, that would be). */
  deleted: number;
  /** Of those, ephemeral nodes (deleting one ends its owner's claim, e.g. a Pegasus leader lock). */
  ephemeral: number;
  /** The first paths, deepest first. */
  paths: string[];
  ms: number;
}

/** Paths rm never touches: the root and ZooKeeper's own tree. */
export function refuseProtected(path: string): void {
  if (path === '/') throw new UsageError('refusing to delete / (the whole ensemble); name a subtree');
  if (path === '/zookeeper' || path.startsWith('/zookeeper/')) throw new UsageError(`refusing to delete ${path}: /zookeeper is ZooKeeper's own tree`);
}

/**
 * Delete a node, or a whole subtree deepest first in byte-bounded multis (one round trip per batch
 * rather than per node, unlike `removeRecursive`). If something creates a node inside the subtree
 * meanwhile, the delete of its parent fails with NOT_EMPTY; the subtree is listed again and the
 * delete resumes, a few times at most.
 */
export async function removeTree(o: RmOptions): Promise<RmResult> {
  const t0 = Date.now();
  let ep: ZkEndpoint;
  try {
    ep = typeof o.endpoint === 'string' ? parseEndpoint(o.endpoint) : o.endpoint;
  } catch (err) {
    throw new UsageError((err as Error).message, { cause: err });
  }
  refuseProtected(ep.path);
  const limit = o.listLimit ?? 1000;
  const lanes = await openLanes(ep.hosts, 2, { ...o.conn, ...(o.auth ? { auth: o.auth } : {}) });
  let deleted = 0;
  let ephemeral = 0;
  const shown: string[] = [];
  try {
    for (let attempt = 0; ; attempt++) {
      const found: { path: string; depth: number; ephemeral: boolean }[] = [];
      const walk = new TreeWalker({
        lanes,
        readData: false,
        readAcl: false,
        ...(o.signal ? { signal: o.signal } : {}),
        onRecord: (r) => found.push({ path: r.path, depth: r.path.split('/').length, ephemeral: r.ephemeralOwner !== 0n }),
      }).run(ep.path);
      try {
        await walk;
      } catch (e) {
        if (attempt > 0 && isPrecondition(e)) break; // a retry found the subtree already gone
        throw e;
      }
      if (!(o.recursive ?? false) && found.length > 1) {
        throw new PreconditionError(`${ep.path} has ${found.length - 1} descendant node(s); use -r to delete the subtree`);
      }
      found.sort((a, b) => b.depth - a.depth);
      if (attempt === 0) {
        for (const f of found.slice(0, limit)) shown.push(f.path);
        ephemeral = found.filter((f) => f.ephemeral).length;
      }
      if (o.dryRun) {
        deleted = found.length;
        break;
      }
      const writer = new BatchWriter(lanes[0]!, { onApplied: (ops) => ((deleted += ops.length), o.onProgress?.(deleted, found.length)) });
      try {
        for (const f of found) writer.push({ kind: 'delete', path: f.path });
        await writer.flush();
        break;
      } catch (e) {
        // NOT_EMPTY: something created a node inside the subtree meanwhile; list it again.
        if ((e instanceof ZkError ? e.zkCode : codeOf(e)) === ZK_CODE.NOT_EMPTY && attempt < 3) continue;
        throw e;
      } finally {
        writer.close();
      }
    }
  } finally {
    closeLanes(lanes);
  }
  return { path: `${ep.hosts}${ep.path}`, dryRun: o.dryRun ?? false, deleted, ephemeral, paths: shown, ms: Date.now() - t0 };
}
