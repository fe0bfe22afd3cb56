/**
 * Lines with their exact line ends, so that joining them gives back the input byte for byte.
 * Only `\n` ends a line (as in Pegasus's rDSN parser); a `\r` right before it belongs to the line
 * end, any other `\r` stays in the text.
 */

export type Eol = '' | '\n' | '\r\n';

export interface RawLine {
  /** The line without its line end. */
  text: string;
  /** `''` only for a last line that has no line end. */
  eol: Eol;
}

export function splitLines(content: string): RawLine[] {
  const out: RawLine[] = [];
  let start = 0;
  for (;;) {
    const nl = content.indexOf('\n', start);
    if (nl < 0) {
      if (start < content.length) out.push({ text: content.slice(start), eol: '' });
      return out;
    }
    const crlf = nl > start && content.charCodeAt(nl - 1) === 13;
    out.push({ text: content.slice(start, crlf ? nl - 1 : nl), eol: crlf ? '\r\n' : '\n' });
    start = nl + 1;
  }
}

export function joinLines(lines: readonly RawLine[]): string {
  let s = '';
  for (const l of lines) s += l.text + l.eol;
  return s;
}

/** The line end most lines use (`\n` for a file with none), for lines the editor adds. */
export function dominantEol(lines: readonly RawLine[]): '\n' | '\r\n' {
  let crlf = 0;
  let lf = 0;
  for (const l of lines) {
    if (l.eol === '\r\n') crlf++;
    else if (l.eol === '\n') lf++;
  }
  return crlf > lf ? '\r\n' : '\n';
}

/** `"\n"`, `"\r\n"`, `"mixed"`, or `""` for a file without line ends. */
export function eolStyle(lines: readonly RawLine[]): string {
  const kinds = new Set(lines.map((l) => l.eol).filter((e) => e !== ''));
  if (kinds.size === 0) return '';
  if (kinds.size > 1) return 'mixed';
  return [...kinds][0] ?? '';
}
