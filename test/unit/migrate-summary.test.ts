import test from 'ava';
import type { JournalEntry } from '../../coordinator/lib/migrate/journal';
import { rollbackScope } from '../../coordinator/lib/migrate/rollback';
import { freezeWindow, hostRecap, summarize } from '../../coordinator/lib/migrate/summary';

const ts = (s: number): string => new Date(Date.UTC(2024, 0, 1, 0, 0, s)).toISOString();
const note = (s: number, text: string, data?: Record<string, unknown>): JournalEntry => ({ kind: 'note', ts: ts(s), text, ...(data ? { data } : {}) });

const entries: JournalEntry[] = [
  { kind: 'run-start', ts: ts(0), run: 'r1', params: {} },
  { kind: 'step-intent', ts: ts(1), step: 'stop-followers', attempt: 1 },
  note(2, 'host-result', { host: 'meta1', status: 'changed' }),
  note(2, 'freeze-start', { at: ts(2), reason: 'followers stopped' }),
  { kind: 'step-done', ts: ts(2), step: 'stop-followers', data: {} },
  // a killed coordinator's resumed run notes the start again: the first one counts
  note(5, 'freeze-start', { at: ts(5), reason: 'followers stopped' }),
  { kind: 'step-intent', ts: ts(6), step: 'update-configs', attempt: 1 },
  note(7, 'host-result', { host: 'meta1', status: 'changed' }),
  note(7, 'host-result', { host: 'meta2', status: 'ok' }),
  note(8, 'host-result', { host: 'meta3', status: 'unreachable' }),
  note(9, 'freeze-end', { at: ts(9), reason: 'serves' }),
  note(12, 'freeze-end', { at: ts(12), reason: 'again' }),
  { kind: 'run-end', ts: ts(20), outcome: 'succeeded' },
];

test('the write-freeze window runs from the first start to the first end after it', (t) => {
  t.deepEqual(freezeWindow(entries), { start: ts(2), end: ts(9), ms: 7000 });
  t.is(freezeWindow(entries.slice(0, 5)).ms, undefined);
});

test('the host recap counts journaled host results, Ansible style (changed also counts as ok)', (t) => {
  t.deepEqual(hostRecap(entries), {
    meta1: { ok: 2, changed: 2, failed: 0, unreachable: 0 },
    meta2: { ok: 1, changed: 0, failed: 0, unreachable: 0 },
    meta3: { ok: 0, changed: 0, failed: 0, unreachable: 1 },
  });
});

test('the summary comes from the journal alone', (t) => {
  const s = summarize(entries, 'succeeded', { run: 'r1', cluster: 'c1', method: 'copy' });
  t.like(s, { run: 'r1', outcome: 'succeeded', writeFreezeMs: 7000, totalMs: 20000 });
  t.regex(summarize(entries, 'failed', { run: 'r1', cluster: 'c1', method: 'copy' }).message, /zkmig resume r1/);
});

test('a rollback stops every meta only once a cutover step started, and cleans the target only once it was written', (t) => {
  t.deepEqual(rollbackScope(entries), { cutover: true, targetWritten: false, freezeOpen: false });
  t.deepEqual(rollbackScope(entries.slice(0, 5)), { cutover: false, targetWritten: false, freezeOpen: true });
  const copyStarted: JournalEntry[] = [...entries.slice(0, 5), { kind: 'step-intent', ts: ts(3), step: 'copy', attempt: 1 }];
  t.like(rollbackScope(copyStarted), { cutover: false, targetWritten: true });
  const recover: JournalEntry[] = [{ kind: 'step-intent', ts: ts(3), step: 'configure-recovery', attempt: 1 }, { kind: 'step-intent', ts: ts(4), step: 'start-recovery-meta', attempt: 1 }];
  t.like(rollbackScope(recover), { cutover: true, targetWritten: true });
});
