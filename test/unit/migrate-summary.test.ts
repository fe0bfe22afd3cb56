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

test('the pre-copy run: its duration and the freeze in its parts, from the journal alone (the last attempt of a step counts)', (t) => {
  const at = (s: number): number => Date.parse(ts(s));
  const done = (s: number, step: string, data: Record<string, unknown> = {}): JournalEntry => ({ kind: 'step-done', ts: ts(s), step, data });
  const intent = (s: number, step: string, attempt = 1): JournalEntry => ({ kind: 'step-intent', ts: ts(s), step, attempt });
  const run: JournalEntry[] = [
    { kind: 'run-start', ts: ts(0), run: 'r2', params: {} },
    intent(1, 'precopy'),
    done(9, 'precopy', { precopyMs: 7500 }),
    intent(10, 'stop-followers'),
    note(11, 'freeze-start', { at: ts(11), reason: 'followers stopped' }),
    done(12, 'stop-followers'),
    intent(12, 'set-blind'),
    done(13, 'set-blind'),
    intent(13, 'stop-leader'),
    done(15, 'stop-leader'),
    intent(15, 'finalize'),
    done(16, 'finalize', { ms: { finalDelta: 300, aclCheck: 200, proof: 5, digest: 20, tables: 10, total: 600 } }),
    intent(16, 'update-configs'),
    { kind: 'step-failed', ts: ts(17), step: 'update-configs', error: 'x', code: 'UNAVAILABLE' },
    intent(18, 'update-configs', 2),
    done(19, 'update-configs'),
    intent(19, 'start-leader'),
    done(20, 'start-leader'),
    intent(20, 'wait-leader'),
    note(23, 'freeze-end', { at: ts(23), reason: 'serves' }),
    done(30, 'wait-leader', { servingAt: at(23), healthyAt: at(28) }),
    { kind: 'run-end', ts: ts(40), outcome: 'succeeded' },
  ];
  const s = summarize(run, 'succeeded', { run: 'r2', cluster: 'c1', method: 'copy' });
  t.is(s.precopyMs, 7500);
  t.is(s.writeFreezeMs, 12000);
  t.deepEqual(s.freezeParts, { stopMs: 3000, blindMs: 1000, finalDeltaMs: 300, proofMs: 225, finalizeMs: 1000, configEditMs: 1000, restartMs: 1000, leaderLoadMs: 3000, firstHealthMs: 5000 });
  // No freeze parts for a run that never got to its freeze, nor for another method.
  t.is(summarize(run.slice(0, 3), 'failed', { run: 'r2', cluster: 'c1', method: 'copy' }).freezeParts, undefined);
  t.is(summarize(run, 'succeeded', { run: 'r2', cluster: 'c1', method: 'recover' }).freezeParts, undefined);
});
