import { zkCodeOf, ZK_CODE } from '../../../shared/zk/client';
import { grants, PERM, sessionIds, withGrant } from './acl';
import type { ZkConn } from './conn';
import type { NodeState } from './follow-read';
import { multi, MULTI_OVERHEAD, MultiOp, multiOpBytes, RawAcl, setACL } from './wire';

/**
 * One catch-up round's writes for the live pre-copy (follow.ts): given the source and target state
 * of each changed path, make the target match. Deletes go first, deepest first (ZooKeeper deletes
 * only leaves); then creates, parents first; then data; then ACLs (setACL cannot go in a multi).
 *
 * Nothing here has to be right the first time: every path written is read again in the next round
 * (the target's own change stream reports our writes), and a path whose write failed or whose
 * outcome is unknown (connection loss) is simply handed back to be read and compared again. A write
 * races nothing on the target (the migration is its only writer), but the source reads of a parent
 * and its child are not atomic, so a create can meet a parent deleted meanwhile: handed back too.
 */

export interface DeltaCounts {
  created: number;
  updated: number;
  deleted: number;
  aclSet: number;
}

/** Multis of at most this many serialized bytes (a quarter of the server's default jute.maxbuffer, as writer.ts). */
const BATCH_BYTES = 256 * 1024;

export async function applyDelta(
  conn: ZkConn,
  items: readonly { path: string; src: NodeState | null; dst: NodeState | null }[],
  who: { auth?: string | undefined; saslUser?: string | undefined },
): Promise<{ counts: DeltaCounts; failed: string[] }> {
  const counts: DeltaCounts = { created: 0, updated: 0, deleted: 0, aclSet: 0 };
  const depth = (p: string): number => p.split('/').length;
  const deletes = items.filter((i) => !i.src && i.dst).sort((a, b) => depth(b.path) - depth(a.path));
  const creates = items.filter((i) => i.src && !i.dst).sort((a, b) => depth(a.path) - depth(b.path));
  const sets = items.filter((i) => i.src && i.dst && i.src.hash !== i.dst.hash);
  const acls: { path: string; acl: RawAcl[] }[] = items.filter((i) => i.src && i.dst && i.src.aclKey !== i.dst.aclKey).map((i) => ({ path: i.path, acl: i.src!.acl }));
  const myIds = sessionIds(who.auth, who.saslUser);
  const ops: MultiOp[] = [];
  for (const d of deletes) ops.push({ kind: 'delete', path: d.path });
  for (const c of creates) {
    const s = c.src!;
    let acl = s.acl;
    // Created with an extra grant for this session when its own ACL would forbid creating its
    // children (as copy.ts does); the real ACL is set after the creates.
    if (!grants(acl, myIds, PERM.CREATE)) {
      acl = withGrant(acl, who.auth, who.saslUser);
      acls.push({ path: c.path, acl: s.acl });
    }
    ops.push({ kind: 'create', path: c.path, data: s.data, acl });
  }
  for (const u of sets) ops.push({ kind: 'set', path: u.path, data: u.src!.data });

  const failed = new Set<string>();
  const chunks: MultiOp[][] = [];
  let cur: MultiOp[] = [];
  let bytes = MULTI_OVERHEAD;
  for (const op of ops) {
    const b = multiOpBytes(op);
    if (cur.length > 0 && bytes + b > BATCH_BYTES) {
      chunks.push(cur);
      cur = [];
      bytes = MULTI_OVERHEAD;
    }
    cur.push(op);
    bytes += b;
  }
  if (cur.length > 0) chunks.push(cur);
  // All chunks in flight at once: one session applies them in order.
  await conn.whenConnected();
  const outcomes = await Promise.all(chunks.map((c) => send(conn, c)));
  for (let i = 0; i < chunks.length; i++) {
    const chunk = chunks[i]!;
    const code = outcomes[i];
    if (code === 0) {
      for (const op of chunk) count(counts, op);
      continue;
    }
    if (code === ZK_CODE.CONNECTION_LOSS || code === ZK_CODE.SESSION_EXPIRED || code === ZK_CODE.OPERATION_TIMEOUT) {
      for (const op of chunk) failed.add(op.path); // outcome unknown: read and compare again
      continue;
    }
    // The multi was refused as a whole (nothing applied): one op at a time, in order.
    for (const op of chunk) {
      const c = await send(conn, [op]);
      if (c === 0) count(counts, op);
      else failed.add(op.path);
    }
  }
  for (const a of acls) {
    if (failed.has(a.path)) continue;
    const c = await conn
      .deadline(
        new Promise<number>((resolve) => setACL(conn.client, a.path, a.acl, (err) => resolve(err ? (zkCodeOf(err) ?? -1) : 0))),
        `setACL ${a.path}`,
      )
      .catch(() => ZK_CODE.OPERATION_TIMEOUT);
    if (c === 0) counts.aclSet++;
    else failed.add(a.path);
  }
  return { counts, failed: [...failed] };
}

function count(c: DeltaCounts, op: MultiOp): void {
  if (op.kind === 'create') c.created++;
  else if (op.kind === 'set') c.updated++;
  else c.deleted++;
}

function send(conn: ZkConn, ops: readonly MultiOp[]): Promise<number> {
  return conn
    .deadline(
      new Promise<number>((resolve) => multi(conn.client, ops, (err) => resolve(err ? (zkCodeOf(err) ?? ZK_CODE.CONNECTION_LOSS) : 0))),
      `a multi of ${ops.length} op(s) starting at ${ops[0]?.path ?? ''}`,
    )
    .catch(() => ZK_CODE.OPERATION_TIMEOUT);
}
