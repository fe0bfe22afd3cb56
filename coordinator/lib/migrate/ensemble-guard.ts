import { lookup } from 'node:dns/promises';

/**
 * Guards against the likeliest `--to` mistakes, before anything changes: a `hosts_list` value the
 * ZooKeeper C client in the metas cannot use, and a target that is (or shares a server with) the
 * ensemble the cluster already uses under another name (localhost vs 127.0.0.1, a DNS name vs its
 * address): the metas would pick servers of two ensembles at random.
 */

/**
 * Problems the ZooKeeper C client (what Pegasus metas link) has with a `hosts_list` value. It
 * splits each entry at the last ':' and resolves the rest with getaddrinfo (`zookeeper.c
 * getaddrs`), so a bracketed IPv6 literal is looked up with its brackets and fails; an entry
 * without a port is refused; an empty entry or a duplicate is a typo worth stopping for.
 */
export function cClientHostProblems(value: string): string[] {
  const out: string[] = [];
  const entries = value.split(',');
  const seen = new Set<string>();
  entries.forEach((raw, i) => {
    const e = raw.trim();
    if (e === '') {
      out.push(`entry ${i + 1} is empty (two commas, or a comma at an end)`);
      return;
    }
    const colon = e.lastIndexOf(':');
    const host = colon < 0 ? e : e.slice(0, colon);
    const port = colon < 0 ? '' : e.slice(colon + 1);
    if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) out.push(`"${e}" has no valid port (host:port)`);
    if (host.startsWith('[') || host.includes(':')) out.push(`"${e}": the ZooKeeper C client splits at the last ':' and resolves "${host}" as a name; an IPv6 literal in brackets does not resolve (use a host name)`);
    const key = e.toLowerCase();
    if (seen.has(key)) out.push(`"${e}" is listed twice`);
    seen.add(key);
  });
  return out;
}

/** `host:port` → `address:port` for every address the name resolves to (the name itself when it does not resolve). */
export async function resolveServers(hosts: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const raw of hosts.split(',').map((h) => h.trim()).filter(Boolean)) {
    const colon = raw.lastIndexOf(':');
    const host = (colon < 0 ? raw : raw.slice(0, colon)).replace(/^\[|\]$/g, '');
    const port = colon < 0 ? '' : raw.slice(colon + 1);
    let addrs: string[];
    try {
      addrs = (await lookup(host, { all: true })).map((a) => a.address);
    } catch {
      addrs = [host.toLowerCase()];
    }
    // localhost may resolve to ::1 only on some hosts and 127.0.0.1 on others: both are "this host".
    const norm = addrs.map((a) => (a === '::1' || /^127\./.test(a) ? 'loopback' : a.toLowerCase()));
    out.set(raw, [...new Set(norm)].map((a) => `${a}:${port}`));
  }
  return out;
}

/** Problems of a `--to` against the ensemble in use, after resolving names on both sides. */
export async function sameEnsembleProblems(source: string, to: string): Promise<string[]> {
  const [a, b] = await Promise.all([resolveServers(source), resolveServers(to)]);
  const used = new Map<string, string>();
  for (const [name, addrs] of a) for (const x of addrs) used.set(x, name);
  const shared: string[] = [];
  for (const [name, addrs] of b) {
    const hit = addrs.map((x) => used.get(x)).find((x) => x !== undefined);
    if (hit !== undefined) shared.push(name === hit ? name : `${name} (= ${hit})`);
  }
  if (shared.length === 0) return [];
  if (shared.length === b.size && b.size === a.size) return [`--to ${to} is the ensemble the cluster already uses (${source}), under ${shared.some((s) => s.includes('=')) ? 'other names' : 'the same names'}: nothing to migrate, and never delete its tree`];
  return [`--to ${to} shares server(s) with the ensemble the cluster uses now (${source}): ${shared.join(', ')}; the metas would pick servers of two ensembles at random (split brain). Give only the new ensemble's servers`];
}
