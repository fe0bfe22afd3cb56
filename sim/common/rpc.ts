import * as http from 'node:http';

/**
 * The simulator's RPC: JSON over HTTP/1.1 on loopback, one POST per call (`POST /<method>`, body and
 * answer are JSON objects). Replies always use status 200 and carry Pegasus error codes in `err`;
 * transport failures surface as ERR_TIMEOUT / ERR_NETWORK_FAILURE, as the rDSN client reports them.
 * No keep-alive: servers are killed with SIGKILL in tests and a pooled socket would outlive them.
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
        res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), connection: 'close' });
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
  server.keepAliveTimeout = 0;
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

/** One call with a hard deadline. Never rejects. */
export function call(address: string, method: string, params: unknown, timeoutMs: number, headers: Record<string, string> = {}): Promise<CallResult> {
  const i = address.lastIndexOf(':');
  const body = JSON.stringify(params ?? {});
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: CallResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = http.request(
      {
        host: address.slice(0, i),
        port: Number(address.slice(i + 1)),
        method: 'POST',
        path: '/' + method,
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close', ...headers },
      },
      (res) => {
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
    req.on('error', () => done({ transport: 'ERR_NETWORK_FAILURE', body: {} }));
    req.end(body);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
