/**
 * The agent's audit trail: every mutation (who, what, before and after hashes, result), every
 * rejected call and TLS handshake, every error, and lifecycle changes.
 *
 * Sink: journald through systemd-journald when /run/systemd/journal/socket exists, JSON lines on
 * stderr otherwise. The check matters: without the socket, libsystemd's sd_journal_sendv fails with
 * ENOENT and the binding returns silently, so records would be dropped. Under a
 * systemd unit stderr reaches the journal too, but as unstructured text; the native path keeps the
 * fields (ZKMIG_EVENT, ZKMIG_CLIENT, ...) searchable with `journalctl ZKMIG_EVENT=mutation`.
 */
import * as fs from 'node:fs';

export const JOURNAL_SOCKET = '/run/systemd/journal/socket';

export type AuditEvent =
  | { event: 'lifecycle'; state: string; msg: string; address?: string; pid?: number }
  /** Something works less well than configured (e.g. the journald binding did not load). */
  | { event: 'warning'; msg: string }
  | { event: 'tls-rejected'; peer: string; reason: string; subject?: string; msg: string }
  /**
   * Connections closed by a limit: `limit` is limits.maxConnections for verified sessions, or the
   * cap on connections still in their TLS handshake (`reason: 'handshake-evicted'`).
   */
  | { event: 'connection-dropped'; peer: string; limit: number; dropped: number; reason?: string; msg: string }
  | {
      event: 'mutation' | 'denied' | 'error';
      method: string;
      requestId: string;
      /** Client certificate subject (`O=zkmig/CN=coordinator`), or `insecure`. */
      client: string;
      clientFingerprint?: string;
      /** RequestHeader.coordinator, as the client described itself. */
      coordinator: string;
      peer: string;
      checkMode: boolean;
      /** The file path or service name. */
      target: string;
      changed?: boolean;
      beforeSha256?: string;
      afterSha256?: string;
      backupFile?: string;
      /** ok | failed (ran, desired state not reached) | a gRPC status name. */
      result: string;
      msg: string;
      durationMs: number;
    };

export interface AuditSink {
  write(record: AuditEvent & { ts: string; level: 'info' | 'warning' | 'err' }): void;
}

function levelOf(e: AuditEvent): 'info' | 'warning' | 'err' {
  if (e.event === 'error') return 'err';
  if (e.event === 'warning') return 'warning';
  if (e.event === 'denied' || e.event === 'tls-rejected' || e.event === 'connection-dropped') return 'warning';
  if (e.event === 'mutation' && e.result !== 'ok') return 'warning';
  return 'info';
}

/** JSON lines on a stream (stderr by default). */
export class JsonLinesSink implements AuditSink {
  constructor(private readonly out: NodeJS.WritableStream = process.stderr) {}
  write(record: AuditEvent & { ts: string; level: string }): void {
    // ts and level first so that the lines read well in a terminal.
    const { ts, level, ...rest } = record;
    this.out.write(JSON.stringify({ ts, level, ...rest }) + '\n');
  }
}

type JournaldCtor = new (defaults: Record<string, string>) => Record<'info' | 'warning' | 'err', (msg: string, fields: Record<string, unknown>) => void>;

/** Native journald records with ZKMIG_* fields. */
export class JournaldSink implements AuditSink {
  private readonly journal: InstanceType<JournaldCtor>;
  constructor(ctor: JournaldCtor) {
    this.journal = new ctor({ syslog_identifier: 'zkmig-agent' });
  }
  write(record: AuditEvent & { ts: string; level: 'info' | 'warning' | 'err' }): void {
    const { msg, level, ...rest } = record as AuditEvent & { ts: string; level: 'info' | 'warning' | 'err'; msg: string };
    const fields: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(rest)) {
      if (v !== undefined) fields[`zkmig_${k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase())}`] = typeof v === 'string' ? v : JSON.stringify(v);
    }
    this.journal[level](msg, fields);
  }
}

/**
 * journald when its socket exists and the native binding loads, else JSON lines on stderr
 * (`mode` forces one). `socketPath` is a parameter so tests can point it at a socket of their own.
 */
export function openAuditSink(
  socketPath = JOURNAL_SOCKET,
  mode: 'auto' | 'journald' | 'stderr' = 'auto',
): { sink: AuditSink; kind: 'journald' | 'stderr'; why?: string; degraded?: boolean } {
  if (mode === 'stderr') return { sink: new JsonLinesSink(), kind: 'stderr', why: 'auditSink: stderr' };
  if (mode === 'auto' && !fs.existsSync(socketPath)) return { sink: new JsonLinesSink(), kind: 'stderr', why: `${socketPath} does not exist` };
  try {
    // Loaded only here: the native module is not needed (and may not build) where there is no journal.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ctor = require('systemd-journald') as JournaldCtor;
    return { sink: new JournaldSink(ctor), kind: 'journald' };
  } catch (e) {
    // The bundled agent (scripts/pack-agent.js) ships without the native binding: a journal is
    // there but the binding is not. `degraded` makes main.ts say so once, as a warning.
    return { sink: new JsonLinesSink(), kind: 'stderr', why: `systemd-journald did not load: ${(e as Error).message.split('\n')[0]}`, degraded: true };
  }
}

/**
 * Longest string field written. Some fields come from the peer (request_id, coordinator, a
 * certificate subject): a client must not be able to write megabyte-sized records.
 */
export const MAX_FIELD_CHARS = 512;
export const MAX_MSG_CHARS = 2048;

function capped(e: AuditEvent): AuditEvent {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    const max = k === 'msg' ? MAX_MSG_CHARS : MAX_FIELD_CHARS;
    out[k] = typeof v === 'string' && v.length > max ? `${v.slice(0, max)}...[${v.length - max} more chars cut]` : v;
  }
  return out as AuditEvent;
}

export class AuditLog {
  constructor(private readonly sink: AuditSink) {}

  record(e: AuditEvent): void {
    try {
      this.sink.write({ ...capped(e), ts: new Date().toISOString(), level: levelOf(e) });
    } catch (err) {
      // Never let a logging failure fail the operation; say so on stderr instead.
      process.stderr.write(`zkmig-agent: audit write failed: ${(err as Error).message}\n`);
    }
  }
}
