import { InvalidInputError } from '../../shared/errors';

/**
 * Addresses as Pegasus v2.5.0 prints them: `ip:port` (`rpc_address::to_string`), and
 * `invalid address` for an unset one. The simulator listens on loopback only, so `localhost`
 * resolves to 127.0.0.1 and any other host must already be an IPv4 literal.
 */

export const INVALID_ADDRESS = 'invalid address';

/** Parse `host:port` into a canonical `ip:port`; throws InvalidInputError naming `what`. */
export function parseAddress(s: string, what: string): string {
  const m = /^([^:\s]+):(\d{1,5})$/.exec(s.trim());
  if (!m) throw new InvalidInputError(`invalid address '${s}' in ${what}: expected host:port`);
  let host = m[1]!;
  const port = Number(m[2]);
  if (port <= 0 || port > 65535) throw new InvalidInputError(`invalid port in '${s}' in ${what}`);
  if (host === 'localhost') host = '127.0.0.1';
  if (!isIPv4(host)) throw new InvalidInputError(`invalid address '${s}' in ${what}: the simulator only accepts IPv4 literals or localhost`);
  return `${host}:${port}`;
}

/** Like parseAddress but returns undefined instead of throwing (the shell's `from_string_ipv4`). */
export function tryParseAddress(s: string): string | undefined {
  try {
    return parseAddress(s, 'input');
  } catch {
    return undefined;
  }
}

export function isIPv4(h: string): boolean {
  const parts = h.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

export function splitAddress(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  return { host: addr.slice(0, i), port: Number(addr.slice(i + 1)) };
}

/**
 * Order of `std::map<rpc_address, ...>` in v2.5.0: by the numeric IPv4 value, then port
 * (`rpc_address` compares its packed 64-bit value). Used for `nodes` rows.
 */
export function compareRpcAddress(a: string, b: string): number {
  const pa = splitAddress(a);
  const pb = splitAddress(b);
  const ia = ipValue(pa.host);
  const ib = ipValue(pb.host);
  if (ia !== ib) return ia < ib ? -1 : 1;
  return pa.port - pb.port;
}

/** Order of `host_port` on master: host string, then port. */
export function compareHostPort(a: string, b: string): number {
  const pa = splitAddress(a);
  const pb = splitAddress(b);
  if (pa.host !== pb.host) return pa.host < pb.host ? -1 : 1;
  return pa.port - pb.port;
}

function ipValue(h: string): number {
  if (!isIPv4(h)) return 0;
  return h.split('.').reduce((acc, p) => acc * 256 + Number(p), 0);
}

/**
 * The master branch (2.6.0-SNAPSHOT) prints `host:port` (`host_port`) where v2.5.0 prints
 * `ip:port`. The simulator runs on loopback, so the only name it can honestly give is `localhost`.
 */
export function toHostPort(addr: string): string {
  if (addr === INVALID_ADDRESS) return 'invalid host_port';
  const { host, port } = splitAddress(addr);
  return `${host === '127.0.0.1' ? 'localhost' : host}:${port}`;
}
