/**
 * A one-line live progress bar for terminals: `copy [########......] 45,123/100,255 nodes
 * 8.9 MiB 9,876/s ETA 6s`. Only drawn when the output is a TTY; otherwise every call is a no-op,
 * so scripts and logs get the final summary and nothing else.
 */

import { StatusLine } from '../io';
import { formatBytes } from './ls';

export interface ProgressSample {
  label: string;
  done: number;
  /** Estimated total, when known. */
  total: number | undefined;
  bytes?: number;
  elapsedMs: number;
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/** Render one progress line (no control characters). Exported for tests. */
export function progressLine(s: ProgressSample, width = 24): string {
  const rate = s.elapsedMs > 0 ? (s.done * 1000) / s.elapsedMs : 0;
  const parts = [s.label.padEnd(11)];
  if (s.total !== undefined && s.total > 0) {
    const frac = Math.min(1, s.done / s.total);
    const fill = Math.round(frac * width);
    parts.push(`[${'#'.repeat(fill)}${'.'.repeat(width - fill)}]`, `${fmt(s.done)}/${fmt(s.total)} nodes`);
  } else {
    parts.push(`${fmt(s.done)} nodes`);
  }
  if (s.bytes !== undefined && s.bytes > 0) parts.push(formatBytes(s.bytes));
  parts.push(`${fmt(Math.round(rate))}/s`);
  if (s.total !== undefined && rate > 0 && s.total > s.done) parts.push(`ETA ${Math.ceil((s.total - s.done) / rate)}s`);
  return parts.join('  ');
}

/** A progress bar on the one status line (StatusLine), redrawn at most every 100 ms. */
export class ProgressBar {
  private lastDraw = 0;
  private readonly line: StatusLine;

  constructor(write: (s: string) => void, enabled: boolean) {
    this.line = new StatusLine(write, enabled);
  }

  update(s: ProgressSample): void {
    if (!this.line.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.line.draw(progressLine(s));
  }

  /** Erase the bar before printing anything else. */
  clear(): void {
    this.line.clear();
  }
}
