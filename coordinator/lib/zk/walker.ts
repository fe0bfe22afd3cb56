import { PreconditionError, TimeoutError } from '../../../shared/errors';
import { asZkError, ZK_CODE, wrapZkError, zkCodeOf } from '../../../shared/zk/client';
import { joinPath } from '../../../shared/zk/endpoint';
import { AclKey, aclKey } from './acl';
import type { ZkConn } from './conn';
import { dataHash } from './tree-index';
import { corked, getACL, getChildren, getData, multiReadData, NodeStat, RawAcl } from './wire';

/**
 * The pipelined tree reader. It walks a subtree over one or more sessions ("lanes"), each with a
 * bounded number of requests in flight, and never waits for one node before asking for the next.
 * Per node: getData and getACL (both return the Stat); getChildren only when `stat.numChildren > 0`,
 * so the leaves that make up most of a Pegasus tree (partition nodes) cost two requests. Measured
 * here (ZooKeeper 3.8, loopback, 100,000 nodes): 300,000 requests issued at once took 60 s, a window
 * of 500 on one session about 14 s, and three sessions with about 100 each about 6 s, because the
 * server spends less CPU per request when the load arrives over several connections.
 *
 * A node's requests all go to one lane, so its Stats come from one server view; if getData and
 * getACL saw different versions the node is read again (as zkr does). Connection loss and session
 * expiry re-queue the node; a lane that stays silent is reconnected; an ensemble that stays
 * unreachable for `retryTimeoutMs` fails the walk.
 */

export interface WalkRecord {
  path: string;
  /** The data, when the walk keeps data (`keepData`); null otherwise and for null data. */
  data: Buffer | null;
  /** `dataHash()` of the data, when the walk reads data; '' otherwise. */
  hash: string;
  /** The ACL key, when the walk reads ACLs; '' otherwise. */
  acl: AclKey;
  /** The ACL itself (same as `acl`), when read. */
  rawAcl: RawAcl[] | undefined;
  dataLength: number;
  numChildren: number;
  /** 0n for persistent nodes, else the owning session id. */
  ephemeralOwner: bigint;
  mzxid: bigint;
  pzxid: bigint;
  /** ACL version: setACL moves it and fires no watch, so the live pre-copy (follow.ts) compares it. */
  aversion: number;
}

export interface WalkOptions {
  /** Sessions to read over; the caller opens and closes them. */
  lanes: ZkConn[];
  /**
   * Requests in flight per session (a getData inside a multiRead counts as one). @default 300 when
   * the ensemble supports multiRead, else 100 (measured: a deeper window of single requests made
   * the server slower, not faster).
   */
  window?: number;
  /** Read data (getData). Without it the Stat comes from getChildren2, one request per node (ls, rm). @default true */
  readData?: boolean;
  /** Hand the data bytes to `onRecord` (copy). Otherwise they are hashed and dropped (verify, diff). @default false */
  keepData?: boolean;
  /** Hash each node's data into `hash` (the digests need it; a reader of sizes does not). @default true */
  hashData?: boolean;
  /** Read ACLs. @default true */
  readAcl?: boolean;
  /** Called for each discovered child before it is read; return true to leave its subtree out. */
  skip?: (path: string) => boolean;
  /** Every node read, parents before their children. Throwing fails the walk. */
  onRecord: (r: WalkRecord) => void;
  /**
   * The caller learns of every change made after the walk started by other means (the live
   * pre-copy's change stream, follow.ts): a node that keeps changing between its requests is
   * recorded after a few re-reads, each part as its own request read it, instead of failing the
   * walk. A busy parent (children created and deleted many times a second) never reads the same
   * twice in a row on a loaded server. @default false
   */
  acceptChanging?: boolean;
  /** Back-pressure: while it returns true no new node is started; call `resume()` when it turns false. */
  blocked?: () => boolean;
  signal?: AbortSignal;
}

export interface WalkStats {
  /** Nodes read (ephemeral included). */
  nodes: number;
  /** Nodes that disappeared between being listed and being read. */
  vanished: number;
  /** Nodes read again because they changed while being read, or a connection dropped. */
  rereads: number;
  maxMzxid: bigint;
  maxPzxid: bigint;
}

interface Lane {
  conn: ZkConn;
  inflight: number;
  followups: NodeRead[];
  /** Nodes started in this burst whose getData goes into one multiRead. */
  batch: NodeRead[];
}

/** getData ops per multiRead request. */
const MULTI_READ_OPS = 128;

interface NodeRead {
  path: string;
  lane: Lane;
  attempt: number;
  pending: number;
  err: unknown;
  data: Buffer | null;
  dstat: NodeStat | undefined;
  acl: RawAcl[] | undefined;
  astat: NodeStat | undefined;
  cstat: NodeStat | undefined;
  children: string[] | undefined;
}

const RETRYABLE = new Set<number>([ZK_CODE.CONNECTION_LOSS, ZK_CODE.OPERATION_TIMEOUT, ZK_CODE.SESSION_EXPIRED]);
/** A node that changed this many times in a row while being read means writers are active. */
const MAX_REREADS = 20;
/** Re-reads before a changing node is accepted as read (`acceptChanging`). */
const ACCEPT_AFTER = 3;

export class TreeWalker {
  private readonly queue: string[] = [];
  private readonly lanes: Lane[];
  private readonly window: number;
  private readonly readData: boolean;
  private readonly keepData: boolean;
  private readonly hashData: boolean;
  private readonly readAcl: boolean;
  private nodesInFlight = 0;
  private scheduled = false;
  private finished = false;
  private root = '/';
  private resolve!: (s: WalkStats) => void;
  private reject!: (e: unknown) => void;
  private timer: NodeJS.Timeout | undefined;
  readonly stats: WalkStats = { nodes: 0, vanished: 0, rereads: 0, maxMzxid: 0n, maxPzxid: 0n };
  /** Nodes re-queued because they changed while being read, and how often. */
  private readonly changed = new Map<string, number>();

  constructor(private readonly opts: WalkOptions) {
    if (opts.lanes.length === 0) throw new Error('TreeWalker needs at least one session');
    this.lanes = opts.lanes.map((conn) => ({ conn, inflight: 0, followups: [], batch: [] }));
    this.window = Math.max(4, opts.window ?? (opts.lanes.every((c) => c.multiRead && c.fast) ? 300 : 100));
    this.readData = opts.readData ?? true;
    this.keepData = opts.keepData ?? false;
    this.hashData = opts.hashData ?? true;
    this.readAcl = opts.readAcl ?? true;
  }

  /** Walk the subtree at `root` (which must exist). Resolves when every node was read. */
  run(root: string): Promise<WalkStats> {
    this.root = root;
    this.queue.push(root);
    return new Promise<WalkStats>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      const onAbort = (): void => this.fail(this.opts.signal?.reason ?? new Error('aborted'));
      if (this.opts.signal?.aborted) return onAbort();
      this.opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.timer = setInterval(() => this.watchdog(), 250);
      this.pump();
    }).finally(() => {
      clearInterval(this.timer);
    });
  }

  /** Nodes discovered but not yet read, plus those being read: what is known to be left. */
  get pending(): number {
    return this.queue.length + this.nodesInFlight;
  }

  /** Stop the walk: `run()` rejects with `reason` (e.g. the writer failed). */
  abort(reason: unknown): void {
    this.fail(reason);
  }

  /** Call when `blocked()` turned false. */
  resume(): void {
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.finished) return;
    this.scheduled = true;
    // One pump per batch of replies, so refilling sends one corked burst instead of one write per
    // reply. setImmediate, not nextTick: over TLS each record (one reply: the server flushes every
    // response on its own) reaches JavaScript as its own 'data' callback, and ticks run after each,
    // so nextTick refilled once per reply. Measured on 100k znodes over TLS that was one TLS write
    // (SSL_write plus a syscall) per node read; setImmediate waits for every record of the socket
    // read. Plaintext delivers a whole chunk per callback and is unchanged.
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.finished) return;
    const blocked = this.opts.blocked?.() ?? false;
    for (const lane of this.lanes) {
      if (lane.followups.length === 0 && (blocked || this.queue.length === 0)) continue;
      if (!lane.conn.usable) continue;
      corked(lane.conn.client, () => {
        for (const n of lane.followups.splice(0)) this.requestChildren(n);
        // A lane whose connection is down gets no new nodes; the others take the queue.
        if (blocked || lane.conn.downSince !== undefined) return;
        while (lane.inflight + 3 <= this.window && this.queue.length > 0) {
          const path = this.queue.pop()!;
          this.start(lane, path, this.changed.get(path) ?? 0);
        }
        this.flushBatch(lane);
      });
    }
    if (this.queue.length === 0 && this.nodesInFlight === 0) this.finish();
  }

  private start(lane: Lane, path: string, attempt: number): void {
    const n: NodeRead = { path, lane, attempt, pending: 0, err: undefined, data: null, dstat: undefined, acl: undefined, astat: undefined, cstat: undefined, children: undefined };
    this.nodesInFlight++;
    const client = lane.conn.client;
    if (this.readData) {
      n.pending++;
      lane.inflight++;
      if (lane.conn.multiRead && lane.conn.fast) lane.batch.push(n);
      else getData(client, path, (err, r) => this.gotData(n, err, r?.data ?? null, r?.stat));
    }
    if (this.readAcl) {
      n.pending++;
      lane.inflight++;
      getACL(client, path, (err, r) => {
        if (!err && r) {
          n.acl = r.acl;
          n.astat = r.stat;
          if (!this.readData && r.stat.numChildren > 0) this.wantChildren(n);
        }
        this.settle(n, err);
      });
    }
    if (!this.readData && !this.readAcl) {
      n.pending++;
      this.requestChildren(n);
    }
  }

  private gotData(n: NodeRead, err: unknown, data: Buffer | null, stat: NodeStat | undefined): void {
    if (!err && stat) {
      n.data = data;
      n.dstat = stat;
      if (stat.numChildren > 0) this.wantChildren(n);
    }
    this.settle(n, err);
  }

  /** Send the burst's getData requests as multiRead requests (one server request per up to 128 nodes). */
  private flushBatch(lane: Lane): void {
    while (lane.batch.length > 0) {
      const nodes = lane.batch.splice(0, MULTI_READ_OPS);
      multiReadData(
        lane.conn.client,
        nodes.map((n) => n.path),
        (err, results) => {
          nodes.forEach((n, i) => {
            const r = results?.[i];
            if (err || !r) return this.gotData(n, err ?? { code: ZK_CODE.CONNECTION_LOSS }, null, undefined);
            if ('err' in r) return this.gotData(n, { code: r.err }, null, undefined);
            this.gotData(n, null, r.data, r.stat);
          });
        },
      );
    }
  }

  /** Ask for the children on the node's lane in the next corked burst. */
  private wantChildren(n: NodeRead): void {
    if (n.children !== undefined || n.cstat !== undefined) return;
    n.pending++;
    n.lane.followups.push(n);
    this.schedule();
  }

  private requestChildren(n: NodeRead): void {
    n.lane.inflight++;
    getChildren(n.lane.conn.client, n.path, (err, r) => {
      if (!err && r) {
        n.children = r.children;
        n.cstat = r.stat;
      }
      this.settle(n, err);
    });
  }

  private settle(n: NodeRead, err: unknown): void {
    n.lane.inflight--;
    n.lane.conn.lastReplyAt = Date.now();
    if (err && n.err === undefined) n.err = err;
    if (--n.pending > 0 || this.finished) return;
    this.nodesInFlight--;
    try {
      this.complete(n);
    } catch (e) {
      this.fail(e);
      return;
    }
    this.schedule();
  }

  private complete(n: NodeRead): void {
    if (n.err !== undefined) {
      const code = zkCodeOf(n.err);
      if (code !== undefined && RETRYABLE.has(code)) {
        this.stats.rereads++;
        this.queue.push(n.path);
        return;
      }
      if (code === ZK_CODE.NO_NODE) {
        if (n.path === this.root) throw new PreconditionError(`${n.path} does not exist on ZooKeeper ${n.lane.conn.hosts}`, { context: { path: n.path } });
        this.stats.vanished++;
        return;
      }
      if (code === ZK_CODE.NO_AUTH) {
        throw new PreconditionError(
          `not authorized to read ${n.path} on ZooKeeper ${n.lane.conn.hosts}: its ACL does not let this session read it; ` +
            'pass --auth user:password (or set ZKMIG_ZK_AUTH) for an identity it allows',
          { context: { path: n.path } },
        );
      }
      throw wrapZkError('read', n.path, n.err);
    }
    const stats = [n.dstat, n.astat, n.cstat].filter((s): s is NodeStat => s !== undefined);
    const first = stats[0]!;
    const childrenAgree = n.children === undefined || n.children.length === first.numChildren;
    const agree = childrenAgree && stats.every((s) => s.mzxid === first.mzxid && s.aversion === first.aversion && s.cversion === first.cversion);
    if (!agree && !(this.opts.acceptChanging && n.attempt >= ACCEPT_AFTER)) {
      // The node changed between our requests: read it again so data, ACL and children agree.
      if (n.attempt >= MAX_REREADS) {
        throw new PreconditionError(`${n.path} changed ${MAX_REREADS} times while being read: something is writing to this tree; stop its writers first`, {
          context: { path: n.path },
        });
      }
      this.stats.rereads++;
      this.changed.set(n.path, n.attempt + 1);
      this.queue.push(n.path);
      return;
    }
    if (n.attempt > 0) this.changed.delete(n.path);
    this.stats.nodes++;
    const mzxid = first.mzxid;
    const pzxid = first.pzxid;
    if (mzxid > this.stats.maxMzxid) this.stats.maxMzxid = mzxid;
    if (pzxid > this.stats.maxPzxid) this.stats.maxPzxid = pzxid;
    this.opts.onRecord({
      path: n.path,
      data: this.keepData ? n.data : null,
      hash: this.readData && this.hashData ? dataHash(n.data) : '',
      acl: n.acl ? aclKey(n.acl) : '',
      rawAcl: n.acl,
      dataLength: first.dataLength,
      numChildren: first.numChildren,
      ephemeralOwner: first.ephemeralOwner,
      mzxid,
      pzxid,
      aversion: first.aversion,
    });
    if (n.children) {
      for (const c of n.children) {
        const p = joinPath(n.path, c);
        if (!this.opts.skip?.(p)) this.queue.push(p);
      }
    }
  }

  /** Every 250 ms: fail lanes that stayed unreachable, reconnect lanes that went silent, retry a stuck pump. */
  private watchdog(): void {
    if (this.finished) return;
    const now = Date.now();
    for (const lane of this.lanes) {
      const c = lane.conn;
      if (c.error) return this.fail(c.error);
      if (c.downSince !== undefined && now - c.downSince > c.opts.retryTimeoutMs && (lane.inflight > 0 || this.queue.length > 0)) {
        return this.fail(c.unreachable());
      }
      if (lane.inflight > 0 && c.downSince === undefined && now - c.lastReplyAt > c.opts.retryTimeoutMs / 4) c.kick();
    }
    if (this.queue.length > 0 && this.lanes.every((l) => !l.conn.usable || l.conn.downSince !== undefined)) {
      const oldest = Math.min(...this.lanes.map((l) => l.conn.downSince ?? now));
      const limit = this.lanes[0]!.conn.opts.retryTimeoutMs;
      if (now - oldest > limit) return this.fail(new TimeoutError(`ZooKeeper ${this.lanes[0]!.conn.hosts} unreachable for ${limit} ms`));
    }
    this.pump();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.resolve(this.stats);
  }

  private fail(e: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.reject(asZkError('read', '', e));
  }
}

/** Walk `root` with `opts`; see TreeWalker. */
export function walkTree(root: string, opts: WalkOptions): Promise<WalkStats> {
  return new TreeWalker(opts).run(root);
}
