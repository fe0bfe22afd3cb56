import { zk } from '../../../shared/zk/client';
import { manager } from '../../../shared/zk/client-internals';
import { aclLen, Dec, fromClientStat, NodeStat, OP, RawAcl, RawRequest, Reply, statOf, strLen } from '../../../shared/zk/jute';
import { multiReadGetData } from '../../../shared/zk/bulk-read';

export { corked, dropConnection, fastPath, fastReplies, installFastReplies } from '../../../shared/zk/client-internals';
export type { NodeStat, RawAcl, Reply } from '../../../shared/zk/jute';
export { OP } from '../../../shared/zk/jute';

/**
 * The copy engine's hot path over node-zookeeper-client 1.1.x. The client's public methods run every
 * request through `async.whilst` retry plumbing, argument sniffing and a regex-driven jute codec,
 * write each request with its own syscall, and re-copy the unread part of the socket buffer for every
 * reply (`Buffer.concat` per packet). Measured here on 100,000 nodes (getData + getACL, ZooKeeper 3.8
 * on loopback) that overhead was most of the client's CPU. So:
 *   - requests are encoded by hand and queued straight on the client's ConnectionManager
 *     (`queue(request, cb)`), in corked bursts so many requests share one write;
 *   - replies to those requests are framed and decoded here (`installFastReplies`), before the
 *     client's own parser, which still handles everything else (connect, pings, auth, watches);
 *   - `multiRead` (ZooKeeper 3.6+) batches getData requests, which halves the requests the server
 *     handles per node; the server's per-request cost dominates on one machine.
 * What touches the client's internals is in shared/zk/client-internals.ts, the codec in shared/zk/jute.ts. Without the
 * internals (`fastPath()` false) every helper here falls back to the public API: slower, same results.
 */

// ---- reads ---------------------------------------------------------------------------------

export interface DataReply {
  data: Buffer | null;
  stat: NodeStat;
}

const decodeData = (buf: Buffer, off: number): DataReply => {
  const d = new Dec(buf, off);
  const data = d.bytes();
  return { data, stat: d.stat() };
};

/** getData without a watch. `data` is null when the node holds null (distinct from empty). */
export function getData(client: zk.Client, path: string, cb: Reply<DataReply>): void {
  const cm = manager(client);
  if (!cm) return client.getData(path, (err, data, stat) => cb(err as Error | null, err ? undefined : { data: data ?? null, stat: fromClientStat(stat) }));
  cm.queue(
    new RawRequest(
      OP.GET_DATA,
      strLen(path) + 1,
      (e) => {
        e.str(path);
        e.bool(false);
      },
      decodeData,
    ),
    (err, res) => {
      if (err) return cb(err, undefined);
      const p = res?.payload as { data?: Buffer | null; stat: unknown };
      cb(null, { data: p.data ?? null, stat: statOf(p.stat) });
    },
  );
}

export interface AclReply {
  acl: RawAcl[];
  stat: NodeStat;
}

const decodeAcl = (buf: Buffer, off: number): AclReply => {
  const d = new Dec(buf, off);
  const acl = d.acl();
  return { acl, stat: d.stat() };
};

interface JuteAcl {
  perms: number;
  id: { scheme: string; id: string };
}

// The typings call the field `perms`; at runtime ACL objects carry `permission` (lib/ACL.js).
const permsOf = (a: zk.ACL): number => (a as unknown as { permission: number }).permission;

export function getACL(client: zk.Client, path: string, cb: Reply<AclReply>): void {
  const cm = manager(client);
  if (!cm)
    return client.getACL(path, (err, acls, stat) =>
      cb(err as Error | null, err ? undefined : { acl: acls.map((a) => ({ perms: permsOf(a), scheme: a.id.scheme, id: a.id.id })), stat: fromClientStat(stat) }),
    );
  cm.queue(
    new RawRequest(OP.GET_ACL, strLen(path), (e) => e.str(path), decodeAcl),
    (err, res) => {
      if (err) return cb(err, undefined);
      const p = res?.payload as { acl?: (RawAcl | JuteAcl)[]; stat: unknown };
      const acl = (p.acl ?? []).map((a) => ('scheme' in a ? a : { perms: a.perms, scheme: a.id.scheme, id: a.id.id }));
      cb(null, { acl, stat: statOf(p.stat) });
    },
  );
}

export interface ChildrenReply {
  children: string[];
  stat: NodeStat;
}

const decodeChildren = (buf: Buffer, off: number): ChildrenReply => {
  const d = new Dec(buf, off);
  const children = d.strings();
  return { children, stat: d.stat() };
};

/** getChildren2 (children plus the parent's Stat) without a watch. */
export function getChildren(client: zk.Client, path: string, cb: Reply<ChildrenReply>): void {
  const cm = manager(client);
  if (!cm) return client.getChildren(path, (err, children, stat) => cb(err as Error | null, err ? undefined : { children, stat: fromClientStat(stat) }));
  cm.queue(
    new RawRequest(
      OP.GET_CHILDREN2,
      strLen(path) + 1,
      (e) => {
        e.str(path);
        e.bool(false);
      },
      decodeChildren,
    ),
    (err, res) => {
      if (err) return cb(err, undefined);
      const p = res?.payload as { children?: string[]; stat: unknown };
      cb(null, { children: p.children ?? [], stat: statOf(p.stat) });
    },
  );
}

/** One getData result inside a multiRead: the data and Stat, or the op's own error code. */
export type MultiReadResult = DataReply | { err: number };

/**
 * getData for many paths in one `multiRead` request (ZooKeeper 3.6+, OpCode 22; reads in it fail
 * one by one, not as a whole). Only with fast replies installed: the client cannot parse the reply.
 */
export function multiReadData(client: zk.Client, paths: readonly string[], cb: Reply<MultiReadResult[]>): void {
  const cm = manager(client)!;
  const { len, write } = multiReadGetData(paths);
  cm.queue(
    new RawRequest(
      OP.MULTI_READ,
      len,
      write,
      (buf, off) => {
        const d = new Dec(buf, off);
        const out: MultiReadResult[] = [];
        for (;;) {
          const type = d.int();
          const done = d.bool();
          const err = d.int();
          if (done) break;
          if (type === OP.GET_DATA) {
            const data = d.bytes();
            out.push({ data, stat: d.stat() });
          } else if (type === OP.ERROR) {
            out.push({ err: d.int() });
          } else {
            throw Object.assign(new Error(`unexpected op type ${type} (err ${err}) in a multiRead reply`), { code: -2 });
          }
        }
        return out;
      },
    ),
    (err, res) => (err ? cb(err, undefined) : cb(null, res!.payload as MultiReadResult[])),
  );
}

// ---- writes --------------------------------------------------------------------------------

export type MultiOp =
  | { kind: 'create'; path: string; data: Buffer | null; acl: readonly RawAcl[] }
  | { kind: 'set'; path: string; data: Buffer | null }
  | { kind: 'delete'; path: string };

/** Serialized size of one op inside a multi (MultiHeader + request record), for byte-bounded batches. */
export function multiOpBytes(op: MultiOp): number {
  const header = 9;
  switch (op.kind) {
    case 'create':
      return header + strLen(op.path) + 4 + (op.data?.length ?? 0) + aclLen(op.acl) + 4;
    case 'set':
      return header + strLen(op.path) + 4 + (op.data?.length ?? 0) + 4;
    case 'delete':
      return header + strLen(op.path) + 4;
  }
}

/** Bytes of a multi request around its ops: the request header, the closing MultiHeader and the length prefix. */
export const MULTI_OVERHEAD = 4 + 8 + 9;

/** Per-op outcome of a multi: 0 when the op applied, else the ZooKeeper error code. */
export type MultiResult = number[];

/** A multi reply: per op, 0 or the op's error code. */
const decodeMulti = (buf: Buffer, off: number): { results: { type: number; err?: number }[] } => {
  const d = new Dec(buf, off);
  const results: { type: number; err?: number }[] = [];
  for (;;) {
    const type = d.int();
    const done = d.bool();
    d.int();
    if (done) break;
    if (type === OP.CREATE) {
      d.str();
      results.push({ type });
    } else if (type === OP.SET_DATA) {
      d.stat();
      results.push({ type });
    } else if (type === OP.DELETE || type === OP.CHECK) {
      results.push({ type });
    } else if (type === OP.ERROR) {
      results.push({ type, err: d.int() });
    } else {
      throw Object.assign(new Error(`unexpected op type ${type} in a multi reply`), { code: -2 });
    }
  }
  return { results };
};

/**
 * Commit a multi (create, setData, delete; all persistent, version -1). On a failed multi nothing
 * was applied and `err.code` is the first failing op's code; `results` (when the server answered)
 * gives each op's code. CONNECTION_LOSS means the outcome is unknown.
 */
export function multi(client: zk.Client, ops: readonly MultiOp[], cb: (err: (Error & { code?: number }) | null, results: MultiResult | undefined) => void): void {
  const cm = manager(client);
  if (!cm) return multiViaTransaction(client, ops, cb);
  let len = 9;
  for (const op of ops) len += multiOpBytes(op);
  const req = new RawRequest(
    OP.MULTI,
    len,
    (e) => {
      for (const op of ops) {
        e.int(op.kind === 'create' ? OP.CREATE : op.kind === 'set' ? OP.SET_DATA : OP.DELETE);
        e.bool(false);
        e.int(-1);
        e.str(op.path);
        if (op.kind === 'create') {
          e.bytes(op.data);
          e.acl(op.acl);
          e.int(0); // PERSISTENT: ephemerals are never copied
        } else if (op.kind === 'set') {
          e.bytes(op.data);
          e.int(-1);
        } else {
          e.int(-1);
        }
      }
      e.int(-1);
      e.bool(true);
      e.int(-1);
    },
    decodeMulti,
  );
  cm.queue(req, (err, res) => {
    if (err) return cb(err, undefined);
    const results = ((res?.payload as { results?: { type: number; err?: number }[] })?.results ?? []).map((r) => (r.type === OP.ERROR ? (r.err ?? 0) : 0));
    const first = results.find((c) => c !== 0);
    if (first !== undefined) {
      const e = new Error(`multi failed with code ${first}`) as Error & { code?: number };
      e.code = first;
      return cb(e, results);
    }
    cb(null, results);
  });
}

function toAcl(acl: readonly RawAcl[]): zk.ACL[] {
  return acl.map((a) => new zk.ACL(a.perms, new zk.Id(a.scheme, a.id)));
}

function multiViaTransaction(client: zk.Client, ops: readonly MultiOp[], cb: (err: (Error & { code?: number }) | null, results: MultiResult | undefined) => void): void {
  const tx = client.transaction();
  for (const op of ops) {
    if (op.kind === 'create') tx.create(op.path, op.data ?? undefined, toAcl(op.acl), zk.CreateMode.PERSISTENT);
    else if (op.kind === 'set') tx.setData(op.path, op.data, -1);
    else tx.remove(op.path, -1);
  }
  tx.commit((err, results: { type: number; err?: number }[] | undefined) => {
    const codes = (results ?? []).map((r) => (r.type === OP.ERROR ? (r.err ?? 0) : 0));
    cb(err ? Object.assign(err as Error, { code: (err as { code?: number }).code }) : null, results ? codes : undefined);
  });
}

/**
 * `sync(path)`: the server this session talks to catches up with the leader before answering, so
 * reads on this session afterwards see every write committed before it, whichever session made it.
 * ZooKeeper only guarantees read-your-writes per session; the engine reads over several sessions,
 * possibly on lagging followers. Only with fast replies (the client has no sync and cannot parse its
 * reply); `cb(null, false)` when it cannot be sent.
 */
export function syncPath(client: zk.Client, path: string, cb: Reply<boolean>): void {
  const cm = manager(client);
  if (!cm?.zkmigFastReplies) return cb(null, false);
  cm.queue(
    new RawRequest(OP.SYNC, strLen(path), (e) => e.str(path), (buf, off) => new Dec(buf, off).str()),
    (err) => (err ? cb(err, undefined) : cb(null, true)),
  );
}

export function setACL(client: zk.Client, path: string, acl: readonly RawAcl[], cb: Reply<NodeStat>): void {
  const cm = manager(client);
  if (!cm) return client.setACL(path, toAcl(acl), -1, (err, stat) => cb(err as Error | null, err ? undefined : fromClientStat(stat)));
  cm.queue(
    new RawRequest(
      OP.SET_ACL,
      strLen(path) + aclLen(acl) + 4,
      (e) => {
        e.str(path);
        e.acl(acl);
        e.int(-1);
      },
      (buf, off) => ({ stat: new Dec(buf, off).stat() }),
    ),
    (err, res) => (err ? cb(err, undefined) : cb(null, statOf((res?.payload as { stat: unknown }).stat))),
  );
}

