import { UsageError } from '../../../shared/errors';
import { normalizePath } from '../../../shared/zk/endpoint';
import { relPath } from './tree-index';

/**
 * Subtrees a copy, diff or verify leaves alone, as paths relative to the tree root. `/zookeeper`
 * (ZooKeeper's own quota and config tree) is always one of them when a tree is rooted at `/`.
 * An excluded subtree is neither read, written nor deleted.
 */
export class Excludes {
  private readonly rels: Set<string>;

  private constructor(rels: Iterable<string>) {
    this.rels = new Set(rels);
  }

  /**
   * From `--exclude` values: an absolute path must lie under `root` (a typo would otherwise exclude
   * nothing, silently); a relative one is taken relative to `root`. Matching is by whole path
   * components: `/a/b` excludes `/a/b` and `/a/b/c`, not `/a/bc`.
   */
  static parse(root: string, values: readonly string[]): Excludes {
    const rels: string[] = [];
    for (const v of values) {
      const t = v.trim();
      if (t === '') throw new UsageError('--exclude needs a path');
      const abs = normalizePath(t.startsWith('/') ? t : (root === '/' ? '/' : root + '/') + t);
      if (abs !== root && !abs.startsWith(root === '/' ? '/' : root + '/')) {
        throw new UsageError(`--exclude ${v} is not under the tree being copied (${root}); give a path under it, or one relative to it`);
      }
      if (abs === root) throw new UsageError(`--exclude ${v} would exclude the whole tree`);
      rels.push(relPath(root, abs));
    }
    return new Excludes(rels);
  }

  static none(): Excludes {
    return new Excludes([]);
  }

  /** The same exclusions plus `/zookeeper` when the tree is rooted at `/`. */
  forRoot(root: string): Excludes {
    return root === '/' ? new Excludes([...this.rels, 'zookeeper']) : this;
  }

  /** Exact match: the walker checks each child as it is discovered, so ancestors were checked already. */
  hasExact(rel: string): boolean {
    return this.rels.has(rel);
  }

  /** `rel` or one of its ancestors is excluded. */
  covers(rel: string): boolean {
    if (this.rels.size === 0) return false;
    for (let r = rel; r !== ''; ) {
      if (this.rels.has(r)) return true;
      const i = r.lastIndexOf('/');
      r = i < 0 ? '' : r.slice(0, i);
    }
    return false;
  }

  get list(): string[] {
    return [...this.rels].sort();
  }
}

/** Refuse trees inside ZooKeeper's own `/zookeeper`. */
export function refuseSystemTree(path: string, what: string): void {
  if (path === '/zookeeper' || path.startsWith('/zookeeper/')) {
    throw new UsageError(`${what} ${path} is inside /zookeeper, ZooKeeper's own tree; zkmig never reads or writes it`);
  }
}
