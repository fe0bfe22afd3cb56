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
 *
 * Connection limits are counted so that a peer without a certificate cannot lock the coordinator
 * out (a plain TCP socket costs the attacker nothing):
 * - limits.maxConnections counts only sessions whose client certificate verified AND whose CN is
 *   allowed (tls.allowedClients), so the coordinator always has its slots;
 * - a certificate the CA signed but whose CN is not allowed gets a few slots of its own
 *   (UNLISTED_MAX) on a separate, tightly limited gRPC server that denies everything (denier.ts),
 *   so that it still hears PERMISSION_DENIED but cannot take the coordinator's slots or memory;
 * - connections still in their TLS handshake have HANDSHAKE_TIMEOUT_MS to finish. When too many
 *   are pending (PENDING_MAX, or PENDING_PER_SOURCE from one address) the OLDEST pending one is
 *   closed, never the new one: to starve a coordinator's handshake (milliseconds) an attacker must
 *   open that many connections while it runs, instead of a few a second.
 */
import * as grpc from '@grpc/grpc-js';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { normalizeSerial, readPem } from '../shared/tls';
import type { AuditLog } from './audit';
import { AuditThrottle } from './audit-throttle';

export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

export interface ListenerOptions {
  tls: TlsFiles | null;
  maxConnections: number;
  /** CNs allowed to call; empty = any certificate the CA signed. */
  allowedClients: string[];
  /** Refused certificate serials, normalised (shared with rpc.ts; refilled on SIGHUP). */
  deniedSerials?: Set<string>;
  /** Where verified connections whose CN is not allowed go (denier.ts). */
  unlisted?: grpc.Server;
  audit: AuditLog;
  /** Told about every connection closed before a call, with the reason (agent/metrics/). */
  onRejected?: (reason: string) => void;
}

/** How long a connection may take to complete its TLS handshake. */
export const HANDSHAKE_TIMEOUT_MS = 3000;
/** Connections in their handshake, in all and from one source address. */
export const PENDING_MAX = 1024;
export const PENDING_PER_SOURCE = 512;
/** Verified sessions whose CN is not in tls.allowedClients. */
export const UNLISTED_MAX = 4;

function secureContextOptions(files: TlsFiles): tls.SecureContextOptions {
  return { ca: readPem(files.ca, 'tls.ca'), cert: readPem(files.cert, 'tls.cert'), key: readPem(files.key, 'tls.key') };
}

const peerOf = (s: net.Socket): string => `${s.remoteAddress ?? '?'}:${s.remotePort ?? '?'}`;
/** At most 64 characters of something a peer chose (an unverified certificate subject). */
const short = (v: string): string => (v.length > 64 ? `${v.slice(0, 64)}...` : v);

export class Listener {
  private readonly server: net.Server;
  private readonly injector: ReturnType<grpc.Server['createConnectionInjector']>;
  private readonly unlistedInjector: ReturnType<grpc.Server['createConnectionInjector']> | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly throttle: AuditThrottle;
  /** Raw sockets still in their TLS handshake, oldest first, by `addr:port`. */
  private readonly pending = new Map<string, net.Socket>();
  private readonly pendingBySource = new Map<string, number>();
  private listed = 0;
  private unlisted = 0;

  constructor(
    grpcServer: grpc.Server,
    private readonly opts: ListenerOptions,
  ) {
    this.throttle = new AuditThrottle(opts.audit, 1000, 5);
    this.injector = grpcServer.createConnectionInjector(grpc.ServerCredentials.createInsecure());
    this.unlistedInjector = opts.unlisted?.createConnectionInjector(grpc.ServerCredentials.createInsecure());
    if (opts.tls) {
      const s = tls.createServer({
        ...secureContextOptions(opts.tls),
        requestCert: true,
        // Verified below, so that a rejection can be audited with its reason (see the file comment).
        rejectUnauthorized: false,
        ALPNProtocols: ['h2'],
        minVersion: 'TLSv1.2',
        handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      });
      s.on('connection', (raw: net.Socket) => this.onRaw(raw));
      s.on('secureConnection', (sock: tls.TLSSocket) => this.onSecure(sock));
      s.on('tlsClientError', (err: Error & { code?: string }, sock: tls.TLSSocket) => {
        this.unpend(sock);
        opts.onRejected?.(err.code ?? 'TLS_HANDSHAKE_FAILED');
        // Node does not close the socket itself once this event has a listener (a handshake
        // timeout would otherwise leave an idle socket open for good).
        sock.destroy();
        this.throttle.record('tls-rejected', { event: 'tls-rejected', peer: peerOf(sock), reason: short(err.code ?? err.message), msg: `TLS handshake failed: ${short(err.message.split('\n')[0] ?? '')}` });
      });
      this.server = s;
    } else {
      this.server = net.createServer((sock) => {
        if (this.listed >= opts.maxConnections) return this.drop(sock, 'limit');
        this.listed++;
        sock.once('close', () => this.listed--);
        this.accept(sock);
      });
    }
  }

  /** A new TCP connection (TLS server): track it until its handshake ends. */
  private onRaw(raw: net.Socket): void {
    const key = peerOf(raw);
    const src = raw.remoteAddress ?? '?';
    const fromSrc = this.pendingBySource.get(src) ?? 0;
    if (fromSrc >= PENDING_PER_SOURCE) this.evictOldest((k) => k.startsWith(`${src}:`) && this.pending.get(k)?.remoteAddress === src, PENDING_PER_SOURCE);
    else if (this.pending.size >= PENDING_MAX) this.evictOldest(() => true, PENDING_MAX);
    this.pending.set(key, raw);
    this.pendingBySource.set(src, (this.pendingBySource.get(src) ?? 0) + 1);
    raw.once('close', () => this.unpendKey(key, raw));
  }

  private evictOldest(match: (key: string) => boolean, limit: number): void {
    for (const [k, s] of this.pending) {
      if (!match(k)) continue;
      this.unpendKey(k, s);
      s.destroy();
      this.opts.onRejected?.('handshake_evicted');
      this.dropped('handshake-evicted', peerOf(s), limit, `connection from ${peerOf(s)} closed before its TLS handshake finished: ${limit} connections were still handshaking`);
      return;
    }
  }

  private unpend(sock: net.Socket): void {
    const key = peerOf(sock);
    const raw = this.pending.get(key);
    if (raw) this.unpendKey(key, raw);
  }

  private unpendKey(key: string, raw: net.Socket): void {
    if (this.pending.get(key) !== raw) return;
    this.pending.delete(key);
    const src = raw.remoteAddress ?? '?';
    const n = (this.pendingBySource.get(src) ?? 1) - 1;
    if (n <= 0) this.pendingBySource.delete(src);
    else this.pendingBySource.set(src, n);
  }

  private dropCount = new Map<string, number>();

  /** One connection-dropped record a second per reason at most, with the count since the last one. */
  private dropped(reason: string, peer: string, limit: number, msg: string): void {
    const n = (this.dropCount.get(reason) ?? 0) + 1;
    this.dropCount.set(reason, n);
    this.throttle.record(`dropped-${reason}`, { event: 'connection-dropped', peer, limit, dropped: n, reason, msg });
  }

  private drop(sock: net.Socket, why: 'limit' | 'unlisted'): void {
    const peer = peerOf(sock);
    this.opts.onRejected?.(why === 'limit' ? 'max_connections' : 'unlisted_client');
    const limit = why === 'limit' ? this.opts.maxConnections : UNLISTED_MAX;
    // The coordinator sees only a closed connection; without this record the agent's side would
    // show nothing at all.
    this.dropped(
      why,
      peer,
      limit,
      why === 'limit'
        ? `connection from ${peer} dropped: limits.maxConnections (${limit}) connections already open`
        : `connection from ${peer} dropped: ${limit} connections with certificates not in tls.allowedClients already open`,
    );
    sock.destroy();
  }

  private onSecure(sock: tls.TLSSocket): void {
    this.unpend(sock);
    if (!sock.authorized) {
      const cert = sock.getPeerCertificate();
      const hasCert = cert && Object.keys(cert).length > 0;
      const subject = hasCert ? short(Object.entries(cert.subject ?? {}).map(([k, v]) => `${k}=${String(v)}`).join('/')) : undefined;
      const reason = hasCert ? String(sock.authorizationError) : 'NO_CLIENT_CERTIFICATE';
      this.opts.onRejected?.(reason);
      this.throttle.record('tls-rejected', {
        event: 'tls-rejected',
        peer: peerOf(sock),
        reason,
        subject,
        msg: hasCert ? `client certificate ${subject} rejected: ${reason}` : 'client sent no certificate',
      });
      sock.destroy();
      return;
    }
    const peerCert = sock.getPeerCertificate();
    const serial = normalizeSerial(peerCert.serialNumber ?? '');
    if (this.opts.deniedSerials?.has(serial)) {
      this.opts.onRejected?.('denied_serial');
      this.throttle.record('tls-rejected', { event: 'tls-rejected', peer: peerOf(sock), reason: 'DENIED_SERIAL', msg: `client certificate serial ${serial.slice(0, 64)} is in tls.deniedSerials` });
      sock.destroy();
      return;
    }
    const cn = String(peerCert.subject?.CN ?? '');
    const allowed = this.opts.allowedClients.length === 0 || this.opts.allowedClients.includes(cn);
    if (allowed) {
      if (this.listed >= this.opts.maxConnections) return this.drop(sock, 'limit');
      this.listed++;
      sock.once('close', () => this.listed--);
    } else {
      if (this.unlisted >= UNLISTED_MAX) return this.drop(sock, 'unlisted');
      this.unlisted++;
      sock.once('close', () => this.unlisted--);
      if (this.unlistedInjector) return this.accept(sock, this.unlistedInjector);
    }
    this.accept(sock);
  }

  private accept(sock: net.Socket, injector = this.injector): void {
    this.sockets.add(sock);
    sock.once('close', () => this.sockets.delete(sock));
    injector.injectConnection(sock);
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

  /** Re-read the certificate files (at new paths, when given); new connections use them, open ones keep theirs. */
  reloadTls(files: TlsFiles | null = this.opts.tls): void {
    if (this.opts.tls && files) (this.server as tls.Server).setSecureContext(secureContextOptions(files));
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
    this.unlistedInjector?.destroy();
    for (const s of this.sockets) s.destroy();
    for (const s of this.pending.values()) s.destroy();
    this.throttle.flushAll();
  }
}
