import * as crypto from 'node:crypto';
import { AppError } from '../../../shared/errors';
import { ZK_CODE, ZkSession, readLong, zk, zkCodeOf } from '../../../shared/zk/client';
import { closeLanes, openLanes } from '../zk/index-tree';
import { IndexEntry, relPath, TreeIndex, treeDigest } from '../zk/tree-index';
import { walkTree } from '../zk/walker';
import { statOf } from '../zk/ops';

/**
 * The ZooKeeper reads of a migration on one `cluster_root` (the copy itself is the copy engine's,
 * coordinator/lib/zk): read a subtree (pipelined, bounded window), fingerprint it, remove it. Ephemeral nodes are never
 * copied (Pegasus's `LOCKNODE`s are EPHEMERAL_SEQUENTIAL: copied as persistent nodes they would
 * stop every meta from becoming leader, docs/pegasus-internals.md §2.5) and never part of a fingerprint, because
 * they come and go with meta sessions while the metadata itself stays put.
 *
 * The fingerprint is what "the source did not change during the copy" is judged by: a digest of
 * every persistent node's relative path, data and ACL, plus the highest mzxid among them. A DDL
 * or duplication write at `blind` (docs/pegasus-internals.md §6) creates or sets a node, which moves both.
 */

export interface TreeNode {
  /** Path relative to the root ('' for the root itself). */
  rel: string;
  data: Buffer;
  acl: zk.ACL[];
}

export interface TreeFingerprint {
  root: string;
  /** Persistent nodes. */
  nodes: number;
  bytes: number;
  /** The copy engine's treeDigest of every persistent node (relative path, data hash, ACL). */
  digest: string;
  /** Highest mzxid among persistent nodes, as a decimal string ('0' for an absent root). */
  maxMzxid: string;
  /** Ephemeral nodes seen (relative paths), e.g. the metas' LOCKNODEs. */
  ephemeral: string[];
  /** False when the root does not exist. */
  exists: boolean;
}

export interface TreeRead extends TreeFingerprint {
  /** Parents before children; only when read with `keepData`. */
  list: TreeNode[];
}

/** Requests in flight while reading (node-zookeeper-client collapses with unbounded pipelining). @default 128 */
export const READ_WINDOW = 128;

function aclText(acl: zk.ACL[]): string {
  return acl
    .map((a) => `${a.id.scheme}:${a.id.id}:${a.perms}`)
    .sort()
    .join(',');
}

function join(root: string, rel: string): string {
  return rel === '' ? root : root === '/' ? rel : `${root}${rel}`;
}

const isNoNode = (e: unknown): boolean => zkCodeOf((e as { cause?: unknown }).cause) === ZK_CODE.NO_NODE;

/** Read the subtree under `root`. Nodes deleted while reading are skipped (the fingerprint then tells). */
export async function readTree(s: ZkSession, root: string, o: { keepData?: boolean; onProgress?: (nodes: number) => void } = {}): Promise<TreeRead> {
  const hashes: string[] = [];
  const list: TreeNode[] = [];
  const ephemeral: string[] = [];
  let bytes = 0;
  let maxMzxid = 0n;
  let exists = true;
  const queue: string[] = [''];
  let active = 0;
  let failure: unknown;
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      if (failure !== undefined) {
        if (active === 0) resolve();
        return;
      }
      while (active < READ_WINDOW && queue.length > 0) {
        const rel = queue.shift()!;
        active++;
        void visit(rel).then(
          () => {
            active--;
            pump();
          },
          (e: unknown) => {
            active--;
            failure ??= e;
            pump();
          },
        );
      }
      if (active === 0 && queue.length === 0) resolve();
    };
    const visit = async (rel: string): Promise<void> => {
      const p = join(root, rel);
      let got: { data: Buffer; stat: zk.Stat };
      let acl: zk.ACL[];
      try {
        [got, acl] = await Promise.all([s.getData(p), s.getACL(p)]);
      } catch (e) {
        if (!isNoNode(e)) throw e;
        if (rel === '') exists = false;
        return;
      }
      if (root === '/' && rel === '/zookeeper') return; // ZooKeeper's own subtree
      if (readLong(got.stat.ephemeralOwner) !== 0n) {
        ephemeral.push(rel);
        return;
      }
      bytes += got.data.length;
      const mz = readLong(got.stat.mzxid);
      if (mz > maxMzxid) maxMzxid = mz;
      const dh = crypto.createHash('sha256').update(got.data).digest('hex');
      hashes.push(`${rel}\0${dh}\0${aclText(acl)}`);
      if (o.keepData) list.push({ rel, data: got.data, acl });
      if (hashes.length % 1000 === 0) o.onProgress?.(hashes.length);
      if (got.stat.numChildren > 0) {
        let children: string[];
        try {
          children = await s.getChildren(p);
        } catch (e) {
          if (isNoNode(e)) return;
          throw e;
        }
        for (const c of children.sort()) queue.push(`${rel}/${c}`);
      }
    };
    pump();
  });
  if (failure !== undefined) throw failure;
  hashes.sort();
  const digest = crypto.createHash('sha256').update(hashes.join('\n')).digest('hex');
  // Parents before children: sorting by depth keeps every parent ahead of its subtree.
  list.sort((a, b) => depth(a.rel) - depth(b.rel) || (a.rel < b.rel ? -1 : 1));
  return { root, nodes: hashes.length, bytes, digest, maxMzxid: maxMzxid.toString(), ephemeral: ephemeral.sort(), exists, list };
}

function depth(rel: string): number {
  let n = 0;
  for (const ch of rel) if (ch === '/') n++;
  return n;
}

/**
 * Fingerprint only, read with the copy engine's pipelined walker over several sessions (data hashed
 * and dropped): it runs inside the write-freeze window, twice, so it must be as fast as the copy's
 * own read. The digest is the engine's treeDigest, so it can be compared with what `zkmig zk copy`
 * and `zkmig zk diff` print.
 */
export async function fingerprint(hosts: string, root: string): Promise<TreeFingerprint> {
  const lanes = await openLanes(hosts, 3, { sessionTimeoutMs: 10000, connectTimeoutMs: 10000 });
  try {
    const index: TreeIndex = new Map();
    const ephemeral: string[] = [];
    let bytes = 0;
    let maxMzxid = 0n;
    if (!(await statOf(lanes[0]!, root))) return { root, nodes: 0, bytes: 0, digest: treeDigest(index), maxMzxid: '0', ephemeral: [], exists: false };
    let exists = true;
    try {
      await walkTree(root, {
        lanes,
        skip: (p) => root === '/' && p === '/zookeeper',
        onRecord: (r) => {
          const rel = relPath(root, r.path);
          if (r.ephemeralOwner !== 0n) {
            ephemeral.push(rel === '' ? '' : `/${rel}`);
            return;
          }
          index.set(rel, new IndexEntry(r.hash, r.acl, r.dataLength));
          bytes += r.dataLength;
          if (r.mzxid > maxMzxid) maxMzxid = r.mzxid;
        },
      });
    } catch (e) {
      // Deleted between the stat and the walk.
      if (await statOf(lanes[0]!, root)) throw e;
      exists = false;
    }
    return { root, nodes: index.size, bytes, digest: treeDigest(index), maxMzxid: maxMzxid.toString(), ephemeral: ephemeral.sort(), exists };
  } finally {
    closeLanes(lanes);
  }
}

/** True when `root` is absent, or present with empty data and no children (what a migration may write into). */
export async function isEmptyRoot(s: ZkSession, root: string): Promise<{ empty: boolean; exists: boolean; children: number; dataBytes: number }> {
  try {
    const { data, stat } = await s.getData(root);
    return { empty: stat.numChildren === 0 && data.length === 0, exists: true, children: stat.numChildren, dataBytes: data.length };
  } catch (e) {
    if (isNoNode(e)) return { empty: true, exists: false, children: 0, dataBytes: 0 };
    throw e;
  }
}

/**
 * Delete `root` and everything under it, children first. Ephemeral nodes of sessions that are
 * still open (a meta just stopped keeps its LOCKNODE until its session times out) make a parent
 * NOT_EMPTY: that is retried until `deadlineMs`.
 */
export async function removeTree(s: ZkSession, root: string, deadlineMs: number): Promise<{ deleted: number }> {
  let deleted = 0;
  for (;;) {
    const t = await readTree(s, root, { keepData: true });
    if (!t.exists) return { deleted };
    const order = [...t.list].reverse();
    let blocked = false;
    for (const n of order) {
      try {
        await s.remove(join(root, n.rel));
        deleted++;
      } catch (e) {
        const code = zkCodeOf((e as { cause?: unknown }).cause);
        if (code === ZK_CODE.NO_NODE) continue;
        if (code === ZK_CODE.NOT_EMPTY) {
          blocked = true;
          continue;
        }
        throw e;
      }
    }
    if (!blocked) return { deleted };
    if (Date.now() > deadlineMs) throw new AppError('TIMEOUT', `cannot remove ${root} from ${s.hosts}: ephemeral nodes of live sessions remain (${t.ephemeral.slice(0, 3).join(', ')})`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
