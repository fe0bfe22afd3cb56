/**
 * What every agent RPC goes through before and after its operation: lifecycle gate (only while
 * serving), client authorisation (certificate CN allowlist, bearer token), the request header, the
 * in-flight count that SIGTERM drains, the audit record, and the deliberate mapping of errors to
 * gRPC status codes. Handlers answer once and return.
 */
import * as grpc from '@grpc/grpc-js';
import * as crypto from 'node:crypto';
import { AppError, ErrorCode, ExecError, toAppError } from '../shared/errors';
import type { RequestHeader__Output } from '../shared/generated/zkmig/agent/v1/RequestHeader';
import { peerIdentity, PeerIdentity } from '../shared/tls';
import type { AuditLog } from './audit';
import { AuditThrottle } from './audit-throttle';
import type { Lifecycle } from './lifecycle';

export interface CallContext {
  method: string;
  requestId: string;
  checkMode: boolean;
  coordinator: string;
  /** Certificate subject, or `insecure` when the agent runs without TLS. */
  client: string;
  identity: PeerIdentity | null;
  peer: string;
  /** Milliseconds left before the caller's deadline (Infinity when none). */
  remainingMs: () => number;
}

export interface RpcDeps {
  audit: AuditLog;
  lifecycle: Lifecycle;
  inflight: Inflight;
  /** Bearer token every call must carry, or null. */
  token: Buffer | null;
  /** Allowed client certificate CNs; empty = any the CA signed. */
  allowedClients: readonly string[];
  /** Refused certificate serials (tls.deniedSerials), normalised; replaced in place on SIGHUP. */
  deniedSerials: Set<string>;
  insecure: boolean;
  /** Counts and times every answered call (agent/metrics/); absent when metrics are off. */
  metrics?: { rpc(method: string, code: string, seconds: number): void };
}

/** Counts running calls so that a drain can wait for them. */
export class Inflight {
  private n = 0;
  private waiters: (() => void)[] = [];
  get count(): number {
    return this.n;
  }
  enter(): void {
    this.n++;
  }
  exit(): void {
    this.n--;
    if (this.n === 0) for (const w of this.waiters.splice(0)) w();
  }
  /** Resolves true when no call is running, false when `ms` passed first. */
  idle(ms: number): Promise<boolean> {
    if (this.n === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      this.waiters.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }
}

const STATUS: Record<ErrorCode, grpc.status> = {
  USAGE: grpc.status.INVALID_ARGUMENT,
  INVALID_INPUT: grpc.status.INVALID_ARGUMENT,
  NOT_FOUND: grpc.status.NOT_FOUND,
  ALREADY_EXISTS: grpc.status.ALREADY_EXISTS,
  PRECONDITION: grpc.status.FAILED_PRECONDITION,
  PERMISSION_DENIED: grpc.status.PERMISSION_DENIED,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
  TIMEOUT: grpc.status.DEADLINE_EXCEEDED,
  ZK: grpc.status.INTERNAL,
  VERIFY_FAILED: grpc.status.INTERNAL,
  ILLEGAL_STATE: grpc.status.FAILED_PRECONDITION,
  CANCELLED: grpc.status.CANCELLED,
  INTERNAL: grpc.status.INTERNAL,
};

/** The gRPC status for an AppError code (anything unknown is INTERNAL). */
export function grpcStatusOf(code: string): grpc.status {
  return STATUS[code as ErrorCode] ?? grpc.status.INTERNAL;
}

export function errorToStatus(err: AppError): grpc.ServiceError | Partial<grpc.StatusObject> {
  const md = new grpc.Metadata();
  md.set('zkmig-error-code', err.code);
  if (err instanceof ExecError) {
    md.set('zkmig-exit-code', String(err.exitCode ?? err.signal ?? ''));
    // -bin: stderr may hold bytes that are not legal in a text header.
    md.set('zkmig-stderr-bin', Buffer.from(err.stderr.slice(-4096), 'utf8'));
  }
  return { code: grpcStatusOf(err.code), details: err.message, metadata: md };
}

function tokenOk(expected: Buffer, md: grpc.Metadata): boolean {
  const v = md.get('authorization')[0];
  if (typeof v !== 'string' || !v.startsWith('Bearer ')) return false;
  const got = Buffer.from(v.slice(7), 'utf8');
  return got.length === expected.length && crypto.timingSafeEqual(got, expected);
}

function remainingOf(call: grpc.ServerUnaryCall<unknown, unknown>): () => number {
  const d = call.getDeadline();
  const at = d instanceof Date ? d.getTime() : typeof d === 'number' ? d : Infinity;
  return () => (Number.isFinite(at) ? at - Date.now() : Infinity);
}

/** What a handler returns: the response and what the audit record should say about it. */
export interface Handled<Res> {
  res: Res;
  audit?: { target: string; changed?: boolean; beforeSha256?: string; afterSha256?: string; backupFile?: string; result?: string; msg: string };
}

/**
 * Wrap an operation as a unary handler. `kind: 'mutation'` calls are audited whatever happens;
 * reads are audited only when they fail. `target` names the file or service for the audit record.
 */
export function unary<Req extends { header?: RequestHeader__Output | null }, Res>(
  deps: RpcDeps,
  method: string,
  kind: 'read' | 'mutation',
  target: (req: Req) => string,
  fn: (req: Req, ctx: CallContext) => Promise<Handled<Res>>,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const started = Date.now();
    const req = call.request;
    const identity = peerIdentity(call.getAuthContext()?.sslPeerCertificate);
    const ctx: CallContext = {
      method,
      requestId: clientField(req.header?.request_id) || crypto.randomUUID(),
      checkMode: req.header?.check_mode === true,
      coordinator: clientField(req.header?.coordinator),
      client: deps.insecure ? 'insecure' : (identity?.subject ?? 'unknown'),
      identity,
      peer: call.getPeer(),
      remainingMs: remainingOf(call),
    };
    const record = (event: 'mutation' | 'denied' | 'error', result: string, msg: string, extra: Handled<Res>['audit'] = undefined): void =>
      deps.audit.record({
        event,
        method,
        requestId: ctx.requestId,
        client: ctx.client,
        clientFingerprint: identity?.fingerprint,
        coordinator: ctx.coordinator,
        peer: ctx.peer,
        checkMode: ctx.checkMode,
        target: extra?.target ?? safeTarget(target, req),
        changed: extra?.changed,
        beforeSha256: extra?.beforeSha256,
        afterSha256: extra?.afterSha256,
        backupFile: extra?.backupFile,
        result,
        msg,
        durationMs: Date.now() - started,
      });
    const observe = (code: grpc.status): void => deps.metrics?.rpc(method, grpc.status[code], (Date.now() - started) / 1000);
    const reject = (code: grpc.status, msg: string): void => {
      // Rate-limited and aggregated: anyone with a CA-signed certificate can cause these.
      deniedThrottle(deps.audit).record('denied', {
        event: 'denied', method, requestId: ctx.requestId, client: ctx.client, clientFingerprint: identity?.fingerprint, coordinator: ctx.coordinator,
        peer: ctx.peer, checkMode: ctx.checkMode, target: safeTarget(target, req), result: grpc.status[code], msg, durationMs: Date.now() - started,
      });
      observe(code);
      const md = new grpc.Metadata();
      md.set('zkmig-error-code', code === grpc.status.UNAUTHENTICATED || code === grpc.status.PERMISSION_DENIED ? 'PERMISSION_DENIED' : 'UNAVAILABLE');
      callback({ code, details: msg, metadata: md });
    };

    if (deps.lifecycle.state !== 'serving') {
      reject(grpc.status.UNAVAILABLE, `zkmig-agent is ${deps.lifecycle.state}; retry on another attempt`);
      return;
    }
    if (!deps.insecure && !identity) {
      reject(grpc.status.UNAUTHENTICATED, 'no verified client certificate');
      return;
    }
    // Checked on every call, not only at the handshake: a connection opened before the serial was
    // denied (SIGHUP) must not keep working.
    if (identity && deps.deniedSerials.has(identity.serial)) {
      reject(grpc.status.PERMISSION_DENIED, `client certificate serial ${identity.serial} is in tls.deniedSerials (revoked)`);
      return;
    }
    if (identity && deps.allowedClients.length > 0 && !deps.allowedClients.includes(identity.cn)) {
      reject(grpc.status.PERMISSION_DENIED, `client certificate CN "${identity.cn}" is not in tls.allowedClients`);
      return;
    }
    if (deps.token && !tokenOk(deps.token, call.metadata)) {
      reject(grpc.status.UNAUTHENTICATED, 'missing or wrong bearer token (metadata "authorization: Bearer <token>")');
      return;
    }
    deps.inflight.enter();
    fn(req, ctx).then(
      // The answer is handed to grpc-js before the call stops counting as in flight, so that a
      // drain waiting for zero calls never closes a connection under an unsent answer.
      (h) => {
        if (kind === 'mutation') record('mutation', h.audit?.result ?? 'ok', h.audit?.msg ?? '', h.audit);
        callback(null, h.res);
        observe(grpc.status.OK);
        deps.inflight.exit();
      },
      (e: unknown) => {
        const err = toAppError(e);
        const code = grpcStatusOf(err.code);
        record(code === grpc.status.PERMISSION_DENIED ? 'denied' : 'error', grpc.status[code], err.message);
        callback(errorToStatus(err));
        observe(code);
        deps.inflight.exit();
      },
    );
  };
}

/**
 * A field the client chose (request_id, coordinator): at most 128 characters from a safe set, so a
 * client can neither write huge audit records nor forge their structure.
 */
export function clientField(v: string | undefined | null): string {
  return (v ?? '').slice(0, 128).replace(/[^A-Za-z0-9._:@/+=-]/g, '?');
}

const throttles = new WeakMap<AuditLog, AuditThrottle>();
function deniedThrottle(audit: AuditLog): AuditThrottle {
  let t = throttles.get(audit);
  if (!t) throttles.set(audit, (t = new AuditThrottle(audit, 1000, 20)));
  return t;
}

function safeTarget<Req>(target: (req: Req) => string, req: Req): string {
  try {
    return target(req);
  } catch {
    return '';
  }
}
