import { Command, Option } from 'commander';
import { UsageError } from '../../shared/errors';
import { CliIO, EXIT } from '../lib/io';
import { renderTable } from '../lib/table';
import { getZnode, ZnodeInfo } from '../lib/zk/get';
import { addConnFlags, addJsonFlag, authFrom, ConnFlags, connFrom } from './zk-options';

/** `zkmig zk get` and `zkmig zk stat`: one znode's data, stat fields and ACL (zkCli's get -s, stat, getAcl). */

interface GetFlags extends ConnFlags {
  format?: 'text' | 'hex' | 'json';
}

const GET_HELP = `
Print one znode's data, then its stat fields and ACL (zkCli's "get -s" and
"getAcl" in one read). --format text prints the data as UTF-8 (refused when it
is not), hex as a hex dump, json parses it as JSON and pretty-prints it. A node
with no data at all is shown as "(null)", distinct from empty data "(empty)".
Writes nothing; needs read permission.

Exit codes: 0 printed; 2 the node does not exist or could not be read.`;

const STAT_HELP = `
Print one znode's stat fields (czxid, mzxid, pzxid, ctime, mtime, versions,
ephemeralOwner, dataLength, numChildren) and its ACL, without the data. Writes
nothing; needs read permission.

Exit codes: 0 printed; 2 the node does not exist or could not be read.`;

export function registerZkGet(zk: Command, io: CliIO): void {
  for (const kind of ['get', 'stat'] as const) {
    const cmd = zk
      .command(kind)
      .summary(kind === 'get' ? "print a znode's data (text, hex or JSON), stat and ACL" : "print a znode's stat fields and ACL")
      .description(kind === 'get' ? GET_HELP : STAT_HELP)
      .argument('<endpoint>', 'host:port[,host:port...]/path');
    if (kind === 'get') cmd.addOption(new Option('--format <format>', 'how to print the data').choices(['text', 'hex', 'json']).default('text'));
    addConnFlags(cmd);
    addJsonFlag(cmd, 'path, data as base64, stat, acl');
    cmd.action(async (endpoint: string, f: GetFlags) => {
      const auth = authFrom(f.auth, io);
      const n = await getZnode({ endpoint, conn: { ...connFrom(f), ...(auth ? { auth } : {}) } });
      if (f.json) {
        io.out(`${JSON.stringify({ path: n.path, ...(kind === 'get' ? { data: n.data === null ? null : n.data.toString('base64') } : {}), stat: n.stat, acl: n.acl }, null, 2)}\n`);
      } else {
        io.out(`${kind === 'get' ? `${renderData(n.data, f.format ?? 'text', n.path)}\n` : ''}${renderStat(n)}`);
      }
      io.exitCode = EXIT.OK;
    });
  }
}

export function renderData(data: Buffer | null, format: 'text' | 'hex' | 'json', path: string): string {
  if (data === null) return '(null)';
  if (data.length === 0) return '(empty)';
  if (format === 'hex') {
    const lines: string[] = [];
    for (let i = 0; i < data.length; i += 16) {
      const chunk = data.subarray(i, i + 16);
      const hexes = [...chunk].map((b) => b.toString(16).padStart(2, '0')).join(' ');
      lines.push(`${i.toString(16).padStart(8, '0')}  ${hexes.padEnd(47)}  ${[...chunk].map((b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : '.')).join('')}`);
    }
    return lines.join('\n');
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    throw new UsageError(`${path}: the data is not UTF-8 text; use --format hex`);
  }
  if (format === 'json') {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch (e) {
      throw new UsageError(`${path}: the data is not JSON (${(e as Error).message}); use --format text or hex`);
    }
  }
  return text;
}

export function renderStat(n: ZnodeInfo): string {
  const rows = [...Object.entries(n.stat).map(([k, v]) => [k, String(v)]), ...n.acl.map((a) => ['acl', `${a.scheme}:${a.id}:${a.perms}`])];
  return `${renderTable(rows, { sep: ' ', minWidths: [14] }).join('\n')}\n`;
}
