/**
 * TLS helpers both sides use: reading PEM files with errors that name the file, describing a peer
 * certificate for the audit log, and the loopback test that gates `--insecure`.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import type { PeerCertificate } from 'node:tls';
import { InvalidInputError } from './errors';

/** Read a PEM file; `what` names it in the error ("tls.ca"). */
export function readPem(file: string, what: string): Buffer {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new InvalidInputError(`${what}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  if (!buf.includes('-----BEGIN ')) throw new InvalidInputError(`${what}: ${file} is not a PEM file`);
  return buf;
}

/** Who a client certificate names, for audit records and allowlists. */
export interface PeerIdentity {
  /** Subject CN, '' when none. */
  cn: string;
  /** Subject as `O=zkmig/CN=coordinator`. */
  subject: string;
  /** SHA-256 fingerprint of the DER certificate, hex with colons (as `openssl x509 -fingerprint -sha256`). */
  fingerprint: string;
  /** ISO 8601 expiry. */
  validTo: string;
  /** Serial number, upper-case hex without leading zeros or colons (see normalizeSerial). */
  serial: string;
}

/** A certificate serial as the agent compares them: hex digits only, upper case, no leading zeros. */
export function normalizeSerial(s: string): string {
  return s.replace(/[\s:]/g, '').toUpperCase().replace(/^0+(?=.)/, '');
}

export function peerIdentity(cert: PeerCertificate | undefined): PeerIdentity | null {
  if (!cert || !cert.raw) return null;
  const subj = cert.subject as unknown as Record<string, string | string[]> | undefined;
  const parts = subj ? Object.entries(subj).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`) : [];
  const cnRaw = subj?.CN;
  const cn = Array.isArray(cnRaw) ? (cnRaw[0] ?? '') : (cnRaw ?? '');
  const fp = crypto.createHash('sha256').update(cert.raw).digest('hex').toUpperCase().match(/../g)?.join(':') ?? '';
  return { cn, subject: parts.join('/'), fingerprint: fp, validTo: new Date(cert.valid_to).toISOString(), serial: normalizeSerial(cert.serialNumber ?? '') };
}

/** True for 127.0.0.0/8, ::1, ::ffff:127.x and `localhost`: the only addresses --insecure may use. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}

/** Split `host:port` / `[v6]:port`; throws InvalidInputError naming `what`. */
export function parseHostPort(value: string, what: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(value.trim());
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (!m || host === undefined || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidInputError(`${what}: "${value}" is not host:port`);
  }
  return { host: host === '' ? '0.0.0.0' : host, port };
}
