import { Journal, JournalEntry, replay, RunState } from './journal';
import { paramsFromJournal } from './params';
import { listRuns, requireRun } from './state-dir';
import { freezeWindow, summarize } from './summary';
import type { RunSummary } from './events';

/** `zkmig status [RUN]`: what the journals in the state directory say. Reads only. */

export interface RunListing {
  run: string;
  file: string;
  cluster: string;
  method: string;
  to: string;
  dryRun: boolean;
  startedAt: string;
  /** `in-progress` when the journal has no run-end (running, or its coordinator was killed). */
  outcome: string;
  /** The last step that finished. */
  lastDone: string | undefined;
  /** The step started and not finished. */
  inFlight: string | undefined;
  lastError: string | undefined;
}

export interface RunDetail extends RunListing {
  steps: { step: string; status: 'done' | 'in-flight' | 'failed'; at: string; summary?: string }[];
  freeze: { start?: string; end?: string; ms: number | undefined };
  summary: RunSummary;
  notes: { ts: string; text: string }[];
}

function listing(run: string, file: string, st: RunState): RunListing {
  const p = paramsFromJournal(st.params, file);
  return {
    run,
    file,
    cluster: p.cluster,
    method: p.method,
    to: p.to,
    dryRun: p.dryRun,
    startedAt: st.startedAt,
    outcome: st.outcome ?? 'in-progress',
    lastDone: st.done[st.done.length - 1]?.step,
    inFlight: st.inFlight?.step,
    lastError: st.lastError ? `${st.lastError.step}: ${st.lastError.error}` : undefined,
  };
}

/** Every run, newest first; a journal that cannot be read is listed with its error as outcome. */
export function listRunStatus(stateDir: string): RunListing[] {
  return listRuns(stateDir).map((r) => {
    try {
      return listing(r.run, r.file, replay(Journal.read(r.file)));
    } catch (e) {
      return { run: r.run, file: r.file, cluster: '?', method: '?', to: '?', dryRun: false, startedAt: '', outcome: `unreadable: ${(e as Error).message}`, lastDone: undefined, inFlight: undefined, lastError: undefined };
    }
  });
}

export function runDetail(stateDir: string, run: string): RunDetail {
  const file = requireRun(stateDir, run);
  const entries: JournalEntry[] = Journal.read(file);
  const st = replay(entries);
  const base = listing(run, file, st);
  const steps: RunDetail['steps'] = [];
  for (const e of entries) {
    if (e.kind === 'step-intent') steps.push({ step: e.step, status: 'in-flight', at: e.ts });
    else if (e.kind === 'step-done') {
      const s = [...steps].reverse().find((x) => x.step === e.step);
      if (s) Object.assign(s, { status: 'done', at: e.ts, ...(typeof e.data.summary === 'string' ? { summary: e.data.summary } : {}) });
    } else if (e.kind === 'step-failed') {
      const s = [...steps].reverse().find((x) => x.step === e.step);
      if (s) Object.assign(s, { status: 'failed', at: e.ts, summary: e.error });
    }
  }
  const p = paramsFromJournal(st.params, file);
  return {
    ...base,
    steps,
    freeze: freezeWindow(entries),
    summary: summarize(entries, st.outcome ?? 'in-progress', { run, cluster: p.cluster, method: p.method }),
    notes: st.notes.filter((n) => n.text !== 'host-result').map((n) => ({ ts: n.ts, text: n.text })),
  };
}
