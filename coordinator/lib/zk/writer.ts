import { isTimeout, PreconditionError, ZkError } from '../../../shared/errors';
import { asZkError, describeZkCode, ZK_CODE, zkCodeOf } from '../../../shared/zk/client';
import type { ZkConn } from './conn';
import { corked, getData, multi, MULTI_OVERHEAD, MultiOp, multiOpBytes, RawAcl, setACL } from './wire';

/**
 * Writes a stream of creates, setDatas and deletes in `multi` transactions bounded by serialized
 * bytes, with several in flight on one session (a session's requests are applied in order, so a
 * parent created in one batch exists for the children in the next).
 *
 * Limits: a multi's serialized request must stay under the server's
 * `jute.maxbuffer` (1,048,575 bytes by default); above it the server logs "Len error", closes the
 * connection and applies nothing, and the client only sees CONNECTION_LOSS. So batches default to a
 * quarter of that, and an op bigger than the budget goes alone.
 *
 * Failure model: a multi is atomic. After CONNECTION_LOSS its outcome is unknown, so the failed batch
 * is never re-sent blindly: the writer waits for the connection, re-reads every node the batch
 * touches, drops what is already in place and sends only the rest. A batch the server keeps refusing
 * is split to single ops, and an op that still fails is reported by path. Re-running a copy after any
 * failure converges because every step compares before it writes.
 */

export interface WriterOptions {
  /** Serialized bytes per multi, ops and framing included. @default 262144 (256 KiB, a quarter of jute.maxbuffer) */
  batchBytes?: number;
  /** Multis in flight at once. @default 4 */
  maxInFlight?: number;
  /** Called with each batch's original ops once they are in place (for counters and progress). */
  onApplied?: (ops: readonly MultiOp[]) => void;
}

export const WRITER_DEFAULTS = { batchBytes: 256 * 1024, maxInFlight: 4 } as const;

interface Batch {
  seq: number;
  ops: MultiOp[];
  bytes: number;
}

const RETRYABLE = new Set<number>([ZK_CODE.CONNECTION_LOSS, ZK_CODE.OPERATION_TIMEOUT, ZK_CODE.SESSION_EXPIRED]);
/** Consecutive connection losses on one batch (with the connection back in between) before it is split or reported. */
const MAX_LOSSES = 3;

export class BatchWriter {
  private readonly budget: number;
  private readonly maxInFlight: number;
  private current: Batch;
  private seq = 0;
  private readonly ready: Batch[] = [];
  private readonly failed: Batch[] = [];
  private inflight = 0;
  private recovering = false;
  private flushing = false;
  private scheduled = false;
  private fatal: unknown;
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private drainListeners: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Bytes pushed and not yet in place. */
  backlogBytes = 0;
  /** Multis sent (first attempts and retries). */
  multis = 0;
  /** Batches that needed recovery after a failure. */
  recoveries = 0;

  constructor(
    private readonly conn: ZkConn,
    private readonly opts: WriterOptions = {},
  ) {
    this.budget = opts.batchBytes ?? WRITER_DEFAULTS.batchBytes;
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? WRITER_DEFAULTS.maxInFlight);
    this.current = this.newBatch();
  }

  private newBatch(): Batch {
    return { seq: this.seq++, ops: [], bytes: MULTI_OVERHEAD };
  }

  /** Queue one op. Throws the writer's fatal error if it already failed. */
  push(op: MultiOp): void {
    if (this.fatal !== undefined) throw this.fatal;
    const bytes = multiOpBytes(op);
    if (this.current.ops.length > 0 && this.current.bytes + bytes > this.budget) this.seal();
    this.current.ops.push(op);
    this.current.bytes += bytes;
    this.backlogBytes += bytes;
    if (this.current.bytes >= this.budget) this.seal();
    this.schedule();
  }

  /** Register a callback for when the backlog shrinks (the reader resumes on it). */
  onDrain(f: () => void): void {
    this.drainListeners.push(f);
  }

  /** Resolve when everything pushed so far is in place; reject with the first fatal error. */
  flush(): Promise<void> {
    if (this.fatal !== undefined) return Promise.reject(this.fatal);
    this.flushing = true;
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.pump();
    this.checkIdle();
    return p;
  }

  /** Stop the watchdog; pending work is abandoned (call after flush, or on abort). */
  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private seal(): void {
    if (this.current.ops.length === 0) return;
    this.ready.push(this.current);
    this.current = this.newBatch();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // Ops arrive in bursts (one per socket chunk of source replies); batching them per tick keeps
    // multis full instead of sending the first op of each burst alone.
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.recovering || this.fatal !== undefined) return;
    if (this.inflight < this.maxInFlight && this.ready.length === 0 && (this.flushing || this.inflight === 0)) this.seal();
    if (this.ready.length === 0) return;
    if (!this.timer) {
      this.timer = setInterval(() => this.watchdog(), 250);
      this.timer.unref();
    }
    corked(this.conn.client, () => {
      while (this.inflight < this.maxInFlight && this.ready.length > 0) this.send(this.ready.shift()!);
    });
  }

  private send(b: Batch): void {
    this.inflight++;
    this.multis++;
    multi(this.conn.client, b.ops, (err) => {
      this.inflight--;
      this.conn.lastReplyAt = Date.now();
      if (err) {
        this.failed.push(b);
        this.recovering = true;
        if (this.inflight === 0) void this.recover();
        return;
      }
      this.done(b);
      this.pump();
      this.checkIdle();
    });
  }

  private done(b: Batch): void {
    this.backlogBytes -= b.bytes - MULTI_OVERHEAD;
    this.opts.onApplied?.(b.ops);
    for (const f of this.drainListeners) f();
  }

  /** Recover failed batches in order once nothing else is in flight, then carry on. */
  private async recover(): Promise<void> {
    try {
      this.failed.sort((a, b) => a.seq - b.seq);
      while (this.failed.length > 0) {
        const b = this.failed.shift()!;
        this.recoveries++;
        await this.settleOps(b.ops);
        this.done(b);
      }
      this.recovering = false;
      this.pump();
      this.checkIdle();
    } catch (e) {
      this.die(e);
    }
  }

  /** Make `ops` true on the server: re-read, send what is missing, split a batch the server keeps refusing. */
  private async settleOps(ops: readonly MultiOp[]): Promise<void> {
    let losses = 0;
    for (;;) {
      await this.conn.whenConnected();
      let remaining: MultiOp[];
      try {
        remaining = await this.reconcile(ops);
      } catch (e) {
        if (RETRYABLE.has(zkCodeOf(e) ?? 0)) continue;
        throw e;
      }
      if (remaining.length === 0) return;
      try {
        await this.commit(remaining);
        return;
      } catch (e) {
        if (isTimeout(e)) throw e; // the target stopped answering: no point in splitting
        const code = zkCodeOf(e);
        if (code !== undefined && RETRYABLE.has(code) && ++losses < MAX_LOSSES) continue;
        if (remaining.length > 1) {
          for (const op of remaining) await this.settleOps([op]);
          return;
        }
        throw opError(remaining[0]!, e, this.conn.hosts, code !== undefined && RETRYABLE.has(code));
      }
    }
  }

  private commit(ops: readonly MultiOp[]): Promise<void> {
    this.multis++;
    return this.conn.deadline(
      new Promise((resolve, reject) => multi(this.conn.client, ops, (err) => (err ? reject(err) : resolve()))),
      `a multi of ${ops.length} op(s) starting at ${ops[0]?.path ?? ''}`,
    );
  }

  /** Re-read the nodes `ops` touch and return the ops still needed (a create whose node exists with other data becomes a set). */
  private reconcile(ops: readonly MultiOp[]): Promise<MultiOp[]> {
    return this.conn.deadline(this.reread(ops), `re-reading ${ops.length} node(s) after a failed multi`);
  }

  private reread(ops: readonly MultiOp[]): Promise<MultiOp[]> {
    return new Promise((resolve, reject) => {
      const out: (MultiOp | undefined)[] = new Array(ops.length);
      let left = ops.length;
      let failed = false;
      const client = this.conn.client;
      corked(client, () =>
        ops.forEach((op, i) =>
          getData(client, op.path, (err, r) => {
            if (failed) return;
            const code = zkCodeOf(err);
            if (err && code !== ZK_CODE.NO_NODE) {
              failed = true;
              return reject(err);
            }
            const exists = !err;
            const same = exists && sameData(r!.data, op.kind === 'delete' ? null : op.data);
            if (op.kind === 'create') out[i] = !exists ? op : same ? undefined : { kind: 'set', path: op.path, data: op.data };
            else if (op.kind === 'set') {
              if (!exists) {
                failed = true;
                return reject(new PreconditionError(`${op.path} disappeared from the target ${this.conn.hosts} while it was being written: is something else writing there?`));
              }
              out[i] = same ? undefined : op;
            } else out[i] = exists ? op : undefined;
            if (--left === 0) resolve(out.filter((o): o is MultiOp => o !== undefined));
          }),
        ),
      );
      if (ops.length === 0) resolve([]);
    });
  }

  private watchdog(): void {
    if (this.fatal !== undefined) return;
    const c = this.conn;
    if (c.error) return this.die(c.error);
    if (this.inflight === 0 && !this.recovering) return;
    const now = Date.now();
    // Recovery's own requests are not counted in `inflight`; the deadline covers them too.
    if (c.downSince !== undefined && now - c.downSince > c.opts.retryTimeoutMs) return this.die(c.unreachable());
    if (this.inflight > 0 && c.downSince === undefined && now - c.lastReplyAt > c.opts.retryTimeoutMs / 4) c.kick();
  }

  private checkIdle(): void {
    if (this.fatal !== undefined || !this.flushing) return;
    if (this.current.ops.length || this.ready.length || this.inflight || this.failed.length || this.recovering) return;
    this.flushing = false;
    const w = this.waiters;
    this.waiters = [];
    for (const x of w) x.resolve();
  }

  private die(e: unknown): void {
    if (this.fatal !== undefined) return;
    this.fatal = asZkError('write', '', e);
    this.close();
    const w = this.waiters;
    this.waiters = [];
    for (const x of w) x.reject(this.fatal);
    for (const f of this.drainListeners) f();
  }

  /** The error that stopped the writer, if any. */
  get error(): unknown {
    return this.fatal;
  }
}

function sameData(a: Buffer | null, b: Buffer | null): boolean {
  if (a === null || b === null) return a === b;
  return a.equals(b);
}

const VERB = { create: 'create', set: 'update', delete: 'delete' } as const;

function opError(op: MultiOp, err: unknown, hosts: string, connectionLost: boolean): Error {
  const size = op.kind === 'delete' ? 0 : (op.data?.length ?? 0);
  const bytes = multiOpBytes(op) + MULTI_OVERHEAD;
  const code = zkCodeOf(err);
  if (connectionLost) {
    const hint =
      bytes > 512 * 1024
        ? ` The request is ${bytes.toLocaleString('en-US')} bytes: the server most likely refuses it as larger than its jute.maxbuffer (1,048,575 bytes by default; raise it on the target's servers and clients alike, or leave the node out with --exclude).`
        : ' The target keeps dropping the connection.';
    return new ZkError(`the target ${hosts} closed the connection each time zkmig tried to ${VERB[op.kind]} ${op.path} (${size.toLocaleString('en-US')} bytes of data).${hint}`, {
      zkCode: code,
      path: op.path,
      cause: err,
    });
  }
  const what =
    code === ZK_CODE.NO_AUTH
      ? 'not authorized (the ACL of the node or its parent on the target does not allow this session; pass --auth)'
      : code === ZK_CODE.NODE_EXISTS
        ? 'the node already exists'
        : code === ZK_CODE.NO_NODE
          ? 'its parent does not exist on the target'
          : code === ZK_CODE.NOT_EMPTY
            ? 'it has children on the target (something created them meanwhile?)'
            : code === ZK_CODE.NO_CHILDREN_FOR_EPHEMERALS
              ? 'its parent on the target is an ephemeral node'
              : code !== undefined
                ? describeZkCode(code)
                : `ZooKeeper error ${String(err)}`;
  return new ZkError(`could not ${VERB[op.kind]} ${op.path} on the target ${hosts}: ${what}`, { zkCode: code, path: op.path, cause: err });
}

/**
 * Set ACLs (not allowed inside a multi) with up to `window` requests in flight. setACL with version
 * -1 is idempotent, so after a connection loss the same request is simply sent again.
 */
export async function applyAcls(conn: ZkConn, items: readonly { path: string; acl: readonly RawAcl[] }[], window = 200): Promise<void> {
  let next = 0;
  const runOne = async (item: { path: string; acl: readonly RawAcl[] }): Promise<void> => {
    for (let losses = 0; ; ) {
      await conn.whenConnected();
      try {
        await conn.deadline(
          new Promise<void>((resolve, reject) => setACL(conn.client, item.path, item.acl, (err) => (err ? reject(err) : resolve()))),
          `setACL ${item.path}`,
        );
        conn.lastReplyAt = Date.now();
        return;
      } catch (e) {
        if (isTimeout(e)) throw e;
        const code = zkCodeOf(e);
        if (code !== undefined && RETRYABLE.has(code) && ++losses < 10) continue;
        throw new ZkError(
          `could not set the ACL of ${item.path} on the target ${conn.hosts}: ${code === ZK_CODE.NO_AUTH ? 'not authorized (this session lacks ADMIN on it; pass --auth)' : code !== undefined ? describeZkCode(code) : `ZooKeeper error ${String(e)}`}`,
          { zkCode: code, path: item.path, cause: e },
        );
      }
    }
  };
  const worker = async (): Promise<void> => {
    while (next < items.length) await runOne(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(window, items.length) }, worker));
}
