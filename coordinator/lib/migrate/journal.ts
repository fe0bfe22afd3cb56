import * as fs from 'node:fs';
import * as path from 'node:path';
import { AppError, InvalidInputError } from '../../../shared/errors';

/**
 * The durable run journal: one JSON object per line, appended and fsynced before the step it
 * describes acts, so a coordinator killed at any point leaves a journal that tells `resume` and
 * `rollback` exactly how far it got. A torn last line (killed mid-write) is ignored on read.
 */

export type JournalEntry =
  | { kind: 'run-start'; ts: string; run: string; params: Record<string, unknown> }
  | { kind: 'step-intent'; ts: string; step: string; attempt: number }
  | { kind: 'step-done'; ts: string; step: string; data: Record<string, unknown> }
  | { kind: 'step-failed'; ts: string; step: string; error: string; code: string }
  | { kind: 'note'; ts: string; text: string; data?: Record<string, unknown> }
  | { kind: 'run-end'; ts: string; outcome: RunOutcome };

/** How a run ended. `rolled-back` runs can be retried with a new `migrate`; `interrupted` (SIGINT/SIGTERM at a step boundary) and `failed` ones resumed. */
export type RunOutcome = 'succeeded' | 'failed' | 'rolled-back' | 'rollback-failed' | 'aborted' | 'interrupted';

type WithoutTs<T> = T extends unknown ? Omit<T, 'ts'> : never;

export class Journal {
  private constructor(
    readonly file: string,
    private fd: number,
  ) {}

  /** Create a new journal; refuses to overwrite an existing run. */
  static create(file: string): Journal {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const fd = fs.openSync(file, 'wx', 0o600);
    fsyncDir(path.dirname(file));
    return new Journal(file, fd);
  }

  /** Open an existing journal for appending (resume, rollback). */
  static open(file: string): Journal {
    if (!fs.existsSync(file)) throw new AppError('NOT_FOUND', `no run journal at ${file}`);
    return new Journal(file, fs.openSync(file, 'a'));
  }

  /** Append and fsync one entry; returns it with its timestamp. */
  append(entry: WithoutTs<JournalEntry>): JournalEntry {
    const full = { ts: new Date().toISOString(), ...entry } as JournalEntry;
    fs.writeSync(this.fd, JSON.stringify(full) + '\n');
    fs.fsyncSync(this.fd);
    return full;
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }

  /** Read every complete entry. A malformed line other than a torn last one is an error. */
  static read(file: string): JournalEntry[] {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new AppError('NOT_FOUND', `cannot read run journal ${file}: ${(e as Error).message}`, { cause: e });
    }
    const lines = text.split('\n');
    const out: JournalEntry[] = [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line === '') continue;
      try {
        out.push(JSON.parse(line) as JournalEntry);
      } catch (e) {
        const isLast = i === lines.length - 1; // no newline after it: the write was torn
        if (isLast) break;
        throw new InvalidInputError(`run journal ${file} line ${i + 1} is not valid JSON`, { cause: e });
      }
    }
    return out;
  }
}

function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** What a journal says about a run, replayed from its entries. */
export interface RunState {
  run: string;
  params: Record<string, unknown>;
  /** Steps that finished, in order, with the data each recorded. */
  done: { step: string; data: Record<string, unknown>; ts: string }[];
  /** The step that was started last and has not finished (killed or failed), if any. */
  inFlight: { step: string; attempt: number } | undefined;
  lastError: { step: string; error: string; code: string } | undefined;
  outcome: RunOutcome | undefined;
  startedAt: string;
  endedAt: string | undefined;
  notes: { ts: string; text: string; data?: Record<string, unknown> }[];
}

export function replay(entries: JournalEntry[]): RunState {
  const first = entries[0];
  if (!first || first.kind !== 'run-start') throw new InvalidInputError('run journal does not start with a run-start entry');
  const st: RunState = {
    run: first.run,
    params: first.params,
    done: [],
    inFlight: undefined,
    lastError: undefined,
    outcome: undefined,
    startedAt: first.ts,
    endedAt: undefined,
    notes: [],
  };
  for (const e of entries.slice(1)) {
    switch (e.kind) {
      case 'step-intent':
        st.inFlight = { step: e.step, attempt: e.attempt };
        break;
      case 'step-done':
        st.done.push({ step: e.step, data: e.data, ts: e.ts });
        st.inFlight = undefined;
        break;
      case 'step-failed':
        st.lastError = { step: e.step, error: e.error, code: e.code };
        break;
      case 'note':
        st.notes.push({ ts: e.ts, text: e.text, ...(e.data ? { data: e.data } : {}) });
        break;
      case 'run-end':
        st.outcome = e.outcome;
        st.endedAt = e.ts;
        break;
      case 'run-start':
        throw new InvalidInputError('run journal has a second run-start entry');
    }
  }
  return st;
}
