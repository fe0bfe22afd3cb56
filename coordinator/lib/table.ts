/**
 * The one text table of every command: columns aligned with spaces, no borders, no trailing
 * blanks (the last column is never padded), and, when the terminal's width is known, a last
 * column too long for it wrapped onto indented continuation lines instead of letting the terminal
 * wrap it into the first column. Plain aligned text like `ls -l` or Ansible's recap: what the
 * operator reads and what scripts and tests match line by line. (cli-table3 draws boxes and pads
 * every cell, the last one included, and does not know the terminal's width either.)
 *
 * Beside io.ts on purpose: the library's render modules (audit, config-edit, health, fleet recap)
 * and the commands share it, as they share StatusLine.
 */

export interface TableOptions {
  /** Put before every line. @default '' */
  indent?: string;
  /** Between two columns: one string for all, or one per gap (column i and i+1). @default '  ' */
  sep?: string | readonly string[];
  /** Per column, the width it is padded to at least (a fixed layout that stays put between runs). */
  minWidths?: readonly number[];
  /** Per column, `right` aligns it right (counts). @default 'left' */
  align?: readonly ('left' | 'right')[];
  /**
   * Terminal columns. A line wider than this has its last column wrapped at spaces onto
   * continuation lines aligned under it. Undefined (not a terminal): never wrapped.
   */
  width?: number;
}

/** The rows as aligned lines. Rows may differ in length; a shorter row simply ends early. */
export function renderTable(rows: readonly (readonly string[])[], o: TableOptions = {}): string[] {
  const indent = o.indent ?? '';
  const sepOf = (i: number): string => (typeof o.sep === 'string' ? o.sep : (o.sep?.[i] ?? '  '));
  const cols = Math.max(0, ...rows.map((r) => r.length));
  const widths = Array.from({ length: cols }, (_, i) => Math.max(o.minWidths?.[i] ?? 0, ...rows.filter((r) => i < r.length - 1).map((r) => r[i]!.length)));
  const out: string[] = [];
  for (const r of rows) {
    let head = indent;
    r.slice(0, -1).forEach((cell, i) => {
      head += (o.align?.[i] === 'right' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)) + sepOf(i);
    });
    const last = r[r.length - 1] ?? '';
    const lastAligned = o.align?.[r.length - 1] === 'right' ? last.padStart(o.minWidths?.[r.length - 1] ?? 0) : last;
    out.push(...wrapLast(head, lastAligned, o.width));
  }
  return out;
}

/** `head + last`, the last column wrapped at spaces to fit `width` (a word longer than the room is cut nowhere). */
function wrapLast(head: string, last: string, width: number | undefined): string[] {
  const room = width === undefined ? Infinity : width - 1 - head.length;
  // Too little room to be worth wrapping into: leave it to the terminal.
  if (head.length + last.length < (width ?? Infinity) || room < 20) return [head + last];
  const lines: string[] = [];
  let line = '';
  for (const word of last.split(' ')) {
    if (line && line.length + 1 + word.length > room) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  const pad = ' '.repeat(head.length);
  return lines.map((l, i) => (i === 0 ? head : pad) + l);
}
