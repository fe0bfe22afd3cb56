// Types only, from the client module itself: client.ts uses this codec, so importing it back would be a cycle.
import type * as zk from 'node-zookeeper-client';

/**
 * The jute (ZooKeeper wire format) pieces the engine encodes and decodes by hand: lengths, an
 * encoder, a decoder, the request object the client's ConnectionManager queues, and the Stat in the
 * engine's shape. Byte-for-byte the same as node-zookeeper-client's encoder (see
 * test/unit/zk-wire-pegasus.test.ts), without its per-field regexes and allocations.
 */

export const OP = {
  CREATE: 1,
  DELETE: 2,
  EXISTS: 3,
  GET_DATA: 4,
  SET_DATA: 5,
  GET_ACL: 6,
  SET_ACL: 7,
  GET_CHILDREN: 8,
  SYNC: 9,
  GET_CHILDREN2: 12,
  CHECK: 13,
  MULTI: 14,
  MULTI_READ: 22,
  ERROR: -1,
} as const;

/** The response callback: `err` is a client Exception (with a numeric `code`) or null. */
export type Reply<T> = (err: (Error & { code?: number }) | null, value: T | undefined) => void;

export interface RawAcl {
  perms: number;
  scheme: string;
  id: string;
}

/** The Stat fields the engine uses, 64-bit ones as bigint. */
export interface NodeStat {
  mzxid: bigint;
  pzxid: bigint;
  ephemeralOwner: bigint;
  version: number;
  cversion: number;
  aversion: number;
  dataLength: number;
  numChildren: number;
}

/** Bytes a jute ustring takes. */
export function strLen(s: string): number {
  return 4 + Buffer.byteLength(s);
}

export function aclLen(acl: readonly RawAcl[]): number {
  let n = 4;
  for (const a of acl) n += 4 + strLen(a.scheme) + strLen(a.id);
  return n;
}

export class Enc {
  off = 0;
  constructor(readonly buf: Buffer) {}
  int(v: number): void {
    this.buf.writeInt32BE(v, this.off);
    this.off += 4;
  }
  bool(v: boolean): void {
    this.buf[this.off++] = v ? 1 : 0;
  }
  str(s: string): void {
    const n = this.buf.write(s, this.off + 4, 'utf8');
    this.buf.writeInt32BE(n, this.off);
    this.off += 4 + n;
  }
  bytes(b: Buffer | null): void {
    if (b === null) return this.int(-1);
    this.int(b.length);
    b.copy(this.buf, this.off);
    this.off += b.length;
  }
  acl(acl: readonly RawAcl[]): void {
    this.int(acl.length);
    for (const a of acl) {
      this.int(a.perms);
      this.str(a.scheme);
      this.str(a.id);
    }
  }
}

export class Dec {
  constructor(
    readonly buf: Buffer,
    public off: number,
  ) {}
  int(): number {
    const v = this.buf.readInt32BE(this.off);
    this.off += 4;
    return v;
  }
  long(): bigint {
    const v = this.buf.readBigInt64BE(this.off);
    this.off += 8;
    return v;
  }
  bool(): boolean {
    return this.buf[this.off++] === 1;
  }
  str(): string {
    const n = this.int();
    if (n < 0) return '';
    const s = this.buf.toString('utf8', this.off, this.off + n);
    this.off += n;
    return s;
  }
  /** Data bytes as a copy (the packet's buffer is the socket's and must not be retained). */
  bytes(): Buffer | null {
    const n = this.int();
    if (n < 0) return null;
    const b = Buffer.from(this.buf.subarray(this.off, this.off + n));
    this.off += n;
    return b;
  }
  stat(): NodeStat {
    this.off += 8; // czxid
    const mzxid = this.long();
    this.off += 16; // ctime, mtime
    const version = this.int();
    const cversion = this.int();
    const aversion = this.int();
    const ephemeralOwner = this.long();
    const dataLength = this.int();
    const numChildren = this.int();
    const pzxid = this.long();
    return { mzxid, pzxid, ephemeralOwner, version, cversion, aversion, dataLength, numChildren };
  }
  acl(): RawAcl[] {
    const n = this.int();
    const out: RawAcl[] = [];
    for (let i = 0; i < n; i++) {
      const perms = this.int();
      const scheme = this.str();
      out.push({ perms, scheme, id: this.str() });
    }
    return out;
  }
  strings(): string[] {
    const n = this.int();
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.str());
    return out;
  }
}

/** A request shaped the way ConnectionManager expects (`header.{xid,type}`, `toBuffer()`), with our own reply decoder. */
export class RawRequest {
  readonly header: { xid: number; type: number };
  readonly payload = null;
  constructor(
    type: number,
    private readonly bodyLen: number,
    private readonly write: (e: Enc) => void,
    readonly decode: ((buf: Buffer, off: number) => unknown) | undefined,
  ) {
    this.header = { xid: 0, type };
  }
  toBuffer(): Buffer {
    const buf = Buffer.allocUnsafe(12 + this.bodyLen);
    const e = new Enc(buf);
    e.int(8 + this.bodyLen);
    e.int(this.header.xid);
    e.int(this.header.type);
    this.write(e);
    return buf;
  }
}

/** A Stat from the client's own parser (64-bit fields as Buffers) in our shape. */
export function fromClientStat(s: zk.Stat): NodeStat {
  return {
    mzxid: s.mzxid.readBigInt64BE(0),
    pzxid: s.pzxid.readBigInt64BE(0),
    ephemeralOwner: s.ephemeralOwner.readBigInt64BE(0),
    version: s.version,
    cversion: s.cversion,
    aversion: s.aversion,
    dataLength: s.dataLength,
    numChildren: s.numChildren,
  };
}

/** The reply payload, whichever parser produced it. */
export function statOf(s: unknown): NodeStat {
  return typeof (s as NodeStat).mzxid === 'bigint' ? (s as NodeStat) : fromClientStat(s as zk.Stat);
}
