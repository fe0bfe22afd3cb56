/**
 * Unified diffs of two texts, in the format of `diff -u` (so operators can read them and `patch`
 * can apply them): Myers' O((N+M)D) line diff, three lines of context, `\ No newline at end of
 * file` markers. A change of line end only (LF ↔ CRLF) shows as a changed line.
 */
import { splitLines } from './ini/lines';

export interface UnifiedDiffOptions {
  /** @default 'before' */
  fromFile?: string;
  /** @default 'after' */
  toFile?: string;
  /** @default 3 */
  context?: number;
}

type Op = { kind: ' ' | '-' | '+'; a: number; b: number };

/** Shortest edit script of line arrays a → b (Myers 1986), as a list of keep/delete/insert ops. */
export function diffLines(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && (v[offset + k - 1] as number) < (v[offset + k + 1] as number)) ? (v[offset + k + 1] as number) : (v[offset + k - 1] as number) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  trace.push(v.slice());
  // Walk back through the saved frontiers.
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 2; d >= 0; d--) {
    const vd = trace[d] as Int32Array;
    const k = x - y;
    const prevK = k === -d || (k !== d && (vd[offset + k - 1] as number) < (vd[offset + k + 1] as number)) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : (vd[offset + prevK] as number);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) ops.push({ kind: ' ', a: --x, b: --y });
    if (d === 0) break;
    if (x === prevX) ops.push({ kind: '+', a: x, b: --y });
    else ops.push({ kind: '-', a: --x, b: y });
  }
  while (x > 0 && y > 0) ops.push({ kind: ' ', a: --x, b: --y });
  return ops.reverse();
}

/** `diff -u`-style text; empty string when the texts are equal. */
export function unifiedDiff(before: string, after: string, opts: UnifiedDiffOptions = {}): string {
  if (before === after) return '';
  const ctx = opts.context ?? 3;
  const al = splitLines(before);
  const bl = splitLines(after);
  const key = (l: { text: string; eol: string }): string => l.text + l.eol;
  const ops = diffLines(al.map(key), bl.map(key));
  const out: string[] = [`--- ${opts.fromFile ?? 'before'}`, `+++ ${opts.toFile ?? 'after'}`];
  let i = 0;
  while (i < ops.length) {
    // Find the next change, then grow a hunk while changes are within 2*ctx lines of each other.
    while (i < ops.length && (ops[i] as Op).kind === ' ') i++;
    if (i >= ops.length) break;
    let start = Math.max(0, i - ctx);
    let end = i;
    for (;;) {
      while (end < ops.length && (ops[end] as Op).kind !== ' ') end++;
      let next = end;
      while (next < ops.length && (ops[next] as Op).kind === ' ') next++;
      if (next < ops.length && next - end <= 2 * ctx) {
        end = next;
        continue;
      }
      end = Math.min(ops.length, end + ctx);
      break;
    }
    const hunk = ops.slice(start, end);
    const aStart = hunk.find((o) => o.kind !== '+')?.a ?? (hunk[0] as Op).a;
    const bStart = hunk.find((o) => o.kind !== '-')?.b ?? (hunk[0] as Op).b;
    const aLen = hunk.filter((o) => o.kind !== '+').length;
    const bLen = hunk.filter((o) => o.kind !== '-').length;
    out.push(`@@ -${range(aStart, aLen)} +${range(bStart, bLen)} @@`);
    for (const o of hunk) {
      const l = o.kind === '+' ? bl[o.b] : al[o.a];
      if (!l) continue;
      out.push(o.kind + l.text);
      if (l.eol === '') out.push('\\ No newline at end of file');
    }
    i = end;
    start = end;
  }
  return out.join('\n') + '\n';
}

function range(start: number, len: number): string {
  if (len === 0) return `${start},0`;
  return len === 1 ? `${start + 1}` : `${start + 1},${len}`;
}
