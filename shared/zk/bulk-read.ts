import type * as zk from 'node-zookeeper-client';
import { fastReplies, manager } from './client-internals';
import { Enc, OP, RawRequest, strLen } from './jute';

/**
 * Reads of many nodes' data as text, encoded and decoded here (jute.ts) on a session with fast
 * replies (client-internals.ts): the simulated meta's load of its whole tree. The client's public
 * getData spends several times the CPU per node (retry plumbing, path validation, a regex-driven
 * codec, a Stat of Buffers), and a ZooKeeper server spends far less per node on one multiRead of a
 * hundred getData than on a hundred getData requests.
 */

export type TextReply<T> = (err: (Error & { code?: number }) | null, value?: T) => void;

/** True when this client's replies are decoded here, which every function below needs. */
export function rawReads(client: zk.Client): boolean {
  return fastReplies(client);
}

/** getData without a watch, as UTF-8 text ('' for empty or null data); the Stat is skipped. */
export function getDataText(client: zk.Client, path: string, cb: TextReply<string>): void {
  const write = (e: Enc): void => {
    e.str(path);
    e.bool(false);
  };
  manager(client)!.queue(new RawRequest(OP.GET_DATA, strLen(path) + 1, write, (buf, off) => text(buf, off)), (err, res) =>
    err ? cb(err) : cb(null, res!.payload as string),
  );
}

/** Bytes of a Stat on the wire: czxid, mzxid, ctime, mtime, version, cversion, aversion, ephemeralOwner, dataLength, numChildren, pzxid. */
const STAT_BYTES = 8 * 4 + 4 * 3 + 8 + 4 * 2 + 8;

/**
 * getData for every path in one `multiRead` request (ZooKeeper 3.6+, OpCode 22), without watches.
 * Each result is the node's text, or the ZooKeeper error code of that one read (the reads of a
 * multiRead fail one by one, not as a whole); `err` is for the request itself (connection loss).
 */
/** The body of a multiRead of getData (no watches) on `paths`: its length, and its writer. */
export function multiReadGetData(paths: readonly string[]): { len: number; write: (e: Enc) => void } {
  let len = 9;
  for (const p of paths) len += 9 + strLen(p) + 1;
  const write = (e: Enc): void => {
    for (const p of paths) {
      e.int(OP.GET_DATA);
      e.bool(false);
      e.int(-1);
      e.str(p);
      e.bool(false);
    }
    e.int(-1);
    e.bool(true);
    e.int(-1);
  };
  return { len, write };
}

export function multiReadText(client: zk.Client, paths: readonly string[], cb: TextReply<(string | number)[]>): void {
  const { len, write } = multiReadGetData(paths);
  const decode = (buf: Buffer, off: number): (string | number)[] => {
    const out: (string | number)[] = [];
    for (;;) {
      const type = buf.readInt32BE(off);
      const done = buf[off + 4] === 1;
      off += 9; // type, done, err
      if (done) return out;
      if (type === OP.GET_DATA) {
        out.push(text(buf, off));
        off += 4 + Math.max(0, buf.readInt32BE(off)) + STAT_BYTES;
      } else if (type === OP.ERROR) {
        out.push(buf.readInt32BE(off));
        off += 4;
      } else {
        throw Object.assign(new Error(`unexpected op type ${type} in a multiRead reply`), { code: -2 });
      }
    }
  };
  manager(client)!.queue(new RawRequest(OP.MULTI_READ, len, write, decode), (err, res) => {
    if (err) return cb(err);
    const out = res!.payload as (string | number)[];
    if (out.length !== paths.length) return cb(Object.assign(new Error(`a multiRead of ${paths.length} reads answered ${out.length}`), { code: -2 }));
    cb(null, out);
  });
}

/** The buffer (int length, bytes) at `off` as UTF-8 text; '' for a null (-1) or empty buffer. */
function text(buf: Buffer, off: number): string {
  const n = buf.readInt32BE(off);
  return n <= 0 ? '' : buf.toString('utf8', off + 4, off + 4 + n);
}
