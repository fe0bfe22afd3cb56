import * as http from 'node:http';
import { sleep } from '../../shared/process';

/**
 * The simulator's RPC: JSON over HTTP/1.1 on loopback, one POST per call (`POST /<method>`, body and
 * answer are JSON objects). Replies always use status 200 and carry Pegasus error codes in `err`;
 * transport failures surface as ERR_TIMEOUT / ERR_NETWORK_FAILURE, as the rDSN client reports them.
 * `call` opens a connection per call: servers are killed with SIGKILL in tests, and the shell and the
 * failure detector must see that at once. The high-volume calls between simulator processes (config
 * pushes, proposals, update requests, learning, group checks: tens of thousands while the sandbox's
 * large profile places its replicas) use `callPooled`, which keeps connections open: a connection per
 * call made every process spend most of its CPU in connect() among tens of thousands of TIME_WAIT
 * sockets. rDSN too keeps one connection per peer.
 */

/** Header a follower sets when it forwards a request, so the leader never forwards it again. */
export const FORWARDED_HEADER = 'x-pegasus-forwarded';
/** Header carrying the caller's remaining time, so a forwarded call keeps the caller's deadline. */
export const TIMEOUT_HEADER = 'x-pegasus-timeout-ms';

export type Handler = (params: Record<string, unknown>, headers: http.IncomingHttpHeaders) => Promise<Record<string, unknown>>;

export interface RpcServer {
  close(): Promise<void>;
}

/** Listen on 127.0.0.1:port; rejects on EADDRINUSE and similar. */
export function serve(port: number, handlers: Map<string, Handler>): Promise<RpcServer> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = (req.url ?? '/').slice(1);
      const send = (code: number, body: unknown): void => {
        const text = JSON.stringify(body);
        // Node closes the connection after the reply when the request asked for `connection: close`.
        res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      };
      const h = handlers.get(method);
      if (!h || req.method !== 'POST') {
        send(404, { err: 'ERR_HANDLER_NOT_FOUND' });
        return;
      }
      let params: Record<string, unknown>;
      try {
        params = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
      } catch {
        send(400, { err: 'ERR_INVALID_DATA' });
        return;
      }
      h(params, req.headers).then(
        (r) => send(200, r),
        (e: unknown) => send(500, { err: 'ERR_UNKNOWN', message: String((e as Error)?.message ?? e) }),
      );
    });
  });
  // Longer than the pool's idle timeout, so the client, not the server, closes an idle connection:
  // a server closing it while a request is on its way would fail that request.
  server.keepAliveTimeout = SERVER_IDLE_MS;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.removeListener('error', reject);
      resolve({ close: () => new Promise<void>((r) => server.close(() => r())) });
    });
  });
}

export interface CallResult {
  /** ERR_OK when the peer answered (look at `body.err` for the Pegasus result), else the transport error. */
  transport: 'ERR_OK' | 'ERR_TIMEOUT' | 'ERR_NETWORK_FAILURE';
  body: Record<string, unknown>;
}

/** A pooled connection idle this long is closed by the client. */
const POOL_IDLE_MS = 2000;
/** A server closes a kept-alive connection idle this long (the client should have closed it before). */
const SERVER_IDLE_MS = 10000;

const pool = new http.Agent({ keepAlive: true, timeout: POOL_IDLE_MS, maxFreeSockets: 64 });

/** One call with a hard deadline, on a connection of its own. Never rejects. */
export function call(address: string, method: string, params: unknown, timeoutMs: number, headers: Record<string, string> = {}): Promise<CallResult> {
  return send(address, method, JSON.stringify(params ?? {}), Date.now() + timeoutMs, headers, false);
}

/**
 * `call` on a kept-alive connection, for the high-volume calls between simulator processes. A call
 * that fails on a reused connection before any answer (the peer closed it, or was killed and its
 * close is not yet seen) is sent once more on a new connection within the same deadline, so a killed
 * peer still reports ERR_NETWORK_FAILURE and a restarted one is reached.
 */
export function callPooled(address: string, method: string, params: unknown, timeoutMs: number): Promise<CallResult> {
  return send(address, method, JSON.stringify(params ?? {}), Date.now() + timeoutMs, {}, true);
}

function send(address: string, method: string, body: string, deadline: number, headers: Record<string, string>, pooled: boolean): Promise<CallResult> {
  const i = address.lastIndexOf(':');
  const timeoutMs = Math.max(1, deadline - Date.now());
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: CallResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    let answered = false;
    const req = http.request(
      {
        host: address.slice(0, i),
        port: Number(address.slice(i + 1)),
        method: 'POST',
        path: '/' + method,
        agent: pooled ? pool : false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...(pooled ? {} : { connection: 'close' }), ...headers },
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            done({ transport: 'ERR_OK', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> });
          } catch {
            done({ transport: 'ERR_NETWORK_FAILURE', body: {} });
          }
        });
        res.on('error', () => done({ transport: 'ERR_NETWORK_FAILURE', body: {} }));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      done({ transport: 'ERR_TIMEOUT', body: {} });
    }, timeoutMs);
    req.on('error', () => {
      if (pooled && req.reusedSocket && !answered && !settled) {
        // A stale pooled connection: one more try on a new one (Node's documented pattern).
        settled = true;
        clearTimeout(timer);
        resolve(send(address, method, body, deadline, headers, false));
        return;
      }
      done({ transport: 'ERR_NETWORK_FAILURE', body: {} });
    });
    req.end(body);
  });
}

export { sleep };
