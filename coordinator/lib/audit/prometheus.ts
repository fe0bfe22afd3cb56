/**
 * `zkmig audit --format prometheus`: the audit as Prometheus metrics in the text exposition format,
 * for node_exporter's textfile collector (`--collector.textfile.directory`), so that an audit run
 * from cron can alert. Rendered by prom-client, so the format is the one Prometheus parses. Every
 * cluster gets both severities (0 included), so an alert resolves when its findings go away.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as client from 'prom-client';
import type { AuditReport } from './types';

export async function renderPrometheus(r: AuditReport): Promise<string> {
  const registry = new client.Registry();
  const registers = [registry];
  const findings = new client.Gauge({ name: 'zkmig_audit_findings', help: 'Findings of the last zkmig audit, by cluster, severity and code (zkmig audit --help lists the codes).', labelNames: ['cluster', 'severity', 'code'], registers });
  const perCluster = new client.Gauge({ name: 'zkmig_audit_cluster_findings', help: 'Findings of the last zkmig audit per cluster and severity (0 when none).', labelNames: ['cluster', 'severity'], registers });
  const hostRead = new client.Gauge({ name: 'zkmig_audit_host_config_read', help: "1 when the last audit read the host's meta config through its agent, 0 when it could not.", labelNames: ['cluster', 'host'], registers });
  const running = new client.Gauge({ name: 'zkmig_audit_cluster_running_compared', help: '1 when the last audit could compare the configs with the running cluster (cluster_info).', labelNames: ['cluster'], registers });
  const clean = new client.Gauge({ name: 'zkmig_audit_clean', help: '1 when the last audit had no finding at all.', registers });
  const last = new client.Gauge({ name: 'zkmig_audit_last_run_timestamp_seconds', help: 'When the last zkmig audit started (Unix time).', registers });
  const duration = new client.Gauge({ name: 'zkmig_audit_duration_seconds', help: 'How long the last zkmig audit took.', registers });
  for (const c of r.clusters) {
    for (const severity of ['error', 'warning'] as const) perCluster.set({ cluster: c.cluster, severity }, c.findings.filter((f) => f.severity === severity).length);
    for (const f of c.findings) findings.inc({ cluster: c.cluster, severity: f.severity, code: f.code });
    for (const h of c.hosts) hostRead.set({ cluster: c.cluster, host: h.host }, h.status === 'ok' ? 1 : 0);
    running.set({ cluster: c.cluster }, c.running ? 1 : 0);
  }
  clean.set(r.clean ? 1 : 0);
  last.set(Math.floor(Date.parse(r.startedAt) / 1000));
  duration.set(r.durationMs / 1000);
  return registry.metrics();
}

/**
 * Write `text` to `file` atomically: a temporary file in the same directory (named so that
 * node_exporter, which reads only `*.prom`, never sees it half-written), fsync, rename over.
 */
export function writeFileAtomic(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    const fd = fs.openSync(tmp, 'w', 0o644);
    try {
      fs.writeSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
