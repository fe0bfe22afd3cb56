/**
 * A lossless reader for Pegasus config.ini: every line is classified and kept with its exact text,
 * so the editor can change one value and leave every other byte alone.
 *
 * The reading rules follow Pegasus's own parser (rDSN `dsn::configuration::load`,
 * apache/incubator-pegasus src/utils/configuration.cpp), not a generic INI library:
 * - leading spaces, tabs and `\r` are skipped;
 * - `;` or `#` ANYWHERE starts a comment, unless written `^;` / `^#` (then it is a literal);
 * - `key = value` (key and value trimmed); a line without `=` is a key with an empty value;
 * - `[name]`: the name is what lies before the first `]`, trimmed; text after `]` is ignored;
 * - a key before any section, a line starting with `[` that has `=`, an empty key, and a section
 *   defined twice make Pegasus refuse the file (reported here as problems);
 * - a key defined twice in a section: Pegasus keeps the FIRST and prints a warning.
 * `%{...}` placeholders are not expanded (deployment tools do that); they stay text.
 */
import { RawLine, splitLines } from './lines';

export type LineKind = 'blank' | 'comment' | 'section' | 'entry' | 'invalid';

export interface IniLine extends RawLine {
  /** 0-based position in the file. */
  index: number;
  kind: LineKind;
  /** Index into IniDocument.sections of the section this line is in (its own for a header), -1 before the first. */
  sectionIndex: number;
  /** Section header: the name. */
  name?: string;
  /** Entry: the key, trimmed. */
  key?: string;
  /** Entry: the value as Pegasus reads it (trimmed, comment cut, `^;`/`^#` unescaped). */
  value?: string;
  /** Entry: offsets in `text` of the value as written (`valueStart === valueEnd` when empty). */
  valueStart?: number;
  valueEnd?: number;
  /** Entry: offset in `text` just after the key. */
  keyEnd?: number;
  /** Entry: true for a line without `=` (a key with an empty value). */
  bare?: boolean;
  /** Comment: a switched-off option such as `;toollets = tracer`. */
  commented?: { key: string; value: string };
  /** Invalid: why Pegasus would reject it. */
  problem?: string;
}

export interface IniSectionInfo {
  name: string;
  /** Index of the header line. */
  header: number;
  /** Index one past the section's last line (the next header, or the line count). */
  end: number;
  /** Entry lines in file order. */
  entries: IniLine[];
}

export interface IniProblem {
  /** 1-based. */
  line: number;
  message: string;
}

export interface IniDocument {
  lines: IniLine[];
  sections: IniSectionInfo[];
  problems: IniProblem[];
  /** `"\n"`, `"\r\n"`, `"mixed"` or `""`. */
  eol: string;
}

const KEYLIKE = /^[A-Za-z0-9_.@-]+$/;

// Hot path (every line of every read, edit and facts call): char codes, no regex per character,
// one object per line.
function isWs(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10 || c === 11 || c === 12;
}

function skipWs(text: string, i: number, end: number): number {
  while (i < end && isWs(text.charCodeAt(i))) i++;
  return i;
}

function backWs(text: string, start: number, end: number): number {
  while (end > start && isWs(text.charCodeAt(end - 1))) end--;
  return end;
}

/** Where the comment starts in `text` (or text.length), following the `^` escape rule. */
export function commentStart(text: string, from = 0): number {
  // indexOf is native and most lines have neither character: cheaper than a loop over every char.
  let semi = text.indexOf(';', from);
  let hash = text.indexOf('#', from);
  for (;;) {
    if (semi < 0 && hash < 0) return text.length;
    const i = semi < 0 ? hash : hash < 0 ? semi : Math.min(semi, hash);
    if (!(i > from && text.charCodeAt(i - 1) === 94)) return i;
    if (i === semi) semi = text.indexOf(';', i + 1);
    else hash = text.indexOf('#', i + 1);
  }
}

/** `^;` → `;` and `^#` → `#`, as Pegasus reads them. */
export function unescapeValue(raw: string): string {
  return raw.includes('^') ? raw.replace(/\^([;#])/g, '$1') : raw;
}

/** The text to write for `value` so that Pegasus reads exactly `value` back. */
export function escapeValue(value: string): string {
  return value.replace(/([;#])/g, '^$1');
}

function classify(raw: RawLine, index: number): IniLine {
  const text = raw.text;
  // Every property present from the start: one object shape for all lines keeps property access
  // fast (this runs for every line of every read, edit and facts call).
  const line: IniLine = {
    text,
    eol: raw.eol,
    index,
    kind: 'blank',
    sectionIndex: -1,
    name: undefined,
    key: undefined,
    value: undefined,
    valueStart: undefined,
    valueEnd: undefined,
    keyEnd: undefined,
    bare: undefined,
    commented: undefined,
    problem: undefined,
  };
  let start = 0;
  for (let c = text.charCodeAt(0); c === 32 || c === 9 || c === 13; c = text.charCodeAt(++start));
  const cut = commentStart(text, start);
  const s = skipWs(text, start, cut);
  const e = backWs(text, s, cut);
  if (s === e) {
    if (cut === text.length) return line;
    line.kind = 'comment';
    // `;key = v` is how Pegasus configs switch an option off. `#` mostly starts prose
    // ("# format_version=5. This provides ..." in the stock config), so a `#` line counts as a
    // switched-off option only when its value is a single word.
    if (text.indexOf('=', cut) < 0) return line;
    const m = /^([;#])[ \t]*([^;#=\s][^=]*?)[ \t]*=(.*)$/.exec(text.slice(cut));
    const key = m?.[2];
    const value = (m?.[3] ?? '').trim();
    if (m && key !== undefined && KEYLIKE.test(key) && (m[1] === ';' || !/\s/.test(value))) line.commented = { key, value };
    return line;
  }
  const eq = text.indexOf('=', s);
  const hasEq = eq >= 0 && eq < e;
  if (text.charCodeAt(s) === 91 /* [ */) {
    line.kind = 'invalid';
    if (hasEq) line.problem = 'a line starting with "[" contains "="';
    else {
      const close = text.indexOf(']', s);
      const name = close < 0 || close >= e ? undefined : text.slice(s + 1, close).trim();
      if (name === undefined) line.problem = 'section header without "]"';
      else if (name === '') line.problem = 'empty section name';
      else {
        line.kind = 'section';
        line.name = name;
      }
    }
    return line;
  }
  line.kind = 'entry';
  if (!hasEq) {
    line.key = unescapeValue(text.slice(s, e));
    line.keyEnd = e;
    line.bare = true;
    line.value = '';
    line.valueStart = e;
    line.valueEnd = e;
    return line;
  }
  const ke = backWs(text, s, eq);
  if (ke === s) {
    line.kind = 'invalid';
    line.problem = 'empty key';
    return line;
  }
  const vs = skipWs(text, eq + 1, e);
  line.key = text.slice(s, ke);
  line.keyEnd = ke;
  line.value = unescapeValue(text.slice(vs, e));
  line.valueStart = vs;
  line.valueEnd = e;
  return line;
}

/** Classify every line. Never throws: what Pegasus would reject is listed in `problems`. */
export function parseIni(content: string): IniDocument {
  const raws = splitLines(content);
  const lines: IniLine[] = [];
  const sections: IniSectionInfo[] = [];
  const problems: IniProblem[] = [];
  const seen = new Map<string, number>();
  let current = -1;
  let lf = 0;
  let crlf = 0;
  for (let i = 0; i < raws.length; i++) {
    const raw = raws[i] as RawLine;
    if (raw.eol === '\n') lf++;
    else if (raw.eol === '\r\n') crlf++;
    // A UTF-8 byte order mark is part of line 1's bytes but not of its syntax.
    const bom = i === 0 && raw.text.startsWith('\uFEFF');
    const line = classify(bom ? { text: raw.text.slice(1), eol: raw.eol } : raw, i);
    if (bom) shiftForBom(line, raw.text);
    line.sectionIndex = current;
    if (line.kind === 'section' && line.name !== undefined) {
      const prev = seen.get(line.name);
      if (prev !== undefined) {
        problems.push({ line: i + 1, message: `section [${line.name}] is defined again (first on line ${prev}); Pegasus refuses the file` });
      } else seen.set(line.name, i + 1);
      const last = sections[sections.length - 1];
      if (last) last.end = i;
      sections.push({ name: line.name, header: i, end: raws.length, entries: [] });
      current = sections.length - 1;
      line.sectionIndex = current;
    } else if (line.kind === 'entry') {
      const sec = sections[current];
      if (!sec) problems.push({ line: i + 1, message: `key "${line.key}" before any section; Pegasus refuses the file` });
      else sec.entries.push(line);
    } else if (line.kind === 'invalid') {
      problems.push({ line: i + 1, message: `${line.problem}; Pegasus refuses the file` });
    }
    lines.push(line);
  }
  return { lines, sections, problems, eol: lf === 0 && crlf === 0 ? '' : lf > 0 && crlf > 0 ? 'mixed' : crlf > 0 ? '\r\n' : '\n' };
}

function shiftForBom(line: IniLine, fullText: string): void {
  line.text = fullText;
  if (line.valueStart !== undefined) line.valueStart++;
  if (line.valueEnd !== undefined) line.valueEnd++;
  if (line.keyEnd !== undefined) line.keyEnd++;
}

/** Sections with this name, in file order (more than one means Pegasus refuses the file). */
export function findSections(doc: IniDocument, name: string): IniSectionInfo[] {
  return doc.sections.filter((s) => s.name === name);
}

/** Entry lines for `key` in every section named `section`, in file order. */
export function findEntries(doc: IniDocument, section: string, key: string): IniLine[] {
  return findSections(doc, section).flatMap((s) => s.entries.filter((e) => e.key === key));
}

/** The value Pegasus uses for [section] key (the first definition), or undefined when absent. */
export function getValue(doc: IniDocument, section: string, key: string): string | undefined {
  return findEntries(doc, section, key)[0]?.value;
}
