/**
 * The fault matrix's cell logic (test/reliability/matrix.ts, checks.ts), which is pure: where each
 * fault is run, the `--cell` syntax for several faults, the outcome a cell must have, and the
 * "never rolled back to a stale tree" verdict from a journal and the leader watch. The runs
 * themselves are test/integration/reliability-matrix.test.ts.
 */
import test from 'ava';
import type { JournalEntry } from '../../coordinator/lib/migrate/journal';
import { PONR_NOTE } from '../../coordinator/lib/migrate/no-return';
import { ROLLBACK_DECISION_NOTE } from '../../coordinator/lib/migrate/run';
import { UsageError } from '../../shared/errors';
import { checkNoStaleRollback, isJobNode } from '../reliability/checks';
import { cellName, cells, expectedOf, parseFilter, stepsOf } from '../reliability/matrix';

test('no-return sits right after the step that passes the point of no return', (t) => {
  const copy = stepsOf('copy');
  t.is(copy[copy.indexOf('wait-leader') + 1], 'no-return');
  const recover = stepsOf('recover');
  t.is(recover[recover.indexOf('recover') + 1], 'no-return');
});

test('replica-kill runs for copy only past the point of no return; job and supervisor faults only at their step', (t) => {
  const copy = cells({ methods: ['copy'] }).filter((c) => !c.na);
  t.deepEqual(copy.filter((c) => c.fault === 'replica-kill').map((c) => c.step), ['no-return', 'start-followers', 'final-health']);
  t.deepEqual(copy.filter((c) => c.fault === 'dup-during-copy').map((c) => c.step), ['copy']);
  t.deepEqual(copy.filter((c) => c.fault === 'bulk-load-during-blind').map((c) => c.step), ['copy']);
  t.deepEqual(copy.filter((c) => c.fault === 'supervisor-restart').map((c) => c.step), ['stop-followers']);
  const na = cells({ methods: ['recover'] }).filter((c) => c.na).map((c) => c.fault);
  t.deepEqual(na.sort(), ['bulk-load-during-blind', 'dup-during-copy', 'supervisor-restart']);
});

test('--cell with several faults: parsed, put in run order, refused with the reason when a fault is not run there', (t) => {
  const [c] = parseFilter({ cell: ['copy/agent-kill@update-configs+zk-target-restart@copy'] }).cells!;
  t.deepEqual(c!.hits, [
    { fault: 'zk-target-restart', step: 'copy' },
    { fault: 'agent-kill', step: 'update-configs' },
  ]);
  t.is(cellName(c!), 'copy/zk-target-restart@copy+agent-kill@update-configs');
  t.is(c!.fault, 'zk-target-restart+agent-kill');
  t.throws(() => parseFilter({ cell: ['copy/replica-kill@copy+agent-kill@copy'] }), { instanceOf: UsageError, message: /replica-kill is not run at copy step copy \(before the point of no return/ });
  t.throws(() => parseFilter({ cell: ['copy/agent-kill@copy@x'] }), { instanceOf: UsageError, message: /--cell must be/ });
  t.throws(() => parseFilter({ cell: ['copy/agent-kill/copy/x'] }), { instanceOf: UsageError, message: /--cell must be/ });
});

test('expected outcomes: forward only past the point of no return; rolled back for a bulk load or a supervised follower; nothing pinned before it', (t) => {
  const one = (s: string): ReturnType<typeof expectedOf> => expectedOf(parseFilter({ cell: [s] }).cells![0]!);
  for (const s of ['copy/agent-kill/no-return', 'copy/zk-target-restart/final-health', 'copy/replica-kill/start-followers', 'copy/coordinator-kill@no-return+replica-kill@no-return']) {
    const e = one(s)!;
    t.is(e.endedOn, 'target', s);
    t.true(e.outcome.test('completed') && e.outcome.test('killed→resume→completed'), s);
    t.false(e.outcome.test('rolled-back') || e.outcome.test('failed→resume→completed'), s);
  }
  t.true(one('copy/agent-stop/final-health')!.outcome.test('failed→resume→completed'));
  t.like(one('copy/bulk-load-during-blind/copy'), { endedOn: 'source' });
  t.true(one('copy/supervisor-restart/stop-followers')!.outcome.test('rolled-back'));
  t.true(one('copy/agent-kill@update-configs+zk-target-restart@copy')!.outcome.test('completed'));
  t.is(one('copy/agent-kill/update-configs'), undefined);
  t.is(one('copy/meta-start-fails/start-leader'), undefined);
});

const ts = (ms: number): string => new Date(ms).toISOString();
const ponr = (ms: number): JournalEntry => ({ kind: 'note', ts: ts(ms), text: PONR_NOTE, data: { reason: 'meta0 serves from B' } });

test('never rolled back to a stale tree: judged only past the point of no return, from the end, the rollback decision and the leader watch', (t) => {
  const at = Date.parse('2026-12-01T10:00:00Z');
  t.like(checkNoStaleRollback([], 'source', { A: at + 5000 }, 'A'), { pastNoReturn: false, ok: true });
  t.like(checkNoStaleRollback([ponr(at)], 'target', { A: at - 10, B: at + 10 }, 'A'), { pastNoReturn: true, ok: true });
  const back = checkNoStaleRollback([ponr(at)], 'source', { A: at + 10 }, 'A');
  t.false(back.ok);
  t.regex(back.problems.join('\n'), /ends on the old ensemble A/);
  t.regex(back.problems.join('\n'), /served from the old ensemble A 10 ms after/);
  const decided: JournalEntry = { kind: 'note', ts: ts(at + 1), text: ROLLBACK_DECISION_NOTE, data: { past: false, why: 'no meta served' } };
  t.regex(checkNoStaleRollback([ponr(at), decided], 'target', {}, 'A').problems.join('\n'), /rollback was decided as before the point of no return/);
});

test('job nodes: duplication records and progress, bulk-load state; not the partitions', (t) => {
  for (const p of ['/apps/2/duplication', '/apps/2/duplication/17', '/apps/2/duplication/17/3', '/bulk_load', '/bulk_load/2']) t.true(isJobNode(p), p);
  for (const p of ['/apps/2', '/apps/2/3', '/apps', '/backup/x', '/apps/2/duplicationx']) t.false(isJobNode(p), p);
});
