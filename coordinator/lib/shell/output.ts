import { InvalidInputError, ShellCommandError } from '../../../shared/errors';
import { OutputFormat } from './types';

/**
 * Shared pieces of the shell output parsers: banner and ANSI stripping, the shell's error lines,
 * and the two table layouts of `table_printer` (docs/pegasus-internals.md §4.2, `src/utils/output_utils.cpp`):
 *
 * - key/value tables: `key<pad>: value<pad>`, the key left-padded to the longest key + 2;
 * - multi-column tables: a header row, then rows, every cell padded to its column's width + 2
 *   (left- or right-aligned), so rows carry trailing spaces;
 * - each table starts with `[name]`; in multi-table output each is followed by one empty line;
 * - `-j` prints one pretty JSON object whose values are all strings.
 */

/** The lines the shell prints when it starts (docs/pegasus-internals.md §4.1). */
const BANNER: RegExp[] = [
  /^Pegasus Shell (\S+)/,
  /^Type "help" for more information\.?$/,
  /^Type "Ctrl-D" or "Ctrl-C" to exit the shell\.?$/,
  /^The config file is: ?(.*)$/,
  /^The cluster name is: ?(.*)$/,
  /^The cluster meta list is: ?(.*)$/,
];

export interface ShellBanner {
  version?: string;
  configFile?: string;
  clusterName?: string;
  metaList?: string;
}

export interface Output {
  /** The command whose output this is, for error messages. */
  command: string;
  /** Output lines after the banner: ANSI colours removed, trailing spaces trimmed. */
  lines: string[];
  banner: ShellBanner;
}

/** Clean up raw shell text: CRLF, ANSI colour codes (stderr `ERROR:` lines are bold red), banner, padding. */
export function prepare(command: string, text: string): Output {
  // eslint-disable-next-line no-control-regex
  const all = text.replace(/\x1b\[[0-9;]*m/g, '').split(/\r?\n/).map((l) => l.trimEnd());
  const banner: ShellBanner = {};
  let i = 0;
  for (; i < all.length; i++) {
    const line = all[i]!;
    if (line === '') continue;
    const k = BANNER.findIndex((re) => re.test(line));
    if (k < 0) break;
    const value = BANNER[k]!.exec(line)![1];
    if (k === 0) banner.version = value;
    if (k === 3) banner.configFile = value;
    if (k === 4) banner.clusterName = value;
    if (k === 5) banner.metaList = value;
  }
  const lines = all.slice(i);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return { command, lines, banner };
}

/** A line the parser does not understand: an error naming the command, the line and why. */
export function unparsable(out: Output, lineIndex: number | undefined, why: string): InvalidInputError {
  const at = lineIndex === undefined ? '' : ` at line ${lineIndex + 1} ${JSON.stringify(out.lines[lineIndex] ?? '')}`;
  return new InvalidInputError(`cannot parse the output of "${out.command}"${at}: ${why}`, {
    context: { command: out.command, line: lineIndex === undefined ? undefined : lineIndex + 1, output: out.lines.join('\n') },
  });
}

/** Recover hints start with `ERROR:` too; they are data, parsed by parseRecover (docs/pegasus-internals.md §4.7). */
const RECOVER_HINT = /^(?:ERROR|WARNING): (?:collect app and replica info|partition\(|app\()/;

/** Argument errors `recover` prints without any prefix (docs/pegasus-internals.md §4.7). */
const RECOVER_USAGE = [
  /^should specify one of node_list_file\/node_list_str/,
  /^should only specify one of node_list_file\/node_list_str/,
  /^open file .* failed/,
  // v2.5.0 says ip:port (from_string_ipv4), master host:port (src/shell/commands/recovery.cpp, recover).
  /^parse .* at file .* line \d+ as (?:ip|host):port failed/,
  /^parse .* as a (?:ip|host):port node failed/,
  /^can't parse node from node_list_str/,
  /^parse .* as wait_seconds failed/,
  /^no node specified in file /,
  /^invalid wait_seconds .*, should be positive number/,
];

/**
 * Throw a ShellCommandError when the output holds one of the shell's failure lines
 * (docs/pegasus-internals.md §4.1, 4.3-4.9). The shell exits 0 whatever happens, so this is the only way a
 * failure is seen.
 */
export function throwIfFailed(out: Output): void {
  for (const line of out.lines) {
    const t = line.trim();
    let m: RegExpExecArray | null;
    // `get cluster info failed, error=ERR_TIMEOUT`, `list apps failed, error=ERR_UNDER_RECOVERY`;
    // master adds `: request meta failed: task=..., error=...` after the code.
    if ((m = /^(.*?)\s+failed, error=(ERR_[A-Z0-9_]+)/.exec(t))) fail(out, m[2]!, t);
    // `control meta level got error ERR_...` / `get meta level got error ERR_...`
    if ((m = /^(?:control|get) meta level got error (ERR_[A-Z0-9_]+)/.exec(t))) fail(out, m[1]!, t);
    if (/^Wait recovery failed/.test(t)) fail(out, 'ERR_TIMEOUT', t);
    if ((m = /^ERROR: invalid subcommand '(.*)'/.exec(t))) fail(out, 'SHELL_UNKNOWN_COMMAND', `the shell does not know the command "${m[1]}"`);
    if (/^USAGE:/.test(t)) fail(out, 'SHELL_USAGE', `the shell rejected the arguments: ${t.replace(/\s+/g, ' ')}`);
    if (/^ERROR: /.test(t) && !RECOVER_HINT.test(t)) fail(out, 'SHELL_USAGE', t);
    if (RECOVER_USAGE.some((re) => re.test(t))) fail(out, 'SHELL_USAGE', t);
  }
}

function fail(out: Output, errorCode: string, line: string): never {
  throw new ShellCommandError(out.command, errorCode, `Pegasus shell command "${out.command}" failed: ${line}`, {
    context: { output: out.lines.join('\n') },
  });
}

/** `{` first means `-j` output; anything else is the tabular text. */
export function detectFormat(out: Output): OutputFormat {
  const first = out.lines.find((l) => l.trim() !== '');
  return first !== undefined && first.trimStart().startsWith('{') ? 'json' : 'text';
}

/** Parse `-j` output: one JSON object, nothing after it. */
export function parseJsonObject(out: Output): Record<string, unknown> {
  const text = out.lines.join('\n');
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw unparsable(out, undefined, `malformed JSON (truncated output?): ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw unparsable(out, undefined, 'expected a JSON object');
  return v as Record<string, unknown>;
}

/** One `[name]` table of tabular output, with the index of each of its lines. */
export interface Section {
  name: string;
  /** Index of the `[name]` line. */
  at: number;
  rows: { at: number; text: string }[];
}

/** Split tabular output into its `[name]` tables. A line outside any table is an error. */
export function sections(out: Output): Section[] {
  const result: Section[] = [];
  let cur: Section | undefined;
  out.lines.forEach((text, at) => {
    const header = /^\[([A-Za-z0-9_]+)\]$/.exec(text);
    if (header) {
      cur = { name: header[1]!, at, rows: [] };
      result.push(cur);
    } else if (text.trim() === '') {
      cur = undefined;
    } else if (cur) {
      cur.rows.push({ at, text });
    } else {
      throw unparsable(out, at, 'this line is not part of any [table]');
    }
  });
  return result;
}

/** The tables in order, checked against what the command may print. */
export function expectSections(out: Output, found: Section[], allowed: readonly string[], required: readonly string[]): Map<string, Section> {
  const map = new Map<string, Section>();
  let lastIndex = -1;
  for (const s of found) {
    const idx = allowed.indexOf(s.name);
    if (idx < 0) throw unparsable(out, s.at, `unexpected table [${s.name}] (expected ${allowed.map((a) => `[${a}]`).join(', ')})`);
    if (map.has(s.name)) throw unparsable(out, s.at, `table [${s.name}] appears twice`);
    if (idx < lastIndex) throw unparsable(out, s.at, `table [${s.name}] is out of order`);
    lastIndex = idx;
    map.set(s.name, s);
  }
  for (const r of required) {
    if (!map.has(r)) throw unparsable(out, undefined, `table [${r}] is missing (truncated output?)`);
  }
  return map;
}

/**
 * Read a key/value table. A value that is a lone `{` continues until a line that is `}`: on
 * master `balance_operation_count` is pretty-printed JSON spread over several lines (docs/pegasus-internals.md §4.3).
 */
export function keyValues(out: Output, s: Section): Map<string, { value: string; at: number }> {
  const map = new Map<string, { value: string; at: number }>();
  for (let i = 0; i < s.rows.length; i++) {
    const row = s.rows[i]!;
    const m = /^(\S+)\s*:(?: (.*))?$/.exec(row.text);
    if (!m) throw unparsable(out, row.at, `expected "key : value" in table [${s.name}]`);
    const key = m[1]!;
    let value = (m[2] ?? '').trim();
    if (value === '{') {
      const start = i;
      while (i + 1 < s.rows.length && s.rows[i]!.text.trim() !== '}') {
        i++;
        value += '\n' + s.rows[i]!.text;
      }
      if (s.rows[i]!.text.trim() !== '}' || i === start) throw unparsable(out, row.at, `the multi-line value of ${key} does not end with "}" (truncated output?)`);
      value = value.replace(/\s+$/, '');
    }
    if (map.has(key)) throw unparsable(out, row.at, `key ${key} appears twice in table [${s.name}]`);
    map.set(key, { value, at: row.at });
  }
  // Lines that belong to no multi-line value also end up in the table; they failed the regex above.
  return map;
}

export interface ColumnTable {
  columns: string[];
  rows: { at: number; cells: Record<string, string> }[];
}

/** Read a multi-column table: header, then rows with exactly one cell per column (cells have no spaces). */
export function columns(out: Output, s: Section, required: readonly string[]): ColumnTable {
  const [header, ...body] = s.rows;
  if (!header) throw unparsable(out, s.at, `table [${s.name}] has no header row (truncated output?)`);
  const cols = header.text.trim().split(/\s+/);
  for (const r of required) {
    if (!cols.includes(r)) throw unparsable(out, header.at, `table [${s.name}] has no column ${r}`);
  }
  if (new Set(cols).size !== cols.length) throw unparsable(out, header.at, `table [${s.name}] repeats a column`);
  const rows = body.map((row) => {
    const cells = row.text.trim().split(/\s+/);
    if (cells.length !== cols.length) {
      throw unparsable(out, row.at, `table [${s.name}] row has ${cells.length} cells, the header has ${cols.length} (truncated output?)`);
    }
    return { at: row.at, cells: Object.fromEntries(cols.map((c, i) => [c, cells[i]!])) };
  });
  return { columns: cols, rows };
}

/** A JSON table (`{"row key": {"col": "val"}}` or `{"key": "val"}`) as plain records. */
export function jsonTable(out: Output, obj: Record<string, unknown>, name: string, required: boolean): Record<string, unknown> | undefined {
  const t = obj[name];
  if (t === undefined) {
    if (required) throw unparsable(out, undefined, `JSON has no "${name}" table`);
    return undefined;
  }
  if (typeof t !== 'object' || t === null || Array.isArray(t)) throw unparsable(out, undefined, `JSON "${name}" is not an object`);
  return t as Record<string, unknown>;
}

/** A JSON key/value table: every value must be a string, as table_printer writes them. */
export function jsonStrings(out: Output, table: Record<string, unknown>, name: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const [k, v] of Object.entries(table)) {
    if (typeof v !== 'string') throw unparsable(out, undefined, `JSON ${name}.${k} is not a string`);
    map.set(k, v);
  }
  return map;
}

/** Rows of a JSON multi-column table, each a map of column → string. */
export function jsonRows(out: Output, table: Record<string, unknown>, name: string, required: readonly string[]): Record<string, string>[] {
  return Object.entries(table).map(([key, row]) => {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) throw unparsable(out, undefined, `JSON ${name}["${key}"] is not an object`);
    const cells = Object.fromEntries(jsonStrings(out, row as Record<string, unknown>, `${name}["${key}"]`));
    for (const r of required) {
      if (cells[r] === undefined) throw unparsable(out, undefined, `JSON ${name}["${key}"] has no ${r}`);
    }
    return cells;
  });
}

/** Throw unless `obj` only has the listed top-level tables. */
export function onlyTables(out: Output, obj: Record<string, unknown>, allowed: readonly string[]): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) throw unparsable(out, undefined, `unexpected JSON table "${k}" (expected ${allowed.join(', ')})`);
  }
}

/** Cell converters; `at` is the line index for the error (undefined for JSON). */
export function int(out: Output, at: number | undefined, what: string, text: string | undefined): number {
  if (text === undefined || !/^-?\d+$/.test(text)) throw unparsable(out, at, `${what} ${JSON.stringify(text)} is not an integer`);
  return Number(text);
}

export function decimal(out: Output, at: number | undefined, what: string, text: string | undefined): number {
  if (text === undefined || !/^-?\d+(\.\d+)?$/.test(text)) throw unparsable(out, at, `${what} ${JSON.stringify(text)} is not a number`);
  return Number(text);
}

export function bool(out: Output, at: number | undefined, what: string, text: string | undefined): boolean {
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw unparsable(out, at, `${what} ${JSON.stringify(text)} is not true or false`);
}

export function oneOf<T extends string>(out: Output, at: number | undefined, what: string, text: string | undefined, values: readonly T[]): T {
  if (text !== undefined && (values as readonly string[]).includes(text)) return text as T;
  throw unparsable(out, at, `${what} ${JSON.stringify(text)} is not one of ${values.join(', ')}`);
}

/** host:port or ip:port (v2.5.0 prints ip:port, master host:port; `-r` resolves names). */
export function address(out: Output, at: number | undefined, what: string, text: string | undefined): string {
  if (text === undefined || !/^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+):\d{1,5}$/.test(text)) throw unparsable(out, at, `${what} ${JSON.stringify(text)} is not host:port`);
  return text;
}

/** `-` means no value. */
export function dash(text: string | undefined): string | null {
  return text === undefined || text === '-' ? null : text;
}
