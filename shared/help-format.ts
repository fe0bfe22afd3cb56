import { Help } from 'commander';

/**
 * Fit help text to the terminal, for both CLIs (zkmig, zkmig-agent). Commander wraps its own
 * option and command tables, but the long texts each command adds after them are written by hand;
 * this reflows them at output time so every help reads cleanly at 80 columns (and in pipes, which
 * get 80).
 *
 * Only paragraphs (runs of non-blank lines) that hold a line wider than `width` change: prose
 * (not indented) is joined and re-wrapped; an indented or list line is wrapped under its own
 * indentation (a list item's continuation lines under its text). Tables and examples that
 * already fit are left byte for byte.
 */
export function fitHelp(text: string, width: number): string {
  const paragraphs = text.split(/(\n[ \t]*\n)/);
  return paragraphs.map((p) => (p.split('\n').some((l) => l.length > width) ? reflow(p, width) : p)).join('');
}

function reflow(text: string, width: number): string {
  // A paragraph may start or end with a line break (a text added after the tables starts with
  // one, its blank line before it): keep them, only the lines between are rewrapped.
  const lead = /^\n*/.exec(text)![0];
  const trail = /\n*$/.exec(text.slice(lead.length))![0];
  return lead + reflowLines(text.slice(lead.length, text.length - trail.length), width) + trail;
}

function reflowLines(paragraph: string, width: number): string {
  const lines = paragraph.split('\n');
  const out: string[] = [];
  let prose: string[] = [];
  const flush = (): void => {
    if (prose.length > 0) out.push(...wrap(prose.join(' '), width, '', ''));
    prose = [];
  };
  const indentOf = (l: string): number => /^\s*/.exec(l)![0].length;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (indentOf(line) === 0 && !/^(?:[-*•]|\d+[.)])\s/.test(line)) {
      prose.push(line.trim());
      continue;
    }
    flush();
    // An item: this line and the more deeply indented lines after it (a hand-wrapped definition).
    let j = i + 1;
    while (j < lines.length && lines[j]!.trim() !== '' && indentOf(lines[j]!) > indentOf(line)) j++;
    const group = lines.slice(i, j);
    i = j - 1;
    if (group.every((l) => l.length <= width)) {
      out.push(...group);
      continue;
    }
    // The first line's head: its bullet or term and the gap after it ("  --method copy    ").
    const head = /^(\s*(?:[-*•]|\d+[.)])\s+|\s*\S.*?\s{2,}(?=\S))/.exec(line)?.[1] ?? /^\s*/.exec(line)![0];
    // Continuation lines: under the group's own second line, else under the item's text (a table
    // row's description column, a bullet's text).
    const cont = group.length > 1 ? ' '.repeat(indentOf(group[1]!)) : ' '.repeat(head.length);
    const hang = head.length < width / 2 ? head : /^\s*/.exec(line)![0];
    const text = [line.slice(hang.length), ...group.slice(1)].map((l) => l.trim()).join(' ');
    out.push(...wrap(text, width, hang, cont.length < width / 2 ? cont : '    '));
  }
  flush();
  return out.join('\n');
}

function wrap(text: string, width: number, first: string, rest: string): string[] {
  const words = text.split(/\s+/).filter((w) => w !== '');
  const out: string[] = [];
  let line = first;
  let empty = true;
  for (const w of words) {
    if (!empty && line.length + 1 + w.length > width) {
      out.push(line);
      line = rest + w;
    } else {
      line += (empty ? '' : ' ') + w;
    }
    empty = false;
  }
  if (!empty || out.length === 0) out.push(line);
  return out;
}

/** Help fits the terminal ($COLUMNS, else its width), 80 columns in pipes, never over 100. */
export function helpWidth(env: NodeJS.ProcessEnv, isTTY: boolean): number {
  const cols = Number(env.COLUMNS) || (isTTY ? process.stdout.columns : 0) || 80;
  return Math.max(40, Math.min(cols, 100));
}

/**
 * commander's help settings for a program: its width, and descriptions reflowed first. A command's
 * description is hand-wrapped at up to 100 columns, and commander keeps each hard break while it
 * wraps to the width, which leaves a ragged line at 80; fitHelp keeps any paragraph that already
 * fits as written. Subcommands inherit these settings.
 */
export function helpSettings(width: number): Partial<Help> {
  return {
    helpWidth: width,
    boxWrap(this: Help, str: string, w: number): string {
      return Help.prototype.boxWrap.call(this, fitHelp(str, w), w);
    },
  };
}
