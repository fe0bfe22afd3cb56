import * as crypto from 'node:crypto';
import type { AclKey } from './acl';

/**
 * What the engine remembers about every node after its data has gone to the writer: a hash of the
 * data and the ACL key. Verify, diff and the tree digest work from this index, so memory holds the
 * index plus a bounded window of data, never the whole tree's bytes.
 */

/** Hash of a node's data: 128 bits of SHA-256 in base64 (22 chars); null data (distinct from empty) is `null`. */
export function dataHash(data: Buffer | null): string {
  if (data === null) return 'null';
  return crypto.hash('sha256', data, 'base64').slice(0, 22);
}

/** One node in an index. */
export class IndexEntry {
  constructor(
    /** `dataHash()` of the node's data. */
    readonly hash: string,
    readonly acl: AclKey,
    readonly dataLength: number,
    /** True for an ephemeral node (kept only in target indexes, where they must not be touched). */
    readonly ephemeral = false,
  ) {}
}

/** Nodes keyed by their path relative to the tree root (`''` for the root, `apps/1/0` below it). */
export type TreeIndex = Map<string, IndexEntry>;

/** The relative path of `path` under `root` (both normalised, `path` inside `root`). */
export function relPath(root: string, path: string): string {
  if (path === root) return '';
  return root === '/' ? path.slice(1) : path.slice(root.length + 1);
}

/** The absolute path of `rel` under `root`. */
export function absPath(root: string, rel: string): string {
  if (rel === '') return root;
  return root === '/' ? `/${rel}` : `${root}/${rel}`;
}

/**
 * A Merkle-style digest of a tree: SHA-256 over every non-ephemeral node's relative path, data hash
 * and ACL, in path order. Two trees with the same digest have the same shape, bytes and ACLs,
 * wherever they are rooted; it is what the copy prints and what an operator compares later.
 */
export function treeDigest(index: TreeIndex): string {
  const paths = [...index.keys()].filter((p) => !index.get(p)!.ephemeral);
  paths.sort();
  return digestOfLines(paths.map((p) => digestLine(p, index.get(p)!)));
}

/** One node's contribution to treeDigest. */
function digestLine(p: string, e: { hash: string; acl: string }): string {
  return `${p}\u0000${e.hash}\u0000${e.acl}\n`;
}

/** SHA-256 over the lines in order; the same bytes as one update per line, in chunks (100,000 separate updates cost more than the hashing). */
function digestOfLines(lines: readonly string[]): string {
  const h = crypto.createHash('sha256');
  for (let i = 0; i < lines.length; i += 2048) h.update(lines.slice(i, i + 2048).join(''));
  return `sha256:${h.digest('hex')}`;
}

/**
 * treeDigest of a tree that changes a little between two moments: `prepare` sorts the paths and
 * builds every line once (before a write freeze), `digest` then redoes only the lines of paths
 * added or changed since and merges the added paths in (inside it). Same result as treeDigest of
 * the map at the time of `digest` (non-ephemeral entries only: the caller's map holds no others).
 */
export class PreparedDigest {
  private sorted: string[] = [];
  private lines = new Map<string, { hash: string; acl: string; line: string }>();

  prepare(map: ReadonlyMap<string, { hash: string; acl: string }>): void {
    this.sorted = [...map.keys()].sort();
    this.lines = new Map(this.sorted.map((p) => {
      const e = map.get(p)!;
      return [p, { hash: e.hash, acl: e.acl, line: digestLine(p, e) }];
    }));
  }

  digest(map: ReadonlyMap<string, { hash: string; acl: string }>): string {
    const added: string[] = [];
    for (const p of map.keys()) if (!this.lines.has(p)) added.push(p);
    added.sort();
    const out: string[] = [];
    const line = (p: string): void => {
      const e = map.get(p);
      if (!e) return; // deleted since prepare
      const c = this.lines.get(p);
      out.push(c && c.hash === e.hash && c.acl === e.acl ? c.line : digestLine(p, e));
    };
    let i = 0;
    let j = 0;
    while (i < this.sorted.length || j < added.length) {
      if (j >= added.length || (i < this.sorted.length && this.sorted[i]! < added[j]!)) line(this.sorted[i++]!);
      else line(added[j++]!);
    }
    return digestOfLines(out);
  }
}

/** How two nodes at the same relative path differ. */
export type EntryDiff = 'data' | 'acl' | 'data,acl';

export function entryDiff(a: IndexEntry, b: IndexEntry): EntryDiff | undefined {
  const d = a.hash !== b.hash;
  const acl = a.acl !== b.acl;
  return d && acl ? 'data,acl' : d ? 'data' : acl ? 'acl' : undefined;
}

/** One difference between two trees, in `zkmig zk diff` terms. */
export interface TreeDifference {
  /** `+` only in the second tree (target), `-` only in the first (source), `~` in both but different. */
  kind: '+' | '-' | '~';
  /** Relative path (`''` is the root itself). */
  path: string;
  /** For `~`: what differs. */
  what?: EntryDiff;
}

/**
 * Compare two indexes. Ephemeral entries are ignored on both sides (they are never copied), and so is
 * any path `ignore` accepts (excluded subtrees). Sorted by path; `limit` caps the list, `count` is exact.
 */
export function compareIndexes(a: TreeIndex, b: TreeIndex, opts: { ignore?: (rel: string) => boolean; limit?: number } = {}): {
  differences: TreeDifference[];
  count: { added: number; removed: number; changed: number };
} {
  const ignore = opts.ignore ?? (() => false);
  const all: TreeDifference[] = [];
  const count = { added: 0, removed: 0, changed: 0 };
  for (const [p, ea] of a) {
    if (ea.ephemeral || ignore(p)) continue;
    const eb = b.get(p);
    if (!eb || eb.ephemeral) {
      count.removed++;
      all.push({ kind: '-', path: p });
      continue;
    }
    const what = entryDiff(ea, eb);
    if (what) {
      count.changed++;
      all.push({ kind: '~', path: p, what });
    }
  }
  for (const [p, eb] of b) {
    if (eb.ephemeral || ignore(p)) continue;
    const ea = a.get(p);
    if (!ea || ea.ephemeral) {
      count.added++;
      all.push({ kind: '+', path: p });
    }
  }
  all.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  return { differences: opts.limit !== undefined ? all.slice(0, opts.limit) : all, count };
}

/**
 * `+ /pegasus/c1/apps/3`, `~ /pegasus/c1/apps (data)`: how differences are printed. Each path is
 * absolute on the side where it exists (`-` and `~` under the first root, `+` under the second), so
 * it can be pasted into zkCli as is; with equal roots (the usual migration) the sides agree.
 */
export function formatDifference(d: TreeDifference, rootA: string, rootB: string): string {
  return `${d.kind} ${absPath(d.kind === '+' ? rootB : rootA, d.path)}${d.what ? ` (${d.what})` : ''}`;
}
