import { TimeoutError } from '../../../shared/errors';
import { asZkError, connectZkClient, ZK_CODE, zk } from '../../../shared/zk/client';
import type { ZkSecurity } from '../../../shared/zk/security';
import { closeClient, failQueued } from '../../../shared/zk/client-internals';
import { dropConnection, fastReplies, installFastReplies, multiReadData, syncPath } from './wire';

/** How the copy engine talks to one ensemble. */
export interface ConnOptions {
  /** Session timeout asked of the server. @default 30000 */
  sessionTimeoutMs?: number;
  /** How long to wait for the first connection. @default 15000 */
  connectTimeoutMs?: number;
  /** Digest credentials `user:password`, added to every session. */
  auth?: string;
  /** TLS and SASL for this ensemble; `side` names it in errors. */
  security?: ZkSecurity;
  /**
   * How long a read or write may go unanswered, and how long the ensemble may stay unreachable,
   * before the operation fails. node-zookeeper-client has no request deadline of its own (a server
   * that stops answering without closing the socket would hang it forever), so the engine enforces
   * this one. @default 60000
   */
  retryTimeoutMs?: number;
}

export const CONN_DEFAULTS: Required<Omit<ConnOptions, 'auth' | 'security'>> = { sessionTimeoutMs: 30000, connectTimeoutMs: 15000, retryTimeoutMs: 60000 };

/**
 * One session to one ensemble that survives what a long copy meets: a connection loss (the client
 * reconnects by itself; in-flight requests fail with CONNECTION_LOSS and the caller re-issues them)
 * and a session expiry (the client is dead for good, so a new session is opened). Persistent nodes
 * do not depend on the session, so a fresh one is as good as the old.
 */
export class ZkConn {
  private current: zk.Client;
  private reopening: Promise<void> | undefined;
  private closed = false;
  private waiters: (() => void)[] = [];
  /** When the last reply arrived (or the connection came up); the stall watchdog compares against it. */
  lastReplyAt = Date.now();
  /** Since when the connection has been down, or undefined while connected. */
  downSince: number | undefined;
  private fatal: Error | undefined;
  private readonly handshakeTimer: NodeJS.Timeout;
  private lastAttemptKick = 0;

  /** Sessions that expired and were replaced by a new one. */
  expiries = 0;
  /** Set by the caller once it knows the ensemble answers `multiRead` (see probeMultiRead). */
  multiRead = false;

  private constructor(
    readonly hosts: string,
    readonly opts: ConnOptions & typeof CONN_DEFAULTS,
    client: zk.Client,
  ) {
    this.current = client;
    this.watch(this.current);
    // node-zookeeper-client 1.1.3 clears its connect timer once the TCP connection is up and then
    // waits for the ConnectResponse without any deadline. Seen here when a restarted server accepted
    // the socket before it was ready: the client sat in CONNECTING forever. So while the connection
    // is down, drop the attempt every few seconds and let the client try again.
    this.handshakeTimer = setInterval(() => this.nudge(), 500);
    this.handshakeTimer.unref();
  }

  private nudge(): void {
    if (this.closed || this.reopening || this.downSince === undefined) return;
    const now = Date.now();
    const every = Math.min(5000, Math.max(1000, this.opts.sessionTimeoutMs / 10));
    if (now - this.downSince < every || now - this.lastAttemptKick < every) return;
    this.lastAttemptKick = now;
    dropConnection(this.current);
  }

  static async open(hosts: string, opts: ConnOptions = {}): Promise<ZkConn> {
    const o = { ...CONN_DEFAULTS, ...opts };
    return new ZkConn(hosts, o, await connectClient(hosts, o, o.connectTimeoutMs));
  }

  /** True when replies are decoded by the engine (required for multiRead). */
  get fast(): boolean {
    return fastReplies(this.current);
  }

  /** The live client. Requests issued while it is reconnecting queue inside it and go out once connected. */
  get client(): zk.Client {
    return this.current;
  }

  /** False while a new session is being opened after an expiry: requests would fail at once. */
  get usable(): boolean {
    return !this.reopening && !this.closed && this.fatal === undefined;
  }

  get connected(): boolean {
    return this.usable && this.downSince === undefined;
  }

  /** Set when a replacement session could not be opened; the operation must fail with it. */
  get error(): Error | undefined {
    return this.fatal;
  }

  private watch(c: zk.Client): void {
    c.on('disconnected', () => {
      if (c === this.current) this.downSince ??= Date.now();
    });
    c.on('connected', () => {
      if (c !== this.current) return;
      this.downSince = undefined;
      this.lastReplyAt = Date.now();
      this.wake();
    });
    c.on('expired', () => {
      if (c === this.current && !this.closed) void this.reopen();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private reopen(): Promise<void> {
    this.reopening ??= (async () => {
      this.downSince ??= Date.now();
      const deadline = Date.now() + this.opts.retryTimeoutMs;
      for (;;) {
        try {
          const c = await connectClient(this.hosts, this.opts, Math.max(1000, Math.min(this.opts.connectTimeoutMs, deadline - Date.now())));
          if (this.closed) return closeClient(c);
          const old = this.current;
          this.expiries++;
          this.current = c;
          this.watch(c);
          // Requests left in the expired client would never be answered; fail them so their
          // owners (walker, writer) re-issue them on the new session.
          failQueued(old, ZK_CODE.SESSION_EXPIRED);
          closeClient(old);
          this.downSince = undefined;
          this.lastReplyAt = Date.now();
          return;
        } catch (e) {
          if (this.closed) return;
          if (Date.now() >= deadline) {
            this.fatal = new TimeoutError(`ZooKeeper ${this.hosts}: session expired and no new session could be opened within ${this.opts.retryTimeoutMs} ms`, { cause: e });
            return;
          }
        }
      }
    })().finally(() => {
      this.reopening = undefined;
      this.wake();
    });
    return this.reopening;
  }

  /** Resolve once connected; reject with TimeoutError if the ensemble stays unreachable for `retryTimeoutMs`. */
  async whenConnected(): Promise<void> {
    for (;;) {
      if (this.fatal) throw this.fatal;
      if (this.closed) throw new TimeoutError(`ZooKeeper ${this.hosts}: connection closed`);
      if (this.connected) return;
      const since = this.downSince ?? Date.now();
      const left = since + this.opts.retryTimeoutMs - Date.now();
      if (left <= 0) throw this.unreachable();
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 1000));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /**
   * `p`, or a TimeoutError if it has not settled within `retryTimeoutMs`: the deadline for single
   * requests outside the walker and writer (which watch their own). The client keeps the request;
   * if an answer comes later it is ignored.
   */
  deadline<T>(p: Promise<T>, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(
        () => reject(new TimeoutError(`ZooKeeper ${this.hosts} did not answer ${what} within ${this.opts.retryTimeoutMs} ms (--retry-timeout)`, { context: { hosts: this.hosts } })),
        this.opts.retryTimeoutMs,
      );
      p.then(
        (v) => {
          clearTimeout(t);
          resolve(v);
        },
        (e: unknown) => {
          clearTimeout(t);
          reject(e);
        },
      );
    });
  }

  /**
   * Make this session's server catch up with the leader (see syncPath), so a walk over several
   * sessions reads one consistent, current view. A no-op without fast replies.
   */
  async sync(path: string): Promise<void> {
    await this.whenConnected();
    await this.deadline(
      new Promise<void>((resolve, reject) => syncPath(this.current, path, (err) => (err ? reject(asZkError('sync', path, err)) : resolve()))),
      `sync ${path}`,
    );
  }

  /** The error for an ensemble that has not answered for too long. */
  unreachable(): TimeoutError {
    return new TimeoutError(`ZooKeeper ${this.hosts} did not answer for ${this.opts.retryTimeoutMs} ms (--retry-timeout); nothing more was sent`, {
      context: { hosts: this.hosts },
    });
  }

  /**
   * Called by the engine's watchdog when requests are outstanding and nothing came back for
   * `retryTimeoutMs / 4`: drop the socket so the client fails them (CONNECTION_LOSS, retried by the
   * caller) and reconnects, possibly to another member.
   */
  kick(): void {
    this.lastReplyAt = Date.now();
    dropConnection(this.current);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.handshakeTimer);
    closeClient(this.current);
    this.wake();
  }
}

/** A client with the engine's reply decoder installed (before connecting: the client binds its data handler then). */
function connectClient(hosts: string, o: { sessionTimeoutMs: number; auth?: string; security?: ZkSecurity }, waitMs: number): Promise<zk.Client> {
  return connectZkClient(hosts, o, waitMs, installFastReplies);
}

const multiReadSupport = new Map<string, Promise<boolean>>();

/**
 * Does this ensemble answer `multiRead` (ZooKeeper 3.6+)? Asked once per ensemble on a throwaway
 * session: an older server may answer with an error, close the connection or not answer at all,
 * and none of that must disturb the sessions doing the work. Any doubt means no.
 */
export function probeMultiRead(hosts: string, opts: ConnOptions): Promise<boolean> {
  const key = hosts.split(',').sort().join(',');
  let p = multiReadSupport.get(key);
  if (!p) {
    p = (async () => {
      let conn: ZkConn | undefined;
      try {
        conn = await ZkConn.open(hosts, { ...opts, connectTimeoutMs: Math.min(opts.connectTimeoutMs ?? CONN_DEFAULTS.connectTimeoutMs, 5000) });
        if (!conn.fast) return false;
        const c = conn.client;
        return await new Promise<boolean>((resolve) => {
          const t = setTimeout(() => resolve(false), 3000);
          multiReadData(c, ['/'], (err, r) => {
            clearTimeout(t);
            resolve(!err && r?.length === 1 && 'stat' in r[0]!);
          });
        });
      } catch {
        return false;
      } finally {
        conn?.close();
      }
    })();
    multiReadSupport.set(key, p);
  }
  return p;
}
