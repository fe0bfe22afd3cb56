import * as tls from 'node:tls';
import type { Socket } from 'node:net';
import type * as zk from 'node-zookeeper-client';
import { PermissionDeniedError } from '../errors';
import { describeZkCode, zkCodeName } from './codes';
import { DigestMd5Client } from './digest-md5';
import { GssapiClient, GssapiError } from './gssapi';
import { sideName, ZkSaslOptions, ZkSecurity } from './security';

/**
 * TLS and SASL for node-zookeeper-client 1.1.3, which has neither. Both are added per client by
 * replacing two methods of its ConnectionManager on the instance (the client binds its socket
 * handlers through `this.connect` and `this.onSocketData` at connect time):
 *   - `connect` opens a TLS socket instead of a TCP one and starts the session on `secureConnect`;
 *   - `onSocketData` holds the server's ConnectResponse back from the client and runs the SASL
 *     exchange (OpCode.sasl = 102, GetSASLRequest/SetSASLResponse, as ZooKeeper's own
 *     ClientCnxn/ZooKeeperSaslClient do) on every new connection before the client sees the session
 *     as connected. The mechanism is DIGEST-MD5 (digest-md5.ts) or GSSAPI (gssapi.ts, whose steps
 *     are asynchronous: replies wait in the buffer while one runs). Nothing queued by the caller is sent before the login succeeded, which a server
 *     with `enforce.auth.enabled=true` requires (it closes the session on any other request).
 * A definite authentication failure (bad certificate, refused login) is fatal: the client stops
 * reconnecting and `failure()` gives the error, naming the side.
 */

const STATE_CONNECTING = 1;
const STATE_AUTHENTICATION_FAILED = -4;
const OP_SASL = 102;

interface Cm {
  state: number;
  socket?: Socket;
  xid: number;
  connectTimeout: number;
  connectTimeoutHandler: NodeJS.Timeout | null;
  setState(s: number): void;
  findNextServer(cb: (server: { host: string; port: number | string }) => void): void;
  onSocketConnected(): void;
  onSocketData(b: Buffer): void;
  onSocketDrain(): void;
  onSocketClosed(hasError: boolean): void;
  onSocketError(e: Error): void;
  onSocketConnectTimeout(): void;
  connect(): void;
}

/** One login's client side, whatever the mechanism: the first token, then an answer per server token (undefined: logged in). */
interface SaslMechanism {
  /** True once a server token has been answered (a server without SASL answers the first request with nothing). */
  readonly answered: boolean;
  start(): Promise<Buffer>;
  step(token: Buffer): Promise<Buffer | undefined>;
}

function saslMechanism(sasl: ZkSaslOptions, host: string): SaslMechanism {
  if (sasl.mechanism === 'GSSAPI') {
    const g = new GssapiClient(sasl.principal, sasl.keytab, host, sasl.service);
    let answered = false;
    return {
      get answered() {
        return answered;
      },
      start: () => g.start(),
      step: (t) => {
        answered = true;
        return g.step(t);
      },
    };
  }
  const d = new DigestMd5Client(sasl.user, sasl.password);
  return {
    get answered() {
      return d.started;
    },
    // DIGEST-MD5 has no initial response: an empty token asks for the challenge.
    start: () => Promise.resolve(Buffer.alloc(0)),
    step: (t) => {
      try {
        const answer = d.step(t);
        // Complete once the server's rspauth checked out: nothing more to send.
        return Promise.resolve(d.complete ? undefined : answer);
      } catch (e) {
        return Promise.reject(e);
      }
    },
  };
}

export interface SecureClientState {
  /** The fatal authentication error, once there is one. */
  failure(): Error | undefined;
  /** The last socket error (for "could not connect" messages). */
  lastError(): Error | undefined;
  /** Called once with the fatal error. */
  onFailure(cb: (e: Error) => void): void;
}

/** TLS alert and verification codes that will not go away by retrying. */
function tlsFatal(e: NodeJS.ErrnoException): boolean {
  const c = e.code ?? '';
  return (
    c.startsWith('ERR_SSL_') ||
    c.startsWith('ERR_TLS_') ||
    /CERT|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|SELF_SIGNED|DEPTH_ZERO/.test(c)
  );
}

export function tlsHint(e: NodeJS.ErrnoException, hasCert: boolean): string {
  const c = e.code ?? '';
  if (!hasCert && /ALERT/.test(c)) return 'the server requires a client certificate (give --tls-cert and --tls-key)';
  if (/SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|DEPTH_ZERO/.test(c)) return 'the server certificate is not signed by a trusted CA (check --tls-ca)';
  if (c === 'CERT_HAS_EXPIRED') return 'the server certificate has expired';
  if (c === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'the server certificate does not name the expected host (check --tls-server-name)';
  if (/ALERT_CERTIFICATE_REQUIRED/.test(c) || (!hasCert && /HANDSHAKE_FAILURE/.test(c))) return 'the server requires a client certificate (give --tls-cert and --tls-key)';
  // With a certificate given, a handshake_failure alert is the server finding nothing in common
  // with the client (protocol version, cipher suite, key type): seen here with a cipher list the
  // server's key could not serve.
  if (/HANDSHAKE_FAILURE|PROTOCOL_VERSION/.test(c)) return 'the server and zkmig agree on no TLS version or cipher suite (check the server\'s ssl.protocol, ssl.enabledProtocols and ssl.ciphersuites)';
  if (/ALERT_(BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_EXPIRED|CERTIFICATE_UNKNOWN)/.test(c)) return 'the server refused the client certificate';
  if (c === 'ERR_SSL_WRONG_VERSION_NUMBER') return 'the port does not speak TLS (a plaintext clientPort?)';
  return 'TLS handshake failed';
}

export function secureClient(client: zk.Client, hosts: string, security: ZkSecurity | undefined): SecureClientState {
  let fatal: Error | undefined;
  let last: Error | undefined;
  const listeners: ((e: Error) => void)[] = [];
  const state: SecureClientState = {
    failure: () => fatal,
    lastError: () => last,
    onFailure: (cb) => (fatal ? cb(fatal) : listeners.push(cb)),
  };
  const cm = (client as unknown as { connectionManager?: Cm }).connectionManager;
  if (!security || (!security.tls && !security.sasl)) return state;
  if (!cm || typeof cm.findNextServer !== 'function') {
    throw new PermissionDeniedError(`${sideName(hosts, security)}: this node-zookeeper-client has no ConnectionManager to add TLS/SASL to`);
  }
  const who = sideName(hosts, security);
  const fail = (e: Error): void => {
    if (fatal) return;
    fatal = e;
    // AUTHENTICATION_FAILED: the client fails what is queued and does not reconnect.
    cm.setState(STATE_AUTHENTICATION_FAILED);
    cm.socket?.destroy();
    for (const l of listeners.splice(0)) l(e);
  };

  if (security.tls) {
    const o = security.tls;
    cm.connect = function (this: Cm): void {
      if (fatal) return;
      this.setState(STATE_CONNECTING);
      this.findNextServer((server) => {
        const opts: tls.ConnectionOptions = { host: server.host, port: Number(server.port) };
        if (o.ca) opts.ca = o.ca;
        if (o.cert) opts.cert = o.cert;
        if (o.key) opts.key = o.key;
        const name = o.serverName;
        if (name) {
          if (!/^[\d.]+$|:/.test(name)) opts.servername = name;
          opts.checkServerIdentity = (_host, cert) => tls.checkServerIdentity(name, cert);
        } else {
          // Like ZooKeeper's client with zookeeper.ssl.hostnameVerification=false: the chain is checked, the name is not.
          opts.checkServerIdentity = () => undefined;
        }
        const s = tls.connect(opts);
        this.socket = s;
        this.connectTimeoutHandler = setTimeout(this.onSocketConnectTimeout.bind(this), this.connectTimeout);
        s.setNoDelay();
        s.on('secureConnect', this.onSocketConnected.bind(this));
        s.on('data', this.onSocketData.bind(this));
        s.on('drain', this.onSocketDrain.bind(this));
        s.on('close', this.onSocketClosed.bind(this));
        s.on('error', (e: NodeJS.ErrnoException) => {
          last = e;
          this.onSocketError(e);
          if (tlsFatal(e)) fail(new PermissionDeniedError(`TLS to ${who} (${server.host}:${server.port}) failed: ${tlsHint(e, o.cert !== undefined)} [${e.code ?? e.message}]`, { cause: e, context: { hosts, side: security.side } }));
        });
      });
    };
  }

  if (security.sasl) {
    const sasl = security.sasl;
    const inner = cm.onSocketData;
    // The host of the server being connected to: GSSAPI asks for a ticket to zookeeper/<host>.
    let host = '';
    const findNext = cm.findNextServer;
    cm.findNextServer = function (this: Cm, cb): void {
      findNext.call(this, (server) => {
        host = String(server.host);
        cb(server);
      });
    };
    let sock: Socket | undefined;
    let phase: 'connect' | 'sasl' | 'done' = 'done';
    let buf: Buffer | null = null;
    let held: Buffer | null = null;
    let mech: SaslMechanism | undefined;
    // Replies wait here while a (GSSAPI: asynchronous) step runs; the server sends nothing new meanwhile.
    let busy = false;
    const send = (s: Socket, token: Buffer): void => {
      const b = Buffer.alloc(4 + 4 + 4 + 4 + token.length);
      b.writeInt32BE(b.length - 4, 0);
      b.writeInt32BE(cm.xid++, 4);
      b.writeInt32BE(OP_SASL, 8);
      b.writeInt32BE(token.length, 12);
      token.copy(b, 16);
      s.write(b);
    };
    const as = sasl.mechanism === 'GSSAPI' ? `as ${sasl.principal}` : `as "${sasl.user}"`;
    // `answered`: the server had sent a token before refusing (for DIGEST-MD5, a challenge: its SASL server runs DIGEST-MD5).
    const refused = (why: string, cause?: unknown, reason = 'refused'): void =>
      fail(new PermissionDeniedError(`SASL ${sasl.mechanism} login ${as} to ${who} failed: ${why}`, { cause, context: { hosts, side: security.side, reason, answered: mech?.answered ?? false } }));
    const refusedHint = sasl.mechanism === 'GSSAPI' ? 'the server refused the Kerberos login (does it run DIGEST-MD5 instead, or another realm?)' : 'the server refused the credentials (wrong user or password?)';
    const mechFailed = (e: unknown): void => {
      const reason = e instanceof GssapiError ? e.reason : 'refused';
      // A kinit or library failure is ours, not the server's answer: keep "refused" for what the server said.
      refused((e as Error).message, e, reason === 'kinit' || reason === 'no-library' ? reason : 'refused');
    };

    const drive = (cmx: Cm, s: Socket): void => {
      while (!busy && buf && buf.length >= 4 && phase !== 'done' && !fatal && cmx.socket === s) {
        const len = buf.readInt32BE(0);
        if (buf.length < 4 + len) return;
        const pkt = buf.subarray(0, 4 + len);
        buf = buf.length > 4 + len ? buf.subarray(4 + len) : null;
        if (phase === 'connect') {
          // ConnectResponse: int protocolVersion, int timeOut, long sessionId, buffer passwd.
          if (cmx.state !== STATE_CONNECTING || pkt.readInt32BE(8) <= 0) {
            phase = 'done';
            inner.call(cmx, pkt);
            continue;
          }
          held = pkt;
          phase = 'sasl';
          busy = true;
          mech!.start().then(
            (first) => {
              busy = false;
              if (cmx.socket !== s || fatal) return;
              send(s, first);
              drive(cmx, s);
            },
            (e) => {
              busy = false;
              if (cmx.socket === s) mechFailed(e);
            },
          );
          return;
        }
        // ReplyHeader: int xid, long zxid, int err; then SetSASLResponse: buffer token.
        const err = pkt.readInt32BE(16);
        if (err !== 0) {
          refused(err === -115 || err === -124 ? `${refusedHint} [${zkCodeName(err)} ${err}]` : describeZkCode(err));
          return;
        }
        const tlen = pkt.length >= 24 ? pkt.readInt32BE(20) : -1;
        const token = tlen > 0 ? Buffer.from(pkt.subarray(24, 24 + tlen)) : Buffer.alloc(0);
        // A server without a SASL provider (no authProvider.sasl, no JAAS "Server" section) answers
        // the first SASL request with an empty token instead of a challenge.
        if (token.length === 0 && !mech!.answered) {
          refused('the server offers no SASL login (no authProvider.sasl or no JAAS "Server" section on it)', undefined, 'no-sasl');
          return;
        }
        busy = true;
        mech!.step(token).then(
          (answer) => {
            busy = false;
            if (cmx.socket !== s || fatal) return;
            if (answer === undefined) {
              phase = 'done';
              const h = held!;
              held = null;
              inner.call(cmx, h);
              if (buf) {
                const rest = buf;
                buf = null;
                inner.call(cmx, rest);
              }
              return;
            }
            send(s, answer);
            drive(cmx, s);
          },
          (e) => {
            busy = false;
            if (cmx.socket === s) mechFailed(e);
          },
        );
        return;
      }
      if (phase === 'done' && buf && cmx.socket === s) {
        const rest = buf;
        buf = null;
        inner.call(cmx, rest);
      }
    };

    cm.onSocketData = function (this: Cm, chunk: Buffer): void {
      if (this.socket !== sock) {
        sock = this.socket;
        phase = 'connect';
        buf = null;
        held = null;
        busy = false;
        mech = saslMechanism(sasl, host);
      }
      if (phase === 'done') return inner.call(this, chunk);
      buf = buf ? Buffer.concat([buf, chunk]) : chunk;
      drive(this, sock!);
    };
  }
  return state;
}
