/**
 * The agent's socket. TLS is terminated here (not inside grpc-js) and verified connections are
 * handed to the gRPC server through its connection injector, for two reasons:
 * - every rejected handshake (no client certificate, a certificate from another CA, an expired one,
 *   a server-only certificate used as a client) is audited with the reason and the peer address;
 *   grpc-js gives no hook for that;
 * - certificates can be reloaded without a restart (SIGHUP), which grpc-js servers cannot do
 *   (grpc/grpc-node#570).
 * A connection whose certificate does not verify is destroyed right after the handshake, before a
 * single HTTP/2 byte is read. `--insecure` uses a plain TCP server instead (loopback only, checked
 * in config-validate.ts).
 */
import * as grpc from '@grpc/grpc-js';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { readPem } from '../shared/tls';
import type { AuditLog } from './audit';

export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

export interface ListenerOptions {
  tls: TlsFiles | null;
  maxConnections: number;
  audit: AuditLog;
  /** Told about every connection closed before a call, with the reason (agent/metrics/). */
  onRejected?: (reason: string) => void;
}

function secureContextOptions(files: TlsFiles): tls.SecureContextOptions {
  return { ca: readPem(files.ca, 'tls.ca'), cert: readPem(files.cert, 'tls.cert'), key: readPem(files.key, 'tls.key') };
}

export class Listener {
  private readonly server: net.Server;
  private readonly injector: ReturnType<grpc.Server['createConnectionInjector']>;
  private readonly sockets = new Set<net.Socket>();

  constructor(
    grpcServer: grpc.Server,
    private readonly opts: ListenerOptions,
  ) {
    this.injector = grpcServer.createConnectionInjector(grpc.ServerCredentials.createInsecure());
    if (opts.tls) {
      const s = tls.createServer({
        ...secureContextOptions(opts.tls),
        requestCert: true,
        // Verified below, so that a rejection can be audited with its reason (see the file comment).
        rejectUnauthorized: false,
        ALPNProtocols: ['h2'],
        minVersion: 'TLSv1.2',
        handshakeTimeout: 10000,
      });
      s.on('secureConnection', (sock: tls.TLSSocket) => this.onSecure(sock));
      s.on('tlsClientError', (err: Error & { code?: string }, sock: tls.TLSSocket) => {
        opts.onRejected?.(err.code ?? 'TLS_HANDSHAKE_FAILED');
        opts.audit.record({ event: 'tls-rejected', peer: `${sock.remoteAddress ?? '?'}:${sock.remotePort ?? '?'}`, reason: err.code ?? err.message, msg: `TLS handshake failed: ${err.message.split('\n')[0]}` });
      });
      this.server = s;
    } else {
      this.server = net.createServer((sock) => this.accept(sock));
    }
    this.server.maxConnections = opts.maxConnections;
    // Node closes a connection over the limit before TLS, so the coordinator only sees "socket
    // disconnected before secure TLS connection was established"; without this record the agent's
    // side would show nothing at all. At most one record a second, so a flood cannot flood the journal.
    this.server.on('drop', (d?: { remoteAddress?: string; remotePort?: number }) => {
      this.dropped++;
      opts.onRejected?.('max_connections');
      const now = Date.now();
      if (now - this.lastDropRecord < 1000) return;
      this.lastDropRecord = now;
      const peer = `${d?.remoteAddress ?? '?'}:${d?.remotePort ?? '?'}`;
      const n = this.dropped;
      this.dropped = 0;
      opts.audit.record({
        event: 'connection-dropped',
        peer,
        limit: opts.maxConnections,
        dropped: n,
        msg: `connection from ${peer} dropped: limits.maxConnections (${opts.maxConnections}) connections already open${n > 1 ? `; ${n} dropped since the last such record` : ''}`,
      });
    });
  }

  private dropped = 0;
  private lastDropRecord = 0;

  private onSecure(sock: tls.TLSSocket): void {
    if (!sock.authorized) {
      const cert = sock.getPeerCertificate();
      const hasCert = cert && Object.keys(cert).length > 0;
      const subject = hasCert ? Object.entries(cert.subject ?? {}).map(([k, v]) => `${k}=${String(v)}`).join('/') : undefined;
      const reason = hasCert ? String(sock.authorizationError) : 'NO_CLIENT_CERTIFICATE';
      this.opts.onRejected?.(reason);
      this.opts.audit.record({
        event: 'tls-rejected',
        peer: `${sock.remoteAddress ?? '?'}:${sock.remotePort ?? '?'}`,
        reason,
        subject,
        msg: hasCert ? `client certificate ${subject} rejected: ${reason}` : 'client sent no certificate',
      });
      sock.destroy();
      return;
    }
    this.accept(sock);
  }

  private accept(sock: net.Socket): void {
    this.sockets.add(sock);
    sock.once('close', () => this.sockets.delete(sock));
    this.injector.injectConnection(sock);
  }

  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const a = this.server.address() as net.AddressInfo;
        resolve({ host: a.address, port: a.port });
      });
    });
  }

  /** Re-read the certificate files; new connections use them, open ones keep theirs. */
  reloadTls(): void {
    if (this.opts.tls) (this.server as tls.Server).setSecureContext(secureContextOptions(this.opts.tls));
  }

  /** Stop accepting connections; open ones stay until drain(). */
  stopAccepting(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      // close() waits for open connections; resolve as soon as the port is released instead.
      setImmediate(resolve);
    });
  }

  destroy(): void {
    this.injector.destroy();
    for (const s of this.sockets) s.destroy();
  }
}
