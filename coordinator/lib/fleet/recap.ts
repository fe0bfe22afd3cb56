/**
 * The Ansible-style recap printed after every fan-out:
 *
 *   RECAP
 *   alpha/meta1   ok=1  changed=1  unreachable=0  failed=0
 *
 * Counting follows Ansible's PLAY RECAP: `ok` counts every task that succeeded, changed ones
 * included, so `ok=1 changed=1` means one task that changed something.
 */
import { renderTable } from '../table';
import { HostOutcome, HostStatus } from './types';

export interface RecapCounts {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
}

export interface RecapLine extends RecapCounts {
  cluster: string;
  host: string;
}

export interface Recap {
  /** One line per host, in first-seen order. */
  hosts: RecapLine[];
  totals: RecapCounts;
}

export function emptyCounts(): RecapCounts {
  return { ok: 0, changed: 0, unreachable: 0, failed: 0 };
}

function count(c: RecapCounts, s: HostStatus): void {
  if (s === 'ok' || s === 'changed') c.ok++;
  if (s === 'changed') c.changed++;
  if (s === 'failed') c.failed++;
  if (s === 'unreachable') c.unreachable++;
}

/** Tally outcomes (one per task per host; several tasks on one host add up). */
export function makeRecap(outcomes: readonly Pick<HostOutcome<unknown>, 'cluster' | 'host' | 'status'>[]): Recap {
  const byHost = new Map<string, RecapLine>();
  const totals = emptyCounts();
  for (const o of outcomes) {
    const key = `${o.cluster}\u0000${o.host}`;
    let line = byHost.get(key);
    if (!line) {
      line = { cluster: o.cluster, host: o.host, ...emptyCounts() };
      byHost.set(key, line);
    }
    count(line, o.status);
    count(totals, o.status);
  }
  return { hosts: [...byHost.values()], totals };
}

/** True when every task reached its host and succeeded. */
export function recapClean(r: Recap): boolean {
  return r.totals.failed === 0 && r.totals.unreachable === 0;
}

/** The recap as text, hosts aligned, ending with a newline. */
export function renderRecap(r: Recap): string {
  if (r.hosts.length === 0) return 'RECAP (no hosts)\n';
  return `RECAP\n${recapLines(r.hosts.map((h) => [`${h.cluster}/${h.host}`, h])).join('\n')}\n`;
}

/**
 * The recap's host lines, Ansible's order (ok, changed, unreachable, failed), aligned: every recap
 * uses it. Each count has room for 4 digits, so the columns stay put between runs.
 */
export function recapLines(hosts: readonly [string, { ok: number; changed: number; unreachable: number; failed: number }][], indent = ''): string[] {
  const rows = hosts.map(([name, c]) => [name, `ok=${c.ok}`, `changed=${c.changed}`, `unreachable=${c.unreachable}`, `failed=${c.failed}`]);
  return renderTable(rows, { indent, sep: ['  ', ' ', ' ', ' '], minWidths: [0, 'ok='.length + 3, 'changed='.length + 3, 'unreachable='.length + 3] });
}
