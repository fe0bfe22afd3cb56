/**
 * Comparing meta-server addresses written by different people: the inventory may say
 * `meta1.example.com:34601` where config.ini's server_list says `10.0.0.11:34601` (Pegasus
 * v2.5.0 configs are usually IP-based). Two endpoints are the same when their ports match and
 * their hosts are equal ignoring case, or resolve to a common address.
 */
import * as dns from 'node:dns';
import * as net from 'node:net';

/** host → addresses it resolves to (itself when it is an IP or does not resolve). */
export type Resolved = ReadonlyMap<string, readonly string[]>;

export type Lookup = (host: string) => Promise<string[]>;

const systemLookup: Lookup = async (host) => (await dns.promises.lookup(host, { all: true })).map((a) => a.address);

/** Split `host:port` / `[v6]:port`; undefined when it is not that shape. */
export function splitEndpoint(text: string): { host: string; port: string } | undefined {
  const m = /^\s*(?:\[([^\]]+)\]|([^\s:]+)):(\d{1,5})\s*$/.exec(text);
  const host = m?.[1] ?? m?.[2];
  return m && host ? { host: host.toLowerCase(), port: String(Number(m[3])) } : undefined;
}

/** Resolve every distinct host name once, in parallel, each bounded by `timeoutMs`. Never rejects. */
export async function resolveHosts(endpoints: Iterable<string>, lookup: Lookup = systemLookup, timeoutMs = 2000): Promise<Map<string, string[]>> {
  const hosts = new Set<string>();
  for (const e of endpoints) {
    const s = splitEndpoint(e);
    if (s) hosts.add(s.host);
  }
  const out = new Map<string, string[]>();
  await Promise.all(
    [...hosts].map(async (h) => {
      if (net.isIP(h)) {
        out.set(h, [h]);
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      try {
        const addrs = await Promise.race([
          lookup(h),
          new Promise<string[]>((resolve) => {
            timer = setTimeout(() => resolve([]), timeoutMs);
          }),
        ]);
        out.set(h, [h, ...addrs.map((a) => a.toLowerCase())]);
      } catch {
        out.set(h, [h]);
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return out;
}

/** Same port, and hosts equal or sharing a resolved address. */
export function sameEndpoint(a: string, b: string, resolved: Resolved): boolean {
  const x = splitEndpoint(a);
  const y = splitEndpoint(b);
  if (!x || !y) return a.trim().toLowerCase() === b.trim().toLowerCase();
  if (x.port !== y.port) return false;
  if (x.host === y.host) return true;
  const ax = resolved.get(x.host) ?? [x.host];
  const ay = resolved.get(y.host) ?? [y.host];
  return ax.some((v) => ay.includes(v));
}

/**
 * The identities of an endpoint: `address:port` for its host and every address it resolved to, or
 * its trimmed, lower-cased text when it is not `host:port`. Two endpoints are the same (as
 * sameEndpoint decides) exactly when they share one; comparing whole lists this way parses each
 * endpoint once instead of once per pair.
 */
export function endpointIds(text: string, resolved: Resolved): string[] {
  const x = splitEndpoint(text);
  if (!x) return [`raw ${text.trim().toLowerCase()}`];
  const hosts = resolved.get(x.host) ?? [];
  return [x.host, ...hosts].map((h) => `${h}:${x.port}`);
}
