import { fourLetter } from '../zk-server';

/**
 * ZooKeeper's four-letter words as data: `srvr` (version, mode, zxid), `conf` (server id, ports,
 * the membership it runs with) and `mntr` (synced followers and observers, peer state). They need
 * `4lw.commands.whitelist` to list them; a server that answers nothing is reported as such.
 */

export interface Srvr {
  version: string;
  /** [major, minor, patch] of `version`. */
  semver: [number, number, number];
  mode: string;
  zxid: bigint;
}

export function parseSrvr(text: string): Srvr | undefined {
  const v = /^Zookeeper version: (\d+)\.(\d+)\.(\d+)\S*/m.exec(text);
  const mode = /^Mode: (\S+)/m.exec(text)?.[1];
  const zxid = /^Zxid: 0x([0-9a-fA-F]+)/m.exec(text)?.[1];
  if (!v || !mode) return undefined;
  return { version: v[0].slice('Zookeeper version: '.length), semver: [Number(v[1]), Number(v[2]), Number(v[3])], mode, zxid: zxid ? BigInt(`0x${zxid}`) : 0n };
}

export interface Conf {
  serverId: number | undefined;
  /** The `server.N=` lines after `membership:` (the server's own view of the config). */
  membership: string[];
  values: Record<string, string>;
}

export function parseConf(text: string): Conf | undefined {
  if (!/=/.test(text)) return undefined;
  const values: Record<string, string> = {};
  const membership: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('server.')) membership.push(line);
    else {
      const i = line.indexOf('=');
      if (i > 0) values[line.slice(0, i)] = line.slice(i + 1);
    }
  }
  return { serverId: values.serverId === undefined ? undefined : Number(values.serverId), membership, values };
}

export function parseMntr(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('\t');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

export interface AdminView {
  endpoint: string;
  srvr: Srvr | undefined;
  conf: Conf | undefined;
  mntr: Record<string, string>;
  /** Raw answer of `srvr` when it did not parse (e.g. "srvr is not executed because it is not in the whitelist."). */
  raw: string;
}

/** Ask one server `srvr`, `conf` and `mntr` (each with its own deadline). */
export async function adminView(endpoint: string, timeoutMs = 2000): Promise<AdminView> {
  const i = endpoint.lastIndexOf(':');
  const host = endpoint.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(endpoint.slice(i + 1));
  const [s, c, m] = await Promise.all([fourLetter(port, 'srvr', timeoutMs, host), fourLetter(port, 'conf', timeoutMs, host), fourLetter(port, 'mntr', timeoutMs, host)]);
  return { endpoint, srvr: parseSrvr(s), conf: parseConf(c), mntr: parseMntr(m), raw: s };
}
