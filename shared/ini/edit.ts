/**
 * Line-based, lossless edits of a Pegasus config.ini: the "compute the desired state" phase of the
 * agent's config edit, as a pure function of (content, edits).
 *
 * Only the edited lines change. An updated value keeps the line's indentation, key spelling, spaces
 * around `=`, inline comment, trailing spaces and line end. A new key is written after the last key
 * of its section, with that section's indentation and `=` spacing. Deliberate differences from
 * Ansible's ini_file:
 * - `;key = v` lines are never uncommented (ini_file's modify_inactive_option does it by default,
 *   community.general#7297); a new active line is added and the comment is left as it is;
 * - no trailing newline is added to a file that has none (ini_file adds one and calls it a change);
 * - a key defined more than once is an error unless the edit says which occurrence (Pegasus keeps the
 *   first, so silently editing another one would change nothing that matters);
 * - a missing section is created only when asked.
 */
import { InvalidInputError, PreconditionError } from '../errors';
import { dominantEol, joinLines, RawLine } from './lines';
import { escapeValue, findEntries, findSections, IniDocument, IniLine, parseIni } from './parse';

export interface IniEdit {
  section: string;
  key: string;
  /** The value to set (as Pegasus should read it). Exactly one of value/absent. */
  value?: string;
  /** Remove the key. */
  absent?: boolean;
  /**
   * Which occurrence when the key is defined more than once: 0 = it must be defined at most once,
   * N > 0 = the Nth (1-based), -1 = all of them.
   * @default 0
   */
  occurrence?: number;
  /**
   * Create the section at the end of the file when it is missing.
   * @default false
   */
  createSection?: boolean;
}

export type EditAction = 'unchanged' | 'updated' | 'added' | 'removed' | 'section-added' | 'absent-already';

export interface EditOutcome {
  action: EditAction;
  section: string;
  key: string;
  /** 1-based lines, in the content as it was before this edit, that were touched or inserted after. */
  lines: number[];
}

export interface EditResult {
  content: string;
  /** Derived: content !== input. */
  changed: boolean;
  outcomes: EditOutcome[];
  warnings: string[];
}

const BAD_TEXT = /[\r\n\0]/;

/** Reject edits that cannot be written as one well-formed line. Throws InvalidInputError naming the edit. */
export function validateEdit(e: IniEdit, i: number): void {
  const where = `edits[${i}]`;
  if (typeof e.section !== 'string' || e.section.trim() === '') throw new InvalidInputError(`${where}.section is empty`);
  // `=` too: Pegasus rejects a line that starts with `[` and contains `=`, so `[a=b]` is not a header.
  if (e.section !== e.section.trim() || /[\]\r\n\0;#=]/.test(e.section)) {
    throw new InvalidInputError(`${where}.section "${e.section}" has surrounding spaces or one of ] ; # = or a line break`);
  }
  if (typeof e.key !== 'string' || e.key.trim() === '') throw new InvalidInputError(`${where}.key is empty`);
  if (e.key !== e.key.trim() || /[=;#[\r\n\0]/.test(e.key) || /\s/.test(e.key)) {
    throw new InvalidInputError(`${where}.key "${e.key}" contains spaces, "=", ";", "#", "[" or a line break`);
  }
  const hasValue = e.value !== undefined && e.value !== null;
  if (hasValue === Boolean(e.absent)) throw new InvalidInputError(`${where} needs exactly one of value or absent`);
  if (hasValue) {
    const v = e.value as string;
    if (BAD_TEXT.test(v)) throw new InvalidInputError(`${where}.value contains a line break or NUL`);
    if (v !== v.trim()) throw new InvalidInputError(`${where}.value has leading or trailing whitespace, which Pegasus trims`);
  }
  const occ = e.occurrence ?? 0;
  if (!Number.isInteger(occ) || occ < -1) throw new InvalidInputError(`${where}.occurrence must be -1, 0 or a positive integer`);
}

/** Apply `edits` in order (each sees the result of the previous one). Pure; throws on conflicts. */
export function applyEdits(content: string, edits: readonly IniEdit[]): EditResult {
  edits.forEach(validateEdit);
  let current = content;
  const outcomes: EditOutcome[] = [];
  const warnings: string[] = [];
  for (const e of edits) {
    const r = applyOne(parseIni(current), e, warnings);
    outcomes.push(r.outcome);
    current = r.content;
  }
  return { content: current, changed: current !== content, outcomes, warnings };
}

function applyOne(doc: IniDocument, e: IniEdit, warnings: string[]): { content: string; outcome: EditOutcome } {
  // `doc` is this edit's own parse, so its lines are edited in place (no copy of every line); all
  // lookups below happen before the first change.
  const lines: RawLine[] = doc.lines;
  const sections = findSections(doc, e.section);
  const outcome = (action: EditAction, at: number[]): { content: string; outcome: EditOutcome } => ({
    content: joinLines(lines),
    outcome: { action, section: e.section, key: e.key, lines: at.map((n) => n + 1) },
  });
  if (sections.length > 1) {
    throw new PreconditionError(
      `section [${e.section}] is defined ${sections.length} times (lines ${sections.map((s) => s.header + 1).join(', ')}); Pegasus refuses such a file, fix it by hand first`,
    );
  }
  const section = sections[0];
  const found = findEntries(doc, e.section, e.key);
  const targets = pickOccurrences(found, e);

  if (e.absent) {
    if (targets.length === 0) return outcome('absent-already', []);
    for (const t of [...targets].sort((a, b) => b.index - a.index)) removeLine(lines, t.index);
    return outcome('removed', targets.map((t) => t.index));
  }

  const value = e.value as string;
  if (targets.length > 0) {
    let touched = false;
    for (const t of targets) {
      if (t.value === value) continue;
      (lines[t.index] as RawLine).text = withValue(t, value, defaultSeparator(doc, section?.entries ?? []));
      touched = true;
    }
    return outcome(touched ? 'updated' : 'unchanged', targets.map((t) => t.index));
  }

  const sectionIdx = section ? doc.sections.indexOf(section) : -2;
  const commented = doc.lines.find((l) => l.sectionIndex === sectionIdx && l.commented?.key === e.key);
  if (commented) {
    warnings.push(`[${e.section}] ${e.key} exists only as a comment on line ${commented.index + 1}; added an active line and left the comment as it is`);
  }
  if (!section) {
    if (!e.createSection) {
      throw new PreconditionError(`section [${e.section}] does not exist; set createSection to add it`);
    }
    const at = lines.length;
    appendSection(doc, lines, e.section, e.key, value);
    return outcome('section-added', [Math.max(0, at - 1)]);
  }
  const after = insertionPoint(section);
  const indent = sectionIndent(doc, section.entries);
  const sep = defaultSeparator(doc, section.entries);
  insertAfter(lines, after, `${indent}${e.key}${sep}${escapeValue(value)}`, dominantEol(lines));
  return outcome('added', [after]);
}

function pickOccurrences(found: IniLine[], e: IniEdit): IniLine[] {
  const occ = e.occurrence ?? 0;
  if (occ === -1) return found;
  if (occ === 0) {
    if (found.length > 1) {
      throw new PreconditionError(
        `[${e.section}] ${e.key} is defined ${found.length} times (lines ${found.map((f) => f.index + 1).join(', ')}); Pegasus uses the first. Say which occurrence to edit (1..${found.length}) or -1 for all`,
      );
    }
    return found;
  }
  const t = found[occ - 1];
  if (!t) throw new PreconditionError(`occurrence ${occ} of [${e.section}] ${e.key} requested, but it is defined ${found.length} time(s)`);
  return [t];
}

/** The line with its value replaced; everything around the value (spaces, comment) is kept. */
function withValue(line: IniLine, value: string, sep: string): string {
  const text = line.text;
  const escaped = escapeValue(value);
  if (line.bare) {
    const keyEnd = line.keyEnd ?? text.length;
    return text.slice(0, keyEnd) + sep + escaped + glue(escaped, text.slice(keyEnd)) + text.slice(keyEnd);
  }
  const vs = line.valueStart ?? text.length;
  const ve = line.valueEnd ?? text.length;
  if (vs !== ve) return text.slice(0, vs) + escaped + glue(escaped, text.slice(ve)) + text.slice(ve);
  // An empty value: write it after `=` and one following space if there is one (`key = ` becomes
  // `key = v`, not `key = v `); `arguments =` gets the space the rest of the file has there.
  let at = text.indexOf('=', line.keyEnd ?? 0) + 1;
  let pad = ' ';
  if (text.charAt(at) === ' ' || text.charAt(at) === '\t') {
    at++;
    pad = '';
  }
  if (escaped === '') pad = '';
  return text.slice(0, at) + pad + escaped + glue(escaped, text.slice(at)) + text.slice(at);
}

/**
 * A space between a value ending in `^` and a comment that follows it directly: written together,
 * `x^;c` would read as the literal `x;c` (Pegasus's `^;` escape). Pegasus trims the space away.
 */
function glue(escaped: string, rest: string): string {
  return escaped.endsWith('^') && (rest.startsWith(';') || rest.startsWith('#')) ? ' ' : '';
}

/** After the section's last key line, or after its header when it has none. */
function insertionPoint(section: { header: number; entries: IniLine[] }): number {
  const last = section.entries[section.entries.length - 1];
  return last ? last.index : section.header;
}

function mostCommon(values: string[], fallback: string): string {
  const counts = new Map<string, number>();
  let best = fallback;
  let bestN = 0;
  for (const v of values) {
    const n = (counts.get(v) ?? 0) + 1;
    counts.set(v, n);
    if (n > bestN) [best, bestN] = [v, n];
  }
  return best;
}

function indentOf(line: IniLine): string {
  return /^[ \t]*/.exec(line.text)?.[0] ?? '';
}

/** The section's own key indentation (its last key's), else the file's most common one. */
function sectionIndent(doc: IniDocument, entries: IniLine[]): string {
  const last = entries[entries.length - 1];
  if (last) return indentOf(last);
  return mostCommon(
    doc.lines.filter((l) => l.kind === 'entry').map(indentOf),
    '',
  );
}

/** The spelling of `=` with its spaces, taken from the section's keys, else the file's, else " = ". */
function defaultSeparator(doc: IniDocument, entries: IniLine[]): string {
  const sepOf = (l: IniLine): string | undefined => {
    if (l.bare || l.keyEnd === undefined || l.valueStart === undefined || l.valueStart === l.valueEnd) return undefined;
    return l.text.slice(l.keyEnd, l.valueStart);
  };
  const own = entries.map(sepOf).filter((s): s is string => s !== undefined);
  if (own.length > 0) return own[own.length - 1] as string;
  return mostCommon(
    doc.lines.filter((l) => l.kind === 'entry').map(sepOf).filter((s): s is string => s !== undefined),
    ' = ',
  );
}

function insertAfter(lines: RawLine[], index: number, text: string, eol: '\n' | '\r\n'): void {
  const prev = lines[index];
  if (!prev) {
    lines.splice(0, 0, { text, eol: lines.length > 0 ? eol : '' });
    return;
  }
  // Keep "no newline at end of file" true: the new last line takes over the missing line end.
  if (prev.eol === '') {
    prev.eol = eol;
    lines.splice(index + 1, 0, { text, eol: '' });
  } else {
    lines.splice(index + 1, 0, { text, eol: prev.eol });
  }
}

function removeLine(lines: RawLine[], index: number): void {
  const removed = lines[index];
  lines.splice(index, 1);
  // Removing a last line without a line end: the new last line loses its end too, so the file
  // keeps "no newline at end of file".
  const prev = lines[index - 1];
  if (removed && removed.eol === '' && index === lines.length && prev) prev.eol = '';
}

function appendSection(doc: IniDocument, lines: RawLine[], name: string, key: string, value: string): void {
  const eol = dominantEol(lines);
  const last = lines[lines.length - 1];
  const noFinalEol = last !== undefined && last.eol === '';
  if (last && noFinalEol) last.eol = eol;
  if (last && last.text.trim() !== '') lines.push({ text: '', eol });
  const indent = sectionIndent(doc, []);
  const sep = defaultSeparator(doc, []);
  lines.push({ text: `[${name}]`, eol });
  lines.push({ text: `${indent}${key}${sep}${escapeValue(value)}`, eol: noFinalEol ? '' : eol });
}
