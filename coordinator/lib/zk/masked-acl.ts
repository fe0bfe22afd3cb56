import { PreconditionError } from '../../../shared/errors';
import type { ZkConn } from './conn';
import type { Excludes } from './excludes';
import { relPath } from './tree-index';
import { walkTree } from './walker';
import type { RawAcl } from './wire';

/**
 * ZooKeeper hides the password hash of a digest ACL from a session without ADMIN on the node: it
 * answers getACL with the id cut to `user:x` (FinalRequestProcessor, GET_ACL: `id.replaceAll(":.*",
 * ":x")` when the session lacks ADMIN; the fix for CVE-2019-0201, ZooKeeper 3.4.14/3.5.5 on). A real
 * digest id is `user:` plus 28 base64 characters, so `:x` at the end can only be this mask. Copied
 * as read, such an ACL would name an identity nobody has and lock the node's owner out.
 */
export function isMaskedDigest(a: RawAcl): boolean {
  return a.scheme === 'digest' && a.id.endsWith(':x');
}

/** The refusal of a copy that would write masked ACLs (exit 2: read the source with ADMIN rights). */
export function maskedAclError(masked: MaskedAcls, written: string): PreconditionError {
  return new PreconditionError(
    `the source session sees the digest ACL of ${masked.count} node(s) masked as "user:x" (ZooKeeper hides digest ids from a session without ADMIN on the node): ` +
      `${masked.paths.join(', ')}${masked.count > masked.paths.length ? ', ...' : ''}. Copying them would write a wrong ACL; ${written}. ` +
      'Read the source as a user with ADMIN on these nodes (zk copy: --source-auth or --source-auth-file).',
    { context: { path: masked.paths[0] } },
  );
}

/** The copy's default AclGuard: a masked digest ACL stops it before that node is written. */
export function refuseMasked(path: string, acl: readonly RawAcl[]): PreconditionError | undefined {
  return acl.some(isMaskedDigest) ? maskedAclError({ count: 1, paths: [path] }, 'the copy stopped before writing it') : undefined;
}

export interface MaskedAcls {
  count: number;
  /** The first `limit` paths, in walk order. */
  paths: string[];
}

/**
 * The persistent nodes under `root` whose ACL this session sees masked: an ACL-only walk (getChildren2
 * and getACL per node, no data), run before a copy writes anything.
 */
export async function findMaskedAcls(lanes: ZkConn[], root: string, excludes: Excludes, o: { window?: number; signal?: AbortSignal; limit: number; acceptChanging?: boolean }): Promise<MaskedAcls> {
  const out: MaskedAcls = { count: 0, paths: [] };
  await walkTree(root, {
    lanes,
    readData: false,
    readAcl: true,
    ...(o.window !== undefined ? { window: o.window } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.acceptChanging ? { acceptChanging: true } : {}),
    skip: (p) => excludes.hasExact(relPath(root, p)),
    onRecord: (r) => {
      if (r.ephemeralOwner !== 0n || !(r.rawAcl ?? []).some(isMaskedDigest)) return;
      out.count++;
      if (out.paths.length < o.limit) out.paths.push(r.path);
    },
  });
  return out;
}
