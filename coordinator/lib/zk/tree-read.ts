import { ZkError } from '../../../shared/errors';
import { ZK_CODE } from '../../../shared/zk/client';
import type { ConnectOptions, ZkSession } from '../../../shared/zk/client';
import type { ConnOptions } from './conn';
import { Excludes } from './excludes';
import { closeLanes, openLanes, syncLanes } from './index-tree';
import { statOf } from './ops';
import { IndexEntry, relPath, TreeIndex, treeDigest } from './tree-index';
import { TreeWalker } from './walker';
import type { RawAcl } from './wire';

/**
 * A whole subtree read in one go, for the migration's checks: read it (with data when asked),
 * fingerprint it, test whether a root is empty. Every read is the copy engine's pipelined walker
 * (`TreeWalker`, over lanes of its own, synced first) indexed as `indexTree` indexes it, so there is
 * one tree reader and one digest (`treeDigest`, the one `zkmig zk copy` and `zkmig zk diff` print;
 * ephemeral nodes are flagged in the index and left out of it). The preflight's lean read skips the
 * index, the hashes and the ACLs (ReadTreeOptions).
 *
 * Ephemeral nodes are never part of a fingerprint or a node list: Pegasus's `LOCKNODE`s are
 * EPHEMERAL_SEQUENTIAL and come and go with meta sessions while the metadata stays put
 * (docs/pegasus-internals.md §2.5); they are listed by path in `ephemeral`.
 *
 * The fingerprint is what "the source did not change during the copy" is judged by: the digest of
 * every persistent node's relative path, data and ACL, plus the highest mzxid among them. A DDL
 * or duplication write at `blind` (docs/pegasus-internals.md §6) creates or sets a node, which
 * moves both.
 */

export interface TreeNode {
  /** Path relative to the root: '' for the root itself, '/a/b' below it. */
  rel: string;
  data: Buffer;
  acl: RawAcl[];
}

export interface TreeFingerprint {
  root: string;
  /** Persistent nodes. */
  nodes: number;
  bytes: number;
  /** `treeDigest` of every persistent node (relative path, data hash, ACL); '' when not asked for (ReadTreeOptions.digest). */
  digest: string;
  /** Highest mzxid among persistent nodes, as a decimal string ('0' for an absent root). */
  maxMzxid: string;
  /** Ephemeral nodes seen ('' or '/a/b' relative paths), e.g. the metas' LOCKNODEs. */
  ephemeral: string[];
  /** False when the root does not exist. */
  exists: boolean;
}

export interface TreeRead extends TreeFingerprint {
  /** Persistent nodes, parents before children; empty unless read with `keepData`. */
  list: TreeNode[];
}

/** Sessions per read: measured in walker.ts, three lanes read a Pegasus tree about twice as fast as one. */
const LANES = 3;

const FINGERPRINT_CONN: ConnOptions = { sessionTimeoutMs: 10000, connectTimeoutMs: 10000 };

/** Lane options for the ensemble a session is connected to, with the same credentials and timeouts. */
export function laneOptions(o: Readonly<ConnectOptions>): ConnOptions {
  return {
    ...(o.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: o.sessionTimeoutMs } : {}),
    ...(o.connectTimeoutMs !== undefined ? { connectTimeoutMs: o.connectTimeoutMs } : {}),
    ...(o.auth ? { auth: o.auth } : {}),
    ...(o.security ? { security: o.security } : {}),
  };
}

export interface ReadTreeOptions {
  /**
   * Keep every persistent node's data in `list`, or only those the predicate takes (by path relative
   * to the root, '' or '/a/b'): the preflight keeps the few nodes it judges, not 100,000 partitions.
   */
  keepData?: boolean | ((rel: string) => boolean);
  /**
   * Compute `digest` (every node's data hashed and indexed first). Without it `digest` is ''.
   * @default true
   */
  digest?: boolean;
  onProgress?: (nodes: number) => void;
  /** Sessions to read over. @default 3 (LANES) */
  sessions?: number;
  /**
   * Requests in flight per session (WalkOptions.window) when the ensemble answers multiRead; without
   * it the walker's own default for single requests applies (a deeper window made that server slower).
   * @default the walker's
   */
  window?: number;
  /**
   * Read every node's ACL: one getACL request per node, which no multiRead can carry, so about six
   * times the read's time (at 100,000 znodes, 3.7 s against 0.6 s here). Without it every node's
   * `acl` is empty and the digest covers paths and data only. @default true
   */
  readAcl?: boolean;
  /** Aborting stops the read (its sessions are closed) and rejects with the signal's reason: a preflight that refuses before it needs the tree. */
  signal?: AbortSignal;
}

/** Read the subtree under `root` on the ensemble `s` is connected to (see the file comment). Nodes deleted while reading are skipped. */
export function readTree(s: ZkSession, root: string, o: ReadTreeOptions = {}): Promise<TreeRead> {
  return readSubtree(s.hosts, laneOptions(s.opts), root, o);
}

/**
 * Fingerprint only (data hashed and dropped): it runs inside the write-freeze window, twice, so it
 * must be as fast as the copy's own read.
 */
export async function fingerprint(hosts: string, root: string): Promise<TreeFingerprint> {
  const { list: _list, ...f } = await readSubtree(hosts, FINGERPRINT_CONN, root, {});
  return f;
}

async function readSubtree(hosts: string, conn: ConnOptions, root: string, o: ReadTreeOptions): Promise<TreeRead> {
  o.signal?.throwIfAborted();
  const lanes = await openLanes(hosts, o.sessions ?? LANES, conn);
  try {
    o.signal?.throwIfAborted();
    const list: TreeNode[] = [];
    const ephemeral: string[] = [];
    let bytes = 0;
    let maxMzxid = 0n;
    const wantDigest = o.digest !== false;
    const keep = o.keepData ?? false;
    const absent: TreeRead = { root, nodes: 0, bytes: 0, digest: wantDigest ? treeDigest(new Map()) : '', maxMzxid: '0', ephemeral: [], exists: false, list: [] };
    if (!(await statOf(lanes[0]!, root))) return absent;
    let nodes = 0;
    // The index (every node's data hash and ACL) exists for the digest; without one nothing is hashed or indexed.
    const index: TreeIndex = new Map();
    const excludes = Excludes.none().forRoot(root); // ZooKeeper's own /zookeeper under '/'
    try {
      await syncLanes(lanes, root);
      await new TreeWalker({
        lanes,
        keepData: keep !== false,
        hashData: wantDigest,
        ...(o.readAcl === false ? { readAcl: false } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
        ...(o.window !== undefined && lanes.every((c) => c.multiRead) ? { window: o.window } : {}),
        skip: (p) => excludes.hasExact(relPath(root, p)),
        onRecord: (r) => {
          const rel = relPath(root, r.path);
          const eph = r.ephemeralOwner !== 0n;
          if (wantDigest) index.set(rel, new IndexEntry(r.hash, r.acl, r.dataLength, eph));
          const slashed = rel === '' ? '' : `/${rel}`;
          if (eph) {
            ephemeral.push(slashed);
            return;
          }
          nodes++;
          bytes += r.dataLength;
          if (r.mzxid > maxMzxid) maxMzxid = r.mzxid;
          if (keep === true || (keep !== false && keep(slashed))) list.push({ rel: slashed, data: r.data ?? Buffer.alloc(0), acl: r.rawAcl ?? [] });
          if (nodes % 1000 === 0) o.onProgress?.(nodes);
        },
      }).run(root);
    } catch (e) {
      // Deleted between the stat and the walk.
      if (o.signal?.aborted || (await statOf(lanes[0]!, root))) throw e;
      return absent;
    }
    // Parents before children: sorting by depth keeps every parent ahead of its subtree.
    const depths = new Map(list.map((n) => [n, depth(n.rel)]));
    list.sort((a, b) => depths.get(a)! - depths.get(b)! || (a.rel < b.rel ? -1 : 1));
    return { root, nodes, bytes, digest: wantDigest ? treeDigest(index) : '', maxMzxid: maxMzxid.toString(), ephemeral: ephemeral.sort(), exists: true, list };
  } finally {
    closeLanes(lanes);
  }
}

function depth(rel: string): number {
  let n = 0;
  for (const ch of rel) if (ch === '/') n++;
  return n;
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

function isNoNode(e: unknown): boolean {
  return e instanceof ZkError && e.zkCode === ZK_CODE.NO_NODE;
}
