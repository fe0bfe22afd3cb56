/** Text output of `zkmig audit`: per cluster, the key values, then findings by severity; a summary; the recap. */
import { renderRecap } from '../fleet';
import { renderTable } from '../table';
import type { AuditReport, ClusterAudit, Finding } from './types';

function showValue(v: string | null | undefined): string {
  return v === null || v === undefined ? '(absent)' : v === '' ? '(empty)' : v;
}

function renderValues(c: ClusterAudit, drift: Set<string>): string[] {
  // Two columns (key, value); a key whose hosts differ gets a nested host/value table under it.
  const width = Math.max(...c.keys.map((k) => k.length));
  const rows: string[][] = [];
  for (const k of c.keys) {
    const perHost = c.values[k] ?? {};
    const hosts = Object.keys(perHost);
    if (hosts.length === 0) continue;
    const distinct = new Set(hosts.map((h) => perHost[h] ?? null));
    if (distinct.size === 1 && !drift.has(k)) rows.push([k, showValue(perHost[hosts[0]!])]);
    else {
      rows.push([k, 'differs:']);
      for (const line of renderTable(hosts.map((h) => [h, showValue(perHost[h])]), { indent: '  ' })) rows.push(['', line]);
    }
  }
  return renderTable(rows, { indent: '  ', minWidths: [width] });
}

function renderFinding(f: Finding): string {
  const who = f.hosts.length === 0 ? '' : `${f.hosts.join(', ')}: `;
  return `    [${f.code}] ${who}${f.message}`;
}

export function renderAudit(r: AuditReport): string {
  const out: string[] = [];
  for (const c of r.clusters) {
    const read = c.hosts.filter((h) => h.status === 'ok').length;
    out.push(`Cluster ${c.cluster}: ${c.hosts.length} meta${c.hosts.length === 1 ? '' : 's'}, ${read} config${read === 1 ? '' : 's'} read${c.running ? `, running on ${c.running.zookeeperHosts} ${c.running.zookeeperRoot} (leader ${c.running.leader})` : ''}`);
    out.push(...renderValues(c, new Set(c.findings.filter((f) => f.code === 'drift' && f.key).map((f) => f.key!))));
    const errors = c.findings.filter((f) => f.severity === 'error');
    const warnings = c.findings.filter((f) => f.severity === 'warning');
    if (errors.length > 0) out.push(`  ERRORS (${errors.length})`, ...errors.map(renderFinding));
    if (warnings.length > 0) out.push(`  WARNINGS (${warnings.length})`, ...warnings.map(renderFinding));
    if (c.findings.length === 0) out.push('  no findings');
    out.push('');
  }
  const metas = r.clusters.reduce((n, c) => n + c.hosts.length, 0);
  out.push(
    r.clean
      ? `Audit clean: ${r.clusters.length} cluster${r.clusters.length === 1 ? '' : 's'}, ${metas} metas, no findings (${r.durationMs} ms).`
      : `Audit found ${r.counts.errors} error${r.counts.errors === 1 ? '' : 's'} and ${r.counts.warnings} warning${r.counts.warnings === 1 ? '' : 's'} in ${r.clusters.length} cluster${r.clusters.length === 1 ? '' : 's'}, ${metas} metas (${r.durationMs} ms).`,
  );
  return `${out.join('\n')}\n\n${renderRecap(r.recap)}`;
}
