import { AsyncLocalStorage } from 'node:async_hooks';
import * as zk from 'node-zookeeper-client';
import { AppError, TimeoutError, ZkError } from '../errors';
import { getDataText, multiReadText, rawReads } from './bulk-read';
import { closeClient, corked, installFastReplies } from './client-internals';
import { describeZkCode, patchClientExceptions } from './codes';
import { secureClient } from './secure-connect';
import { sideName, ZkSecurity } from './security';

export { zk };
export { describeZkCode, ZK_CODES, zkCodeName } from './codes';

// Before any client exists: node-zookeeper-client must not throw on codes newer than ZooKeeper 3.4.
patchClientExceptions();

/** ZooKeeper error codes we branch on (org.apache.zookeeper.KeeperException.Code). */
export const ZK_CODE = {
  CONNECTION_LOSS: -4,
  OPERATION_TIMEOUT: -7,
  NO_NODE: -101,
  NO_AUTH: -102,
  BAD_VERSION: -103,
  NO_CHILDREN_FOR_EPHEMERALS: -108,
  NODE_EXISTS: -110,
  NOT_EMPTY: -111,
  SESSION_EXPIRED: -112,
  INVALID_ACL: -114,
  AUTH_FAILED: -115,
  SESSION_CLOSED_REQUIRE_SASL_AUTH: -124,
  QUOTA_EXCEEDED: -125,
  THROTTLED_OP: -126,
} as const;

export interface ConnectOptions {
  /** Session timeout requested from the server. @default 30000 */
  sessionTimeoutMs?: number;
  /** How long to wait for the first CONNECTED before giving up. @default sessionTimeoutMs */
  connectTimeoutMs?: number;
  /** Digest credentials `user:password`, added right after connecting. */
  auth?: string;
  /** TLS and SASL for this ensemble (see security.ts). */
  security?: ZkSecurity;
  /**
   * Frame the socket's packets here and hand the client's parser one whole packet at a time
   * (installFastReplies in client-internals.ts). node-zookeeper-client re-copies the whole unread
   * socket buffer for every reply, so with many requests outstanding (the simulated meta's tree
   * load) its CPU grows with the queue's depth. Requests, watches, pings, auth and reconnects keep
   * going through the client as before. False leaves the client as it is (the benchmark's
   * comparison). Without effect under a chroot. @default true
   */
  fastReplies?: boolean;
}

/** Which security an ensemble gets when the caller passes none (see withZkSecurity). */
export type ZkSecurityResolver = (hosts: string) => ZkSecurity | undefined;

const securityScope = new AsyncLocalStorage<ZkSecurityResolver>();

/**
 * Run `fn` with a default TLS/SASL setting per ensemble for every connection it makes, however
 * deep (a migration opens sessions in a dozen places: preflight, run lock, copy lanes, source
 * guards, rollback). Scoped to `fn`'s async context, so two runs in one process do not mix. A
 * caller's own TLS or SASL, or `{ plain: true }`, still wins.
 */
export function withZkSecurity<T>(resolve: ZkSecurityResolver, fn: () => Promise<T>): Promise<T> {
  return securityScope.run(resolve, fn);
}

/**
 * Create a client (with TLS/SASL when asked), let `prepare` install its hooks before the first
 * connection, wait for SyncConnected, add digest auth. The one way every part of zkmig connects.
 * Rejects with TimeoutError when the ensemble does not answer within `waitMs`, or with the
 * authentication error (PermissionDeniedError, naming the side) as soon as TLS or SASL is refused;
 * the client is closed either way.
 */
export async function connectZkClient(
  hosts: string,
  opts: { sessionTimeoutMs: number; auth?: string | undefined; security?: ZkSecurity | undefined },
  waitMs: number,
  prepare?: (client: zk.Client) => void,
): Promise<zk.Client> {
  // A caller's TLS/SASL (or an explicit plain) wins; otherwise the scope's, keeping the caller's side name.
  const own = opts.security;
  const scoped = own?.tls || own?.sasl || own?.plain ? undefined : securityScope.getStore()?.(hosts);
  const security = scoped ? { ...scoped, ...(own?.side ? { side: own.side } : {}) } : own;
  opts = { ...opts, security };
  const client = zk.createClient(hosts, { sessionTimeout: opts.sessionTimeoutMs, spinDelay: 200, retries: 0 });
  prepare?.(client);
  const sec = secureClient(client, hosts, security);
  await new Promise<void>((resolve, reject) => {
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      client.removeListener('connected', onConnected);
      if (!err) return resolve();
      client.close();
      reject(err);
    };
    const timer = setTimeout(() => {
      const last = sec.lastError();
      finish(
        new TimeoutError(`could not connect to ${sideName(hosts, opts.security)} within ${waitMs} ms${last ? ` (last error: ${(last as NodeJS.ErrnoException).code ?? last.message})` : ''}`, {
          context: { hosts, side: opts.security?.side },
        }),
      );
    }, waitMs);
    const onConnected = (): void => finish();
    client.once('connected', onConnected);
    sec.onFailure((e) => finish(e));
    client.connect();
  });
  if (opts.auth) client.addAuthInfo('digest', Buffer.from(opts.auth));
  return client;
}

/** The ZooKeeper code of a ZkError or of a node-zookeeper-client Exception; undefined for other errors. */
export function zkCodeOf(err: unknown): number | undefined {
  if (err instanceof ZkError) return err.zkCode;
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'number' ? c : undefined;
}

/**
 * Any failure leaving the ZooKeeper layer as a typed error: zkmig's own errors (AppError: timeouts,
 * preconditions, ZkError) as they are, a raw client Exception wrapped into ZkError, anything else
 * as it is. Callers then test `zkCode` or the guards in shared/errors.ts, never the client's shapes.
 */
export function asZkError(op: string, path: string, err: unknown): unknown {
  if (err instanceof AppError || zkCodeOf(err) === undefined) return err;
  return wrapZkError(op, path, err);
}

/** Wrap a client exception into a ZkError that names the operation and path. */
export function wrapZkError(op: string, path: string, err: unknown): ZkError {
  const code = zkCodeOf(err);
  const what = code === undefined ? ((err as { message?: string } | null)?.message ?? String(err)) : describeZkCode(code);
  return new ZkError(`ZooKeeper ${op} ${path} failed: ${what}`, { zkCode: code, path, cause: err });
}

/** world:anyone with every permission: what Pegasus creates (docs/pegasus-internals.md §3, no znode ACLs). */
export const OPEN_ACL: zk.ACL[] = (zk.ACL as unknown as { OPEN_ACL_UNSAFE: zk.ACL[] }).OPEN_ACL_UNSAFE;

/** Read a 64-bit stat field (node-zookeeper-client hands them out as 8-byte big-endian Buffers). */
export function readLong(b: Buffer): bigint {
  return b.readBigInt64BE(0);
}

/**
 * A promise-based ZooKeeper session over the one connect path (connectZkClient). Thin on purpose:
 * single requests for the simulator, locks and preflight checks. Tree reads, removals and copies
 * go through the coordinator's tree engine (coordinator/lib/zk: ZkConn lanes that survive
 * connection loss and session expiry), which connects with the same function; the simulator stays
 * on this class because it needs the plain session semantics (an expired session must end its
 * ephemeral leader lock, not be silently replaced as ZkConn does).
 */
export class ZkSession {
  private constructor(
    readonly client: zk.Client,
    readonly hosts: string,
    /** How it was opened: the tree engine opens its read lanes to the same ensemble with these. */
    readonly opts: Readonly<ConnectOptions>,
  ) {}

  /** Connect and wait for SyncConnected; rejects with TimeoutError (closing the client) when the ensemble does not answer. */
  static async connect(hosts: string, opts: ConnectOptions = {}): Promise<ZkSession> {
    const sessionTimeoutMs = opts.sessionTimeoutMs ?? 30000;
    const client = await connectZkClient(
      hosts,
      { sessionTimeoutMs, auth: opts.auth, security: opts.security },
      opts.connectTimeoutMs ?? sessionTimeoutMs,
      opts.fastReplies === false ? undefined : installFastReplies,
    );
    return new ZkSession(client, hosts, { ...opts, sessionTimeoutMs });
  }

  /** Run `fn`, which issues many requests, with the socket corked: the burst leaves in one write, not one syscall per request. */
  burst(fn: () => void): void {
    corked(this.client, fn);
  }

  addDigestAuth(userPassword: string): void {
    this.client.addAuthInfo('digest', Buffer.from(userPassword));
  }

  close(): void {
    closeClient(this.client);
  }

  get sessionId(): string {
    return this.client.getSessionId().toString('hex');
  }

  exists(path: string, watcher?: (e: zk.Event) => void): Promise<zk.Stat | null> {
    return new Promise((resolve, reject) => {
      const cb = (err: Error | zk.Exception | null, stat: zk.Stat): void => (err ? reject(wrapZkError('exists', path, err)) : resolve(stat ?? null));
      if (watcher) this.client.exists(path, watcher, cb);
      else this.client.exists(path, cb);
    });
  }

  getData(path: string, watcher?: (e: zk.Event) => void): Promise<{ data: Buffer; stat: zk.Stat }> {
    return new Promise((resolve, reject) => {
      const cb = (err: Error | zk.Exception | null, data: Buffer, stat: zk.Stat): void =>
        err ? reject(wrapZkError('get', path, err)) : resolve({ data: data ?? Buffer.alloc(0), stat });
      if (watcher) this.client.getData(path, watcher, cb);
      else this.client.getData(path, cb);
    });
  }

  /**
   * The data of `path` as UTF-8 text ('' for an empty or null node), without a watch or a Stat: the
   * simulated meta's bulk read of its tree. Encoded and decoded here on a session with fast replies
   * (bulk-read.ts), else (a chroot, `fastReplies: false`) the public getData.
   */
  getDataText(path: string): Promise<string> {
    if (!rawReads(this.client)) return this.getData(path).then((r) => r.data.toString('utf8'));
    return new Promise((resolve, reject) => getDataText(this.client, path, (err, t) => (err ? reject(wrapZkError('get', path, err)) : resolve(t!))));
  }

  /**
   * getData of every path in one multiRead request (see `multiReadSupported`): each node's text,
   * undefined for a node that does not exist; rejects with a ZkError naming the first path whose
   * read failed otherwise, or the request's own failure (connection loss).
   */
  multiGetText(paths: readonly string[]): Promise<(string | undefined)[]> {
    return new Promise((resolve, reject) =>
      multiReadText(this.client, paths, (err, rs) => {
        if (err) return reject(wrapZkError('multiRead', paths[0] ?? '', err));
        const bad = rs!.findIndex((r) => typeof r === 'number' && r !== ZK_CODE.NO_NODE);
        if (bad >= 0) return reject(wrapZkError('get', paths[bad]!, Object.assign(new Error(`ZooKeeper error ${rs![bad]}`), { code: rs![bad] })));
        resolve(rs!.map((r) => (typeof r === 'string' ? r : undefined)));
      }),
    );
  }

  private multiRead: Promise<boolean> | undefined;

  /**
   * Can `multiGetText` be used: fast replies on this session and an ensemble that answers
   * multiRead (ZooKeeper 3.6+)? Asked once, on a throwaway session, as the coordinator's copy
   * engine does (coordinator/lib/zk/conn.ts, probeMultiRead): an older server may answer an error,
   * close the connection or not answer at all, none of which may touch this session. Any doubt is no.
   */
  multiReadSupported(): Promise<boolean> {
    this.multiRead ??= (async () => {
      if (!rawReads(this.client)) return false;
      let probe: ZkSession | undefined;
      try {
        probe = await ZkSession.connect(this.hosts, { ...this.opts, connectTimeoutMs: Math.min(this.opts.connectTimeoutMs ?? this.opts.sessionTimeoutMs ?? 30000, 5000) });
        const c = probe.client;
        if (!rawReads(c)) return false;
        return await new Promise<boolean>((resolve) => {
          const t = setTimeout(() => resolve(false), 3000);
          multiReadText(c, ['/'], (err, r) => {
            clearTimeout(t);
            resolve(!err && r?.length === 1 && typeof r[0] === 'string');
          });
        });
      } catch {
        return false;
      } finally {
        probe?.close();
      }
    })();
    return this.multiRead;
  }

  getChildren(path: string, watcher?: (e: zk.Event) => void): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const cb = (err: Error | zk.Exception | null, children: string[]): void => (err ? reject(wrapZkError('getChildren', path, err)) : resolve(children));
      if (watcher) this.client.getChildren(path, watcher, cb);
      else this.client.getChildren(path, cb);
    });
  }

  getACL(path: string): Promise<zk.ACL[]> {
    return new Promise((resolve, reject) => this.client.getACL(path, (err, acls) => (err ? reject(wrapZkError('getACL', path, err)) : resolve(acls))));
  }

  create(path: string, data: Buffer = Buffer.alloc(0), mode: number = zk.CreateMode.PERSISTENT, acls: zk.ACL[] = OPEN_ACL): Promise<string> {
    return new Promise((resolve, reject) =>
      this.client.create(path, data, acls, mode, (err: Error | zk.Exception | null, created: string) => (err ? reject(wrapZkError('create', path, err)) : resolve(created))),
    );
  }

  setData(path: string, data: Buffer, version = -1): Promise<zk.Stat> {
    return new Promise((resolve, reject) => this.client.setData(path, data, version, (err, stat) => (err ? reject(wrapZkError('set', path, err)) : resolve(stat))));
  }

  remove(path: string, version = -1): Promise<void> {
    return new Promise((resolve, reject) => this.client.remove(path, version, (err) => (err ? reject(wrapZkError('delete', path, err)) : resolve())));
  }

  /** Create every missing prefix of `path` as an empty persistent node (node-exists is fine), like Pegasus does for its roots. */
  async mkdirp(path: string): Promise<void> {
    const parts = path.split('/').filter((p) => p !== '');
    let cur = '';
    for (const p of parts) {
      cur += '/' + p;
      try {
        await this.create(cur);
      } catch (e) {
        if (zkCodeOf((e as ZkError).cause) !== ZK_CODE.NODE_EXISTS) throw e;
      }
    }
  }

  /** Run a multi; rejects with the client's error (per-op results are in the error for a failed multi). */
  commit(tx: zk.Transaction): Promise<unknown[]> {
    return new Promise((resolve, reject) => tx.commit((err, results) => (err ? reject(wrapZkError('multi', '', err)) : resolve(results as unknown[]))));
  }
}

