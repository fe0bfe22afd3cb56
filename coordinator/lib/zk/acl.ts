import { createHash } from 'node:crypto';
import { InvalidInputError } from '../../../shared/errors';
import type { RawAcl } from './wire';

/**
 * ACLs as compact canonical strings (fields joined by U+001F, entries by U+001E: ids such as x509
 * distinguished names may hold commas and '=') so that a node index
 * holds one interned string per distinct ACL instead of objects per node, and equality is string
 * equality. The server keeps an ACL list in the order it was given, so order is part of the key:
 * a copy recreates the same order, and a reordered ACL counts as a difference (it is one on disk).
 */

export type AclKey = string;

/** Permission bits (org.apache.zookeeper.ZooDefs.Perms). */
export const PERM = { READ: 1, WRITE: 2, CREATE: 4, DELETE: 8, ADMIN: 16, ALL: 31 } as const;

const US = '\u001f';
const RS = '\u001e';
const interned = new Map<string, AclKey>();
const parsed = new Map<AclKey, RawAcl[]>();

/** The canonical key of an ACL list (interned: identical lists share one string). */
export function aclKey(acl: readonly RawAcl[]): AclKey {
  let k = '';
  for (let i = 0; i < acl.length; i++) {
    const a = acl[i]!;
    k += (i ? RS : '') + a.scheme + US + a.id + US + a.perms;
  }
  const hit = interned.get(k);
  if (hit !== undefined) return hit;
  if (interned.size < 100000) interned.set(k, k);
  return k;
}

/** The ACL list back from its key (cached). */
export function aclFromKey(key: AclKey): RawAcl[] {
  const hit = parsed.get(key);
  if (hit) return hit;
  const out: RawAcl[] = key === '' ? [] : key.split(RS).map(parseEntry);
  if (parsed.size < 100000) parsed.set(key, out);
  return out;
}

function parseEntry(e: string): RawAcl {
  const a = e.indexOf(US);
  const b = e.lastIndexOf(US);
  return { scheme: e.slice(0, a), id: e.slice(a + 1, b), perms: Number(e.slice(b + 1)) };
}

/** `rwcda`-style rendering of a permission mask, for humans. */
export function permString(perms: number): string {
  return (['r', 'w', 'c', 'd', 'a'] as const).map((c, i) => (perms & (1 << i) ? c : '-')).join('');
}

/** `digest:bob:<hash>:cdrwa, world:anyone:r` — how zkCli prints ACLs, for messages. */
export function describeAcl(key: AclKey): string {
  return aclFromKey(key)
    .map((a) => `${a.scheme}:${a.id}:${permString(a.perms)}`)
    .join(', ');
}

/** The ids a session authenticated with `user:password` holds, as ZooKeeper's DigestAuthenticationProvider derives them. */
export function sessionIds(auth: string | undefined, saslUser?: string): { scheme: string; id: string }[] {
  const ids = [{ scheme: 'world', id: 'anyone' }];
  if (auth) ids.push({ scheme: 'digest', id: digestId(auth) });
  // ZooKeeper's SASLAuthenticationProvider: the id is the authorization id, the login name for DIGEST-MD5.
  if (saslUser) ids.push({ scheme: 'sasl', id: saslUser });
  return ids;
}

/** `user:base64(sha1("user:password"))`, the id a digest ACL names. */
export function digestId(auth: string): string {
  const colon = auth.indexOf(':');
  if (colon <= 0) throw new InvalidInputError('digest auth must be user:password');
  return `${auth.slice(0, colon)}:${createHash('sha1').update(auth).digest('base64')}`;
}

/** Validate `user:password` (for --auth / ZKMIG_ZK_AUTH) without echoing the password. */
export function checkAuth(auth: string, origin: string): string {
  const colon = auth.indexOf(':');
  if (colon <= 0 || colon === auth.length - 1) throw new InvalidInputError(`${origin} must be user:password (digest scheme)`);
  return auth;
}

/** Does `acl` give one of `ids` the permission bit `perm`? Unknown schemes (ip, sasl, x509) count as no. */
export function grants(acl: readonly RawAcl[], ids: readonly { scheme: string; id: string }[], perm: number): boolean {
  return acl.some((a) => (a.perms & perm) !== 0 && ids.some((i) => i.scheme === a.scheme && i.id === a.id));
}

/**
 * The ACL to create a node with when its own ACL would not let this session create its children:
 * the node's ACL plus full rights for this session's identity. The real ACL is set once the
 * children exist (zk_shell#6 is the bug this avoids: copying a restrictive ACL before the subtree).
 */
export function withGrant(acl: readonly RawAcl[], auth: string | undefined, saslUser?: string): RawAcl[] {
  const me = auth ? { scheme: 'digest', id: digestId(auth) } : saslUser ? { scheme: 'sasl', id: saslUser } : { scheme: 'world', id: 'anyone' };
  return [...acl.filter((a) => !(a.scheme === me.scheme && a.id === me.id)), { perms: PERM.ALL, ...me }];
}

/** world:anyone:cdrwa, what Pegasus creates every node with (docs/pegasus-internals.md §2.2). */
export const OPEN_RAW_ACL: readonly RawAcl[] = [{ perms: PERM.ALL, scheme: 'world', id: 'anyone' }];
