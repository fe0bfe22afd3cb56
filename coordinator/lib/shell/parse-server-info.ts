import { address, detectFormat, int, Output, parseJsonObject, prepare, throwIfFailed, unparsable } from './output';
import { ServerInfo, ServerInfoEntry, ServerRole } from './types';

const ROLES: readonly ServerRole[] = ['meta-server', 'replica-server'];

/**
 * Parse `server_info` (docs/pegasus-internals.md §4.8). Two layouts:
 *
 * - v2.5.0 and older, on **stderr**: `COMMAND: server-info`, one
 *   `CALL [<role>] [<addr>] succeed: <answer>` or `... failed: <ERR>` line per server, then
 *   `Succeed count: N` and `Failed count: M`;
 * - master (PR #2052), on stdout: one JSON object
 *   `{"command", "details": {"<addr>": {"acked", "message", "role"}}, "failed_count", "succeed_count"}`.
 *
 * A server that did not answer is data (`ok: false`), not an error. The counts must match the
 * servers listed, so truncated output is an error.
 */
export function parseServerInfo(text: string, command = 'server_info'): ServerInfo {
  const out = prepare(command, text);
  throwIfFailed(out);
  const format = detectFormat(out);
  const result = format === 'json' ? fromJson(out) : fromText(out);
  const ok = result.servers.filter((s) => s.ok).length;
  if (ok !== result.succeedCount || result.servers.length - ok !== result.failedCount) {
    throw unparsable(
      out,
      undefined,
      `the counts (${result.succeedCount} succeeded, ${result.failedCount} failed) do not match the ${result.servers.length} servers listed (truncated output?)`,
    );
  }
  return result;
}

function fromText(out: Output): ServerInfo {
  const servers: ServerInfoEntry[] = [];
  let succeed: number | undefined;
  let failed: number | undefined;
  let sawCommand = false;
  out.lines.forEach((raw, at) => {
    const line = raw.trim();
    if (line === '') return;
    let m: RegExpExecArray | null;
    if ((m = /^COMMAND: (.*)$/.exec(line))) {
      if (sawCommand) throw unparsable(out, at, 'a second COMMAND line');
      sawCommand = true;
    } else if ((m = /^CALL \[([a-z-]+)\] \[([^\]]+)\] (succeed|failed): ?(.*)$/.exec(line))) {
      const role = m[1] as ServerRole;
      if (!ROLES.includes(role)) throw unparsable(out, at, `unknown role ${m[1]}`);
      const entry: ServerInfoEntry = { role, address: address(out, at, 'server', m[2]), ok: m[3] === 'succeed', message: m[4]! };
      if (entry.ok) {
        // `Pegasus Server 2.5.0 (0ca31b70e...) Release, Started at 2024-05-01 12:00:00`
        const v = /^Pegasus Server (\S+) \(([^)]*)\) (\S+), Started at (.+)$/.exec(entry.message);
        if (!v) throw unparsable(out, at, 'expected "Pegasus Server <version> (<sha>) <build>, Started at <time>"');
        entry.version = v[1]!;
        entry.gitSha = v[2]!;
        entry.buildType = v[3]!;
        entry.startTime = v[4]!;
      }
      servers.push(entry);
    } else if ((m = /^Succeed count: (\d+)$/.exec(line))) {
      succeed = Number(m[1]);
    } else if ((m = /^Failed count: (\d+)$/.exec(line))) {
      failed = Number(m[1]);
    } else {
      throw unparsable(out, at, 'expected COMMAND:, CALL [...] or a count line');
    }
  });
  if (!sawCommand) throw unparsable(out, undefined, 'no "COMMAND: server-info" line');
  if (succeed === undefined || failed === undefined) throw unparsable(out, undefined, 'no "Succeed count"/"Failed count" lines (truncated output?)');
  return { format: 'text', servers, succeedCount: succeed, failedCount: failed };
}

function fromJson(out: Output): ServerInfo {
  const obj = parseJsonObject(out);
  for (const k of Object.keys(obj)) {
    if (!['command', 'details', 'failed_count', 'succeed_count'].includes(k)) throw unparsable(out, undefined, `unexpected JSON key "${k}"`);
  }
  const details = obj.details;
  if (typeof details !== 'object' || details === null || Array.isArray(details)) throw unparsable(out, undefined, 'JSON "details" is not an object');
  const count = (k: string): number => {
    const v = obj[k];
    return typeof v === 'number' && Number.isInteger(v) ? v : int(out, undefined, k, typeof v === 'string' ? v : JSON.stringify(v));
  };
  const servers = Object.entries(details as Record<string, unknown>).map(([addr, d]): ServerInfoEntry => {
    if (typeof d !== 'object' || d === null) throw unparsable(out, undefined, `details["${addr}"] is not an object`);
    const { acked, message, role } = d as Record<string, unknown>;
    if (typeof acked !== 'boolean') throw unparsable(out, undefined, `details["${addr}"].acked is not a boolean`);
    if (!ROLES.includes(role as ServerRole)) throw unparsable(out, undefined, `details["${addr}"].role ${JSON.stringify(role)} is not meta-server or replica-server`);
    const entry: ServerInfoEntry = {
      role: role as ServerRole,
      address: address(out, undefined, 'server', addr),
      ok: acked,
      message: typeof message === 'string' ? message : JSON.stringify(message),
    };
    if (acked) {
      // `{"build_type":"Release","git_SHA":"...","start_time":"YYYY-mm-dd HH:MM:SS","version":"2.6.0-SNAPSHOT"}`
      const m = message as Record<string, unknown> | null;
      const field = (k: string): string => {
        const v = m?.[k];
        if (typeof v !== 'string') throw unparsable(out, undefined, `details["${addr}"].message has no ${k}`);
        return v;
      };
      if (typeof m !== 'object' || m === null) throw unparsable(out, undefined, `details["${addr}"].message is not a server-info object`);
      entry.version = field('version');
      entry.gitSha = field('git_SHA');
      entry.buildType = field('build_type');
      entry.startTime = field('start_time');
    }
    return entry;
  });
  return { format: 'json', servers, succeedCount: count('succeed_count'), failedCount: count('failed_count') };
}
