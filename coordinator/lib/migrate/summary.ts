import type { HostRecap, HostStatus, RunSummary } from './events';
import type { JournalEntry, RunOutcome } from './journal';
import { ponrNote } from './no-return';
import { freezeParts, freezeWindow, precopyMs } from './freeze-parts';

export { freezeWindow };

/**
 * The final summary, computed from the journal alone so that a run finished by `resume` after a
 * SIGKILL reports the same window and recap as one that ran straight through: the write-freeze
 * window is from the first `freeze-start` note to the first `freeze-end` note after it (metadata
 * writes stop when the followers stop / the metas stop, and resume when a leader serves from the
 * new ensemble, or from the old one after a rollback); the recap counts the journaled host results.
 */

export const HOST_NOTE = 'host-result';

function ms(ts: string): number {
  return Date.parse(ts);
}


export function hostRecap(entries: readonly JournalEntry[]): Record<string, HostRecap> {
  const out: Record<string, HostRecap> = {};
  for (const e of entries) {
    if (e.kind !== 'note' || e.text !== HOST_NOTE) continue;
    const host = String(e.data?.host ?? '?');
    const status = String(e.data?.status ?? 'ok') as HostStatus;
    const r = (out[host] ??= { ok: 0, changed: 0, failed: 0, unreachable: 0 });
    if (status === 'ok' || status === 'changed') r.ok++;
    if (status === 'changed') r.changed++;
    if (status === 'failed') r.failed++;
    if (status === 'unreachable') r.unreachable++;
  }
  return out;
}

const MESSAGES: Record<RunOutcome, string> = {
  succeeded: 'the cluster serves from the new ensemble',
  failed: 'stopped at a failed step; "zkmig resume RUN" retries it, "zkmig rollback RUN" returns to the old ensemble',
  'rolled-back': 'rolled back: the cluster serves from the old ensemble as before',
  'rollback-failed': 'the rollback did not finish; fix what the error says and run "zkmig rollback RUN" again',
  aborted: 'nothing was changed',
  interrupted: 'stopped on a signal at a step boundary; "zkmig resume RUN" continues, "zkmig rollback RUN" returns to the old ensemble',
};

export function summarize(entries: readonly JournalEntry[], outcome: RunOutcome | 'in-progress', o: { run: string; cluster: string; method: string; message?: string; now?: number }): RunSummary {
  const first = entries[0];
  const startMs = first ? ms(first.ts) : Date.now();
  const endEntry = [...entries].reverse().find((e) => e.kind === 'run-end');
  const endMs = endEntry ? ms(endEntry.ts) : (o.now ?? Date.now());
  const fw = freezeWindow(entries);
  const ponr = ponrNote(entries);
  const parts = o.method === 'copy' ? freezeParts(entries) : undefined;
  const pre = precopyMs(entries);
  return {
    run: o.run,
    cluster: o.cluster,
    method: o.method,
    outcome,
    writeFreezeMs: fw.ms,
    ...(parts ? { freezeParts: parts } : {}),
    ...(pre !== undefined ? { precopyMs: pre } : {}),
    ...(ponr ? { pointOfNoReturn: ponr.ts } : {}),
    totalMs: endMs - startMs,
    hosts: hostRecap(entries),
    message: (o.message ?? (outcome === 'in-progress' ? 'in progress (or its coordinator was killed: "zkmig resume RUN")' : MESSAGES[outcome])).replace('RUN', o.run),
  };
}
