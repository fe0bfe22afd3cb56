import { ZK_CODE, wrapZkError, zkCodeOf } from '../../../shared/zk/client';
import { AclKey, aclKey } from './acl';
import type { ZkConn } from './conn';
import { dataHash } from './tree-index';
import { corked, getACL, getChildren, getData, multiReadData, NodeStat, RawAcl } from './wire';

/**
 * Reads of a known set of paths, for the live pre-copy (follow.ts): the current state of each
 * changed node (data, ACL, Stat), and the stat sweep that finds what changed without a watch.
 * Both pipeline their requests on one session and retry what a connection loss or session expiry
 * left unanswered (the reads are idempotent).
 */

/** One node as read, or absent (deleted, or never there). Ephemeral nodes count as absent: they are never copied. */
export interface NodeState {
  data: Buffer | null;
  hash: string;
  acl: RawAcl[];
  aclKey: AclKey;
  mzxid: bigint;
  pzxid: bigint;
  aversion: number;
}

const RETRYABLE = new Set<number>([ZK_CODE.CONNECTION_LOSS, ZK_CODE.OPERATION_TIMEOUT, ZK_CODE.SESSION_EXPIRED]);
/** Nodes in flight per session (two requests each). */
const WINDOW = 200;
/** A node that changed this often between its getData and getACL is being written continuously. */
const MAX_REREADS = 20;
/** Attempts before a node whose data and ACL reads disagree on its version is taken as read. */
const ACCEPT_AFTER = 3;

/** Read data and ACL of every path (absent ones map to null). getData and getACL must agree on the version, else the node is read again. */
export async function readNodes(conn: ZkConn, paths: readonly string[]): Promise<Map<string, NodeState | null>> {
  const out = new Map<string, NodeState | null>();
  let todo = [...paths];
  for (let attempt = 0; todo.length > 0; attempt++) {
    if (attempt > MAX_REREADS) throw wrapZkError('read', todo[0]!, new Error(`${todo.length} node(s) kept changing or the connection kept dropping while being read`));
    await conn.whenConnected();
    const again: string[] = [];
    await windowed(todo, WINDOW, (p) => readOne(conn, p, attempt).then((r) => (r === 'again' ? void again.push(p) : void out.set(p, r))));
    todo = again;
  }
  return out;
}

function readOne(conn: ZkConn, path: string, attempt: number): Promise<NodeState | null | 'again'> {
  return conn.deadline(
    new Promise((resolve, reject) => {
      let d: { data: Buffer | null; stat: NodeStat } | null | undefined;
      let a: { acl: RawAcl[]; stat: NodeStat } | null | undefined;
      let failed = false;
      const fail = (e: unknown): void => {
        if (failed) return;
        failed = true;
        if (RETRYABLE.has(zkCodeOf(e) ?? 0)) resolve('again');
        else reject(wrapZkError('read', path, e));
      };
      const settle = (): void => {
        if (failed || d === undefined || a === undefined) return;
        if (d === null || a === null) return resolve(d === null && a === null ? null : 'again');
        // Changed between the two requests: read again, but after a few tries take each part as
        // read (the change stream reports every change after it was armed; see follow.ts).
        if ((d.stat.mzxid !== a.stat.mzxid || d.stat.aversion !== a.stat.aversion) && attempt < ACCEPT_AFTER) return resolve('again');
        if (d.stat.ephemeralOwner !== 0n) return resolve(null);
        resolve({ data: d.data, hash: dataHash(d.data), acl: a.acl, aclKey: aclKey(a.acl), mzxid: d.stat.mzxid, pzxid: d.stat.pzxid, aversion: d.stat.aversion });
      };
      corked(conn.client, () => {
        getData(conn.client, path, (err, r) => {
          if (err && zkCodeOf(err) !== ZK_CODE.NO_NODE) return fail(err);
          d = err ? null : r!;
          settle();
        });
        getACL(conn.client, path, (err, r) => {
          if (err && zkCodeOf(err) !== ZK_CODE.NO_NODE) return fail(err);
          a = err ? null : r!;
          settle();
        });
      });
    }),
    `reading ${path}`,
  );
}

/** The Stat fields a sweep compares, per path; null when the node is gone. */
export interface SweepStat {
  mzxid: bigint;
  pzxid: bigint;
  aversion: number;
  ephemeral: boolean;
}

/**
 * The Stat of every path, by getData batched in multiRead requests when the ensemble has them
 * (ZooKeeper 3.6+), else one getData per path. Cheaper than readNodes (no ACL request); used to find
 * what moved: mzxid (data, or deleted and recreated), aversion (setACL), pzxid (children).
 */
export async function sweepStats(conn: ZkConn, paths: readonly string[]): Promise<Map<string, SweepStat | null>> {
  const out = new Map<string, SweepStat | null>();
  const toStat = (s: NodeStat): SweepStat => ({ mzxid: s.mzxid, pzxid: s.pzxid, aversion: s.aversion, ephemeral: s.ephemeralOwner !== 0n });
  let todo = [...paths];
  for (let attempt = 0; todo.length > 0; attempt++) {
    if (attempt > MAX_REREADS) throw wrapZkError('read', todo[0]!, new Error('the connection kept dropping during the stat sweep'));
    await conn.whenConnected();
    const again: string[] = [];
    if (conn.multiRead && conn.fast) {
      const chunks: string[][] = [];
      for (let i = 0; i < todo.length; i += 128) chunks.push(todo.slice(i, i + 128));
      await windowed(chunks, 8, (chunk) =>
        conn.deadline(
          new Promise<void>((resolve, reject) =>
            multiReadData(conn.client, chunk, (err, rs) => {
              if (err) {
                if (RETRYABLE.has(zkCodeOf(err) ?? 0)) {
                  again.push(...chunk);
                  return resolve();
                }
                return reject(wrapZkError('read', chunk[0]!, err));
              }
              chunk.forEach((p, i) => {
                const r = rs![i]!;
                if ('err' in r) {
                  if (r.err === ZK_CODE.NO_NODE) out.set(p, null);
                  else again.push(p);
                } else out.set(p, toStat(r.stat));
              });
              resolve();
            }),
          ),
          `a stat sweep of ${chunk.length} node(s)`,
        ),
      );
    } else {
      await windowed(todo, WINDOW, (p) =>
        conn.deadline(
          new Promise<void>((resolve, reject) =>
            getData(conn.client, p, (err, r) => {
              const code = zkCodeOf(err);
              if (err && code === ZK_CODE.NO_NODE) out.set(p, null);
              else if (err && RETRYABLE.has(code ?? 0)) again.push(p);
              else if (err) return reject(wrapZkError('read', p, err));
              else out.set(p, toStat(r!.stat));
              resolve();
            }),
          ),
          `stat of ${p}`,
        ),
      );
    }
    todo = again;
  }
  return out;
}

/** Children of each path with the pzxid they were listed at; absent paths map to null. */
export async function listChildren(conn: ZkConn, paths: readonly string[]): Promise<Map<string, { children: string[]; pzxid: bigint } | null>> {
  const out = new Map<string, { children: string[]; pzxid: bigint } | null>();
  let todo = [...paths];
  for (let attempt = 0; todo.length > 0; attempt++) {
    if (attempt > MAX_REREADS) throw wrapZkError('list', todo[0]!, new Error('the connection kept dropping while listing children'));
    await conn.whenConnected();
    const again: string[] = [];
    await windowed(todo, WINDOW, (p) =>
      conn.deadline(
        new Promise<void>((resolve, reject) =>
          getChildren(conn.client, p, (err, r) => {
            const code = zkCodeOf(err);
            if (err && code === ZK_CODE.NO_NODE) out.set(p, null);
            else if (err && RETRYABLE.has(code ?? 0)) again.push(p);
            else if (err) return reject(wrapZkError('list', p, err));
            else out.set(p, { children: r!.children, pzxid: r!.stat.pzxid });
            resolve();
          }),
        ),
        `children of ${p}`,
      ),
    );
    todo = again;
  }
  return out;
}

/** Run `fn` over `items` with at most `n` at once. */
export async function windowed<T>(items: readonly T[], n: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}
