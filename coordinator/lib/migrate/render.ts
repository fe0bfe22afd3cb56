import { StatusLine } from '../io';
import { Emit, formatEvent, FormatOptions, formatSummary, MigrateEvent } from './events';

/**
 * How the CLI shows a run's events: `json` (one object per line on stdout, for scripts), `tty`
 * (a live step list with a spinner, elapsed time and the latest progress on stderr; the summary
 * on stdout), or `plain` (one line per event, no progress chatter: logs and pipes).
 */

export interface Sink {
  out: (t: string) => void;
  err: (t: string) => void;
  /** Terminal columns for the live line (StatusLine). @default process.stderr.columns, else 160 */
  columns?: number;
}

export interface Renderer {
  emit: Emit;
  /** Stop the spinner (call once the run is over, even on error). */
  close(): void;
}

const SPIN = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** `o.diff`: show config diffs in text modes (Ansible's --diff); JSON events always carry them. */
export function makeRenderer(sink: Sink, mode: 'json' | 'tty' | 'plain', o: FormatOptions = {}): Renderer {
  // Every JSON event carries the time it was printed (ISO 8601, UTC), first, for log shippers.
  if (mode === 'json') return { emit: (e) => sink.out(JSON.stringify({ ts: new Date().toISOString(), ...e }) + '\n'), close: () => undefined };
  if (mode === 'plain') {
    return {
      emit: (e) => {
        if (e.kind === 'step-progress') return; // nothing noisy off a terminal
        if (e.kind === 'run-end') {
          sink.out(formatSummary(e.summary) + '\n');
          return;
        }
        const line = formatEvent(e, o);
        if (line !== undefined) sink.out(line + '\n');
      },
      close: () => undefined,
    };
  }
  return ttyRenderer(sink, o);
}

function ttyRenderer(sink: Sink, o: FormatOptions): Renderer {
  let current: { title: string; started: number; message: string } | undefined;
  let frame = 0;
  let timer: NodeJS.Timeout | undefined;
  // The one terminal status line of every command: cut to the terminal's width, erased before
  // anything else is printed.
  const line = new StatusLine(sink.err, true, sink.columns);
  const draw = (): void => {
    if (!current) return;
    const secs = ((Date.now() - current.started) / 1000).toFixed(1);
    const msg = current.message ? ` — ${current.message}` : '';
    line.draw(`  ${SPIN[frame++ % SPIN.length]} ${current.title} (${secs} s)${msg}`);
  };
  const clear = (): void => line.clear();
  const above = (text: string): void => {
    clear();
    sink.err(text + '\n');
    draw();
  };
  const stop = (): void => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };
  const emit = (e: MigrateEvent): void => {
    switch (e.kind) {
      case 'step-start':
        current = { title: e.title, started: Date.now(), message: '' };
        if (!timer) {
          timer = setInterval(draw, 100);
          timer.unref();
        }
        draw();
        return;
      case 'step-progress':
        if (current) current.message = e.message;
        return;
      case 'step-done':
        clear();
        current = undefined;
        sink.err(`  ✓ ${e.title} (${(e.ms / 1000).toFixed(1)} s)${e.summary ? `: ${e.summary}` : ''}\n`);
        return;
      case 'step-failed':
        clear();
        current = undefined;
        sink.err(`  ✗ ${e.title} (${(e.ms / 1000).toFixed(1)} s): ${e.error}\n`);
        return;
      case 'step-skipped':
        above(`  - ${e.step}: skipped (${e.reason})`);
        return;
      case 'run-end':
        stop();
        clear();
        current = undefined;
        sink.out(formatSummary(e.summary) + '\n');
        return;
      default: {
        const line = formatEvent(e, o);
        if (line !== undefined) above(line);
      }
    }
  };
  return { emit, close: stop };
}
