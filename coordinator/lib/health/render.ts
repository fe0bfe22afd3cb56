/** Text output of `zkmig health`. */
import type { HealthReport } from './types';
import { renderTable } from '../table';

const MARK = { pass: 'ok', fail: 'FAIL', unknown: '??', skipped: '--' } as const;

/** `width`: the terminal's columns, when stdout is one (table.ts). */
export function renderHealth(r: HealthReport, width?: number): string {
  const lines = [`Cluster ${r.cluster}: ${r.verdict.toUpperCase()}${r.leader ? ` (leader ${r.leader})` : ''}`];
  lines.push(...renderTable(r.checks.map((c) => [c.name, MARK[c.status], c.message]), { indent: '  ', sep: ' ', minWidths: [10, 4], ...(width !== undefined ? { width } : {}) }));
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return `${lines.join('\n')}\n`;
}
