import type { Socket } from 'node:net';
// The client module itself, not ./client: client.ts installs the fast replies on its sessions, and
// importing it back would be a cycle. Its exception factory is patched (codes.ts) before any client exists.
import * as zk from 'node-zookeeper-client';

/**
 * Everything that reaches into node-zookeeper-client 1.1.x's internals (its ConnectionManager):
 * queueing hand-encoded requests, corking the socket for bursts, dropping a stalled connection, and
 * answering replies to our own requests before the client's parser sees them. See coordinator/lib/zk/wire.ts for why.
 * If a future client lacks these internals, `manager()` returns undefined and wire.ts falls back to
 * the public API. Because internals carry no semver promise, package.json pins node-zookeeper-client
 * to an exact version; test/integration/zk-wire.test.ts checks that the fallback gives the same answers.
 */

export interface Packet {
  request: { header: { xid: number; type: number } | null; decode?: (buf: Buffer, off: number) => unknown };
  callback?: (err: unknown, response?: { payload: unknown }) => void;
}

export interface ConnectionManager {
  queue(request: unknown, cb: (err: (Error & { code?: number }) | null, response?: { payload: unknown }) => void): void;
  socket?: Socket;
  chrootPath?: string;
  state: number;
  zxid: Buffer;
  pendingQueue: Packet[];
  packetQueue?: { queue?: Packet[] };
  onSocketData: (b: Buffer) => void;
  /** Set by installFastReplies. */
  zkmigFastReplies?: boolean;
}

export function manager(client: zk.Client): ConnectionManager | undefined {
  const cm = (client as unknown as { connectionManager?: ConnectionManager }).connectionManager;
  return cm && typeof cm.queue === 'function' && Array.isArray(cm.pendingQueue) ? cm : undefined;
}

/** True when requests can bypass the client's public API (see file comment). */
export function fastPath(client: zk.Client): boolean {
  const cm = manager(client);
  return cm !== undefined && !cm.chrootPath;
}

/** True when replies are decoded here, which `multiRead` needs (the client cannot parse its reply). */
export function fastReplies(client: zk.Client): boolean {
  return manager(client)?.zkmigFastReplies === true;
}

/**
 * Run `fn` (which issues many requests) with the client's socket corked, so the burst leaves in one
 * write instead of one syscall per request.
 */
export function corked(client: zk.Client, fn: () => void): void {
  const s = manager(client)?.socket;
  if (!s || s.destroyed) return fn();
  s.cork();
  try {
    fn();
  } finally {
    s.uncork();
  }
}

/** Destroy the client's socket: the client fails in-flight requests with CONNECTION_LOSS and reconnects. */
export function dropConnection(client: zk.Client): void {
  manager(client)?.socket?.destroy();
}

/** How long a closed client's connection may wait for the server's answer to closeSession. */
const CLOSE_GRACE_MS = 3000;

/**
 * Close the session. The client closes its socket when the server answers closeSession; a server
 * that stopped answering (SIGSTOPped, a hung host: the kernel keeps the connection open) never
 * does, and that socket alone would keep the process alive for ever. So it is dropped after a
 * grace; the timer is unref'd, so it fires only while something (that socket) still holds the
 * process, and the session then ends on the server by expiry.
 */
export function closeClient(client: zk.Client): void {
  client.close();
  setTimeout(() => dropConnection(client), CLOSE_GRACE_MS).unref();
}

/**
 * Fail every request the client still holds (sent and unanswered, or queued while disconnected)
 * with `code`. node-zookeeper-client never answers requests queued in a session that then expired:
 * they would wait forever. Called when the engine replaces an expired client with a new session.
 */
export function failQueued(client: zk.Client, code: number): void {
  const cm = manager(client);
  if (!cm) return;
  const packets = [...cm.pendingQueue.splice(0), ...(cm.packetQueue?.queue?.splice(0) ?? [])];
  for (const p of packets) p.callback?.(clientError(code));
}

const CONNECTED = 2;
const CONNECTED_READ_ONLY = 3;

function clientError(code: number): Error & { code: number } {
  try {
    return (zk.Exception as unknown as { create(c: number): Error & { code: number } }).create(code);
  } catch {
    return Object.assign(new Error(`ZooKeeper error ${code}`), { code });
  }
}

/**
 * Frame the socket's bytes into packets here and answer replies to our own requests directly;
 * hand every other packet, one complete packet at a time, to the client's parser. Must be called
 * before the client connects (the client binds its data handler at connect time).
 */
export function installFastReplies(client: zk.Client): boolean {
  const cm = manager(client);
  if (!cm || cm.chrootPath) return false;
  const original = (Object.getPrototypeOf(cm) as ConnectionManager).onSocketData;
  let pending: Buffer | null = null;
  let socket: Socket | undefined;
  cm.onSocketData = function (chunk: Buffer): void {
    if (cm.socket !== socket) {
      socket = cm.socket;
      pending = null;
    }
    const buf: Buffer = pending ? Buffer.concat([pending, chunk]) : chunk;
    let off = 0;
    while (buf.length - off >= 4) {
      const len = buf.readInt32BE(off);
      if (len < 0 || buf.length - off - 4 < len) break;
      const packet = buf.subarray(off, off + 4 + len);
      off += 4 + len;
      if (!answer(cm, packet)) original.call(cm, packet);
      if (cm.socket !== socket) return; // the client dropped the connection while handling it
    }
    pending = off < buf.length ? Buffer.from(buf.subarray(off)) : null;
  };
  cm.zkmigFastReplies = true;
  return true;
}

/** Reply header: int len, int xid, long zxid, int err; then the payload. */
function answer(cm: ConnectionManager, packet: Buffer): boolean {
  if (cm.state !== CONNECTED && cm.state !== CONNECTED_READ_ONLY) return false;
  const xid = packet.readInt32BE(4);
  if (xid < 0) return false; // watch events, pings, auth replies
  const head = cm.pendingQueue[0];
  if (!head || !head.request.header || head.request.header.xid !== xid || typeof head.request.decode !== 'function') return false;
  cm.pendingQueue.shift();
  // Like the Java client, remember the last zxid seen (sent again when reconnecting).
  if (packet.readInt32BE(8) > 0 || (packet.readInt32BE(8) === 0 && packet.readUInt32BE(12) > 0)) cm.zxid = Buffer.from(packet.subarray(8, 16));
  const err = packet.readInt32BE(16);
  if (err !== 0) {
    head.callback?.(clientError(err));
    return true;
  }
  let payload: unknown;
  try {
    payload = head.request.decode(packet, 20);
  } catch (e) {
    head.callback?.(e);
    return true;
  }
  head.callback?.(null, { payload });
  return true;
}

/** A watch notification as the client decodes it (WatcherEvent): type 1 created, 2 deleted, 3 data changed, 4 children changed. */
export interface WatchNotification {
  type: number;
  state: number;
  path: string;
}

/**
 * Hand every watch notification the client receives to `fn`, before the client's own watcher
 * manager. That manager keeps one-shot watches only: an event for a path nobody registered (every
 * event of a persistent watch after the first, and all of a recursive one's) is dropped silently.
 * The client's own watches still work (the original `emit` runs after `fn`). False without internals.
 */
export function onNotification(client: zk.Client, fn: (e: WatchNotification) => void): boolean {
  const cm = manager(client) as (ConnectionManager & { watcherManager?: { emit?: (e: WatchNotification) => void } }) | undefined;
  const wm = cm?.watcherManager;
  if (!wm || typeof wm.emit !== 'function') return false;
  const original = wm.emit.bind(wm);
  wm.emit = (e: WatchNotification): void => {
    fn(e);
    // The client's manager throws on types it does not know; persistent watches send only 1-3.
    if (e.type >= 1 && e.type <= 4) original(e);
  };
  return true;
}
