import type { Cell } from './matrix';
import type { RunRecord } from './one-run';

/** The matrix report: one line per run (n/a cells with their reason) and a summary line. */

export interface MatrixReport {
  runs: RunRecord[];
  notApplicable: { method: string; fault: string; reason: string }[];
  summary: { runs: number; ok: number; failed: number; dataLost: number; unhealthy: number; splitBrain: number; staleRollback: number; unexpected: number; unrepairable: number; outcomes: Record<string, number>; wallMs: number };
}

export function report(runs: RunRecord[], na: Cell[], wallMs: number): MatrixReport {
  const outcomes: Record<string, number> = {};
  for (const r of runs) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
  return {
    runs,
    notApplicable: na.map((c) => ({ method: c.method, fault: c.fault, reason: c.na ?? '' })),
    summary: {
      runs: runs.length,
      ok: runs.filter((r) => r.ok).length,
      failed: runs.filter((r) => !r.ok).length,
      dataLost: runs.filter((r) => r.dataLost).length,
      unhealthy: runs.filter((r) => !r.healthy).length,
      splitBrain: runs.filter((r) => r.splitBrain).length,
      staleRollback: runs.filter((r) => !r.noStaleRollback).length,
      unexpected: runs.filter((r) => r.asExpected === false).length,
      unrepairable: runs.filter((r) => !r.repairable).length,
      outcomes,
      wallMs,
    },
  };
}

const yn = (b: boolean): string => (b ? 'yes' : 'no');

export function renderTable(r: MatrixReport): string {
  const head = ['fault', 'step', 'method', 'outcome', 'expected', 'landed', 'data lost', 'healthy', 'split brain', 'configs', 'ended on', 'past PONR', 'repairable', 'duration'];
  const exp = (x: RunRecord): string => (x.asExpected === null ? '-' : x.asExpected ? 'ok' : 'BAD');
  const rows = r.runs.map((x) => [x.fault, x.step, x.method, x.outcome, exp(x), x.landed, yn(x.dataLost), yn(x.healthy), yn(x.splitBrain), x.configsOk ? 'ok' : 'BAD', x.endedOn, x.pastNoReturn ? (x.noStaleRollback ? 'yes' : 'STALE') : 'no', yn(x.repairable), `${(x.durationMs / 1000).toFixed(1)}s`]);
  for (const n of r.notApplicable) rows.push([n.fault, '*', n.method, 'n/a', '', n.reason, '', '', '', '', '', '', '', '']);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (i === 5 && row[3] === 'n/a' ? 0 : row[i]!.length))));
  const line = (cols: string[]): string => cols.map((c, i) => (i === cols.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const out = [line(head), ...rows.map(line)];
  const bad = r.runs.filter((x) => !x.ok);
  for (const x of bad) out.push(`FAILED ${x.fault} @ ${x.step} (${x.method}, run ${x.run}): ${x.problems.join('; ')}`);
  // Why the runs that did not simply complete stopped where they did: what the coordinator journaled.
  for (const x of r.runs.filter((y) => y.outcome !== 'completed' && y.why.length > 0)) out.push(`why ${x.fault} @ ${x.step} (${x.method}): ${x.why.slice(0, 2).join(' | ')}`);
  const s = r.summary;
  out.push(
    `${s.runs} runs: ${s.ok} ok, ${s.failed} failed (${s.dataLost} lost data, ${s.unhealthy} unhealthy, ${s.splitBrain} split brain, ${s.staleRollback} back on a stale tree, ${s.unexpected} not as expected, ${s.unrepairable} not repairable); ` +
      `outcomes: ${Object.entries(s.outcomes).map(([k, v]) => `${k} ${v}`).join(', ')}; wall time ${(s.wallMs / 1000).toFixed(0)} s`,
  );
  return out.join('\n') + '\n';
}
