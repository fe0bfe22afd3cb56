/**
 * What v2.5.0's shell `recover` accepts in its node list (`-f` file lines and `-s` entries): each
 * must pass `rpc_address::from_string_ipv4` (src/runtime/rpc/rpc_address.cpp): split at the last
 * `:`, a port of at most 65535, and `localhost` or an IPv4 literal (`inet_pton(AF_INET)`). Host
 * names are refused there (src/shell/commands/recovery.cpp, `recover`: "parse <x> as a ip:port
 * node failed"), and the shell only says so on stderr after the metas were stopped. Later
 * versions parse with `host_port::from_string`, which takes names (docs/pegasus-internals.md §4.7).
 */

/** inet_pton(AF_INET): four decimal parts 0-255, no leading zeros (glibc rejects them). */
function isIPv4Literal(h: string): boolean {
  const parts = h.split('.');
  return parts.length === 4 && parts.every((p) => /^(?:0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

/** Whether v2.5.0's `from_string_ipv4` accepts `node`. */
export function acceptedByV25Recover(node: string): boolean {
  const i = node.lastIndexOf(':');
  if (i < 0) return false;
  const ip = node.slice(0, i);
  const port = node.slice(i + 1);
  if (!/^\d+$/.test(port) || Number(port) > 65535) return false;
  return ip === 'localhost' || isIPv4Literal(ip);
}

/** Versions whose `recover` takes only IPv4 literals: 2.5 and older, and an unknown one (the strict reading). */
export function recoverNeedsIPv4(version: string | undefined): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version ?? '');
  if (!m) return true;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  return major < 2 || (major === 2 && minor <= 5);
}

/** One message per node the shell of `version` would refuse in `recover`'s node list. */
export function recoverNodeProblems(nodes: readonly string[], version: string | undefined): string[] {
  if (!recoverNeedsIPv4(version)) return [];
  return nodes
    .filter((n) => !acceptedByV25Recover(n))
    .map((n) => `replica server ${n}: the Pegasus ${version ?? '(unknown version)'} shell's recover takes IPv4 literals (or localhost) only and would refuse it ("parse ${n} as a ip:port node failed"); list it by its IPv4 address in the replica servers' [meta_server] / the meta's view, or use a shell of a later version`);
}
