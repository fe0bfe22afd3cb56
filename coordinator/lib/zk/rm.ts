import { setTimeout as sleep } from 'node:timers/promises';
import { isPrecondition, PreconditionError, TimeoutError, UsageError } from '../../../shared/errors';
import { ZK_CODE, zkCodeOf } from '../../../shared/zk/client';
import type { ZkSession } from '../../../shared/zk/client';
import { endpointArg, ZkEndpoint } from '../../../shared/zk/endpoint';
import type { ConnOptions } from './conn';
import { closeLanes, openLanes } from './index-tree';
import { statOf } from './ops';
import { laneOptions } from './tree-read';
import { TreeWalker } from './walker';
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
  /** A missing node is a result (`deleted: 0`) rather than a PreconditionError. @default false */
  ifExists?: boolean;
  /**
   * Leave ephemeral nodes alone and wait for their sessions to end, until this time (epoch ms):
   * a Pegasus meta just stopped keeps its LOCKNODE until its session times out, and the lock's
   * parent cannot be deleted before. The subtree is listed again every 500 ms; past the time,
   * TimeoutError naming the ephemeral nodes. Unset: ephemeral nodes are deleted like the others.
   */
  waitEphemeralUntil?: number;
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
  const ep = endpointArg(o.endpoint);
  refuseProtected(ep.path);
  const limit = o.listLimit ?? 1000;
  const lanes = await openLanes(ep.hosts, 2, { ...o.conn, ...(o.auth ? { auth: o.auth } : {}) });
  let deleted = 0;
  let ephemeral = 0;
  const shown: string[] = [];
  try {
    let raced = 0;
    for (let attempt = 0; ; attempt++) {
      let found: { path: string; depth: number; ephemeral: boolean }[] = [];
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
        // A retry found the subtree already gone, or it was never there and that is fine.
        if ((attempt > 0 || o.ifExists) && isPrecondition(e) && !(await statOf(lanes[0]!, ep.path))) break;
        throw e;
      }
      // Waiting for ephemeral nodes: leave them and their ancestors (which cannot go before them)
      // out of this pass, so that every other node is deleted now, as with single deletes.
      const waiting = o.waitEphemeralUntil !== undefined ? found.filter((f) => f.ephemeral).map((f) => f.path) : [];
      if (waiting.length > 0) {
        const held = new Set(waiting.flatMap((p) => ancestors(p, ep.path)));
        found = found.filter((f) => !f.ephemeral && !held.has(f.path));
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
      } catch (e) {
        // NOT_EMPTY: something created a node inside the subtree meanwhile; list it again.
        if (zkCodeOf(e) === ZK_CODE.NOT_EMPTY && raced++ < 3) continue;
        throw e;
      } finally {
        writer.close();
      }
      if (waiting.length === 0) break;
      if (Date.now() >= o.waitEphemeralUntil!) {
        throw new TimeoutError(`cannot remove ${ep.path} from ${ep.hosts}: ephemeral nodes of live sessions remain (${waiting.slice(0, 3).join(', ')})`, { context: { hosts: ep.hosts } });
      }
      await sleep(500);
    }
  } finally {
    closeLanes(lanes);
  }
  return { path: `${ep.hosts}${ep.path}`, dryRun: o.dryRun ?? false, deleted, ephemeral, paths: shown, ms: Date.now() - t0 };
}

/** `path` and its ancestors up to and including `root`. */
function ancestors(path: string, root: string): string[] {
  const out: string[] = [];
  for (let p = path; p.length >= root.length; p = p.slice(0, Math.max(1, p.lastIndexOf('/')))) {
    out.push(p);
    if (p === root || p === '/') break;
  }
  return out;
}

/** `endpoint`, `auth` and `conn` for removeTree from code that holds a session to the ensemble. */
export function onSession(s: ZkSession, path: string): Pick<RmOptions, 'endpoint' | 'auth' | 'conn'> {
  const { auth, ...conn } = laneOptions(s.opts);
  return { endpoint: { hosts: s.hosts, path }, conn, ...(auth ? { auth } : {}) };
}
