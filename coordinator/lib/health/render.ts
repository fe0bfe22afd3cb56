/** Text output of `zkmig health`. */
import type { HealthReport } from './types';

const MARK = { pass: 'ok', fail: 'FAIL', unknown: '??', skipped: '--' } as const;

export function renderHealth(r: HealthReport): string {
  const lines = [`Cluster ${r.cluster}: ${r.verdict.toUpperCase()}${r.leader ? ` (leader ${r.leader})` : ''}`];
  for (const c of r.checks) lines.push(`  ${c.name.padEnd(10)} ${MARK[c.status].padEnd(4)} ${c.message}`);
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return `${lines.join('\n')}\n`;
}
