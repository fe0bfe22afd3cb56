/** Text output of `zkmig config get|set`, in the shape of Ansible's task lines and recap. */
import { HostOutcome, renderRecap } from '../fleet';
import { renderTable } from '../table';
import type { GetConfigResult, MetaConfig } from './read';
import type { ConfigChange, SetConfigResult } from './set';

const name = (h: { cluster: string; host: string }): string => `${h.cluster}/${h.host}`;

function failures(hosts: readonly HostOutcome<unknown>[]): string[] {
  return hosts.filter((h) => h.status === 'failed' || h.status === 'unreachable').map((h) => `${h.status}: [${name(h)}] ${h.error?.message ?? ''}`);
}

/** Per key: one line when every host agrees, else one line per host. */
export function renderGetConfig(r: GetConfigResult): string {
  const read = r.hosts.filter((h): h is HostOutcome<MetaConfig> & { value: MetaConfig } => h.value !== undefined);
  const lines = [`Cluster ${r.cluster}: ${read.length} of ${r.hosts.length} host${r.hosts.length === 1 ? '' : 's'} read`];
  const show = (v: string | null | undefined): string => (v === null || v === undefined ? '(absent)' : v === '' ? '(empty)' : v);
  for (const key of r.keys) {
    const drift = r.drift.includes(key);
    lines.push('', `${key}${drift ? '   <- differs between hosts' : ''}`);
    if (read.length === 0) continue;
    if (!drift) {
      lines.push(`  ${read.length === 1 ? read[0]!.host : `every host (${read.length})`}: ${show(read[0]!.value.values[key])}`);
    } else {
      lines.push(...renderTable(read.map((h) => [h.host, show(h.value.values[key])]), { indent: '  ', sep: ': ' }));
    }
  }
  const misplaced = read.filter((h) => h.value.misplaced.length > 0);
  if (misplaced.length > 0) {
    lines.push('', 'warning: hosts_list under [meta_server] (Pegasus ignores it there) on ' + misplaced.map((h) => `${h.host} (line ${h.value.misplaced[0]!.line})`).join(', '));
  }
  const bad = failures(r.hosts);
  if (bad.length > 0) lines.push('', ...bad);
  return `${lines.join('\n')}\n\n${renderRecap(r.recap)}`;
}

/** Ansible-style task lines (with the diff when asked), then the recap. */
export function renderSetConfig(r: SetConfigResult, o: { diff?: boolean } = {}): string {
  const lines: string[] = [];
  for (const h of r.hosts) {
    if (h.status === 'failed' || h.status === 'unreachable') {
      lines.push(`${h.status}: [${name(h)}] ${h.error?.message ?? ''}`);
      continue;
    }
    const c = h.value as ConfigChange;
    const extra = c.changed ? (c.checkMode ? ' (check mode: not written)' : c.backupFile ? ` (backup ${c.backupFile})` : '') : ': no change';
    lines.push(`${h.status}: [${name(h)}] ${c.path}${extra}`);
    for (const w of c.warnings) lines.push(`  warning: ${w}`);
    if (o.diff && c.diff !== '') lines.push(...c.diff.replace(/\n$/, '').split('\n').map((l) => `  ${l}`));
  }
  const footer: string[] = [];
  if (r.checkMode) footer.push('Check mode: no file was written.');
  else if (r.recap.totals.changed > 0) footer.push('The meta servers read config.ini at start: the change takes effect at their next restart.');
  return `${lines.join('\n')}\n\n${renderRecap(r.recap)}${footer.length > 0 ? `\n${footer.join('\n')}\n` : ''}`;
}
