import type { FreezeParts } from './freeze-parts';
/**
 * Progress events a migration (or rollback) yields. The library only emits these; the CLI picks a
 * renderer: plain lines, a live step list on a TTY, or one JSON object per line (`--json`).
 */

import { recapLines } from '../fleet/recap';

export type HostStatus = 'ok' | 'changed' | 'failed' | 'unreachable' | 'skipped';

export type MigrateEvent =
  | { kind: 'run-start'; run: string; cluster: string; method: string; dryRun: boolean; journal: string }
  | { kind: 'step-start'; step: string; title: string }
  | { kind: 'step-progress'; step: string; message: string; fraction?: number }
  | { kind: 'host-result'; step: string; host: string; status: HostStatus; msg: string; diff?: string }
  | { kind: 'warning'; step?: string; message: string }
  | { kind: 'step-skipped'; step: string; reason: string }
  | { kind: 'step-done'; step: string; title: string; ms: number; summary?: string }
  | { kind: 'step-failed'; step: string; title: string; ms: number; error: string }
  | { kind: 'freeze'; phase: 'start' | 'end'; at: string; reason: string }
  | { kind: 'point-of-no-return'; at: string; reason: string }
  | { kind: 'run-end'; outcome: string; summary: RunSummary };

export interface HostRecap {
  ok: number;
  changed: number;
  failed: number;
  unreachable: number;
}

export interface RunSummary {
  run: string;
  cluster: string;
  method: string;
  outcome: string;
  /** When the run passed the point of no return (no-return.ts), if it did. */
  pointOfNoReturn?: string;
  /** From the moment metadata writes stop until the cluster serves from the new ensemble. */
  writeFreezeMs: number | undefined;
  /** copy: the freeze's parts (freeze-parts.ts), when the run got that far. */
  freezeParts?: FreezeParts;
  /** copy with pre-copy: how long the live copy and its catch-up rounds took (nothing frozen). */
  precopyMs?: number;
  totalMs: number;
  hosts: Record<string, HostRecap>;
  message: string;
}

export type Emit = (e: MigrateEvent) => void;

function fmtMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** One formatter per kind: adding a kind without a formatter does not compile. */
const TEXT: { [K in MigrateEvent['kind']]: (e: Extract<MigrateEvent, { kind: K }>, o: FormatOptions) => string | undefined } = {
  'run-start': (e) => `${e.dryRun ? 'DRY RUN (check mode) ' : ''}run ${e.run}: migrate cluster ${e.cluster} by ${e.method} (journal ${e.journal})`,
  'step-start': (e) => `==> ${e.title}`,
  'step-progress': (e) => `    ${e.message}`,
  'host-result': (e, o) => `    ${e.status.padEnd(11)} ${e.host}: ${e.msg}${e.diff && o.diff !== false ? '\n' + e.diff.replace(/\n+$/, '').replace(/^/gm, '      ') : ''}`,
  warning: (e) => `    WARNING: ${e.message}`,
  'step-skipped': (e) => `--- ${e.step}: skipped (${e.reason})`,
  'step-done': (e) => `ok  ${e.title} (${fmtMs(e.ms)})${e.summary ? `: ${e.summary}` : ''}`,
  'step-failed': (e) => `FAILED ${e.title} (${fmtMs(e.ms)}): ${e.error}`,
  freeze: (e) => `    metadata write freeze ${e.phase === 'start' ? 'begins' : 'ends'}: ${e.reason}`,
  'point-of-no-return': (e) => `    POINT OF NO RETURN: ${e.reason}; from here on a failure rolls forward, never back to the old tree`,
  'run-end': (e) => formatSummary(e.summary),
};

export interface FormatOptions {
  /** Include the unified diff of each config edit (the run log always does; the terminal with --diff). @default true */
  diff?: boolean;
}

export function formatEvent(e: MigrateEvent, o: FormatOptions = {}): string | undefined {
  return (TEXT[e.kind] as (x: MigrateEvent, o: FormatOptions) => string | undefined)(e, o);
}

const PART_NAMES: [keyof FreezeParts, string][] = [
  ['stopMs', 'stop'],
  ['blindMs', 'blind'],
  ['copyMs', 'copy'],
  ['finalDeltaMs', 'final delta'],
  ['proofMs', 'proof'],
  ['configEditMs', 'config edit'],
  ['restartMs', 'restart'],
  ['leaderLoadMs', 'leader load'],
  ['firstHealthMs', 'first health'],
];

function partsText(p: FreezeParts): string {
  return PART_NAMES.flatMap(([k, name]) => (p[k] === undefined ? [] : [`${name} ${fmtMs(p[k])}`])).join(', ');
}

export function formatSummary(s: RunSummary): string {
  const lines = [
    '',
    `Run ${s.run}: ${s.outcome.toUpperCase()} — ${s.message}`,
    `  cluster ${s.cluster}, method ${s.method}`,
    `  write-freeze window: ${s.writeFreezeMs === undefined ? 'n/a' : fmtMs(s.writeFreezeMs)}`,
    ...(s.precopyMs !== undefined ? [`  pre-copy (cluster running, not frozen): ${fmtMs(s.precopyMs)}`] : []),
    ...(s.freezeParts ? [`  freeze parts: ${partsText(s.freezeParts)}`] : []),
    `  point of no return: ${s.pointOfNoReturn ? `passed at ${s.pointOfNoReturn}` : 'not reached'}`,
    `  total time: ${fmtMs(s.totalMs)}`,
  ];
  // The fleet commands' recap format; no header at all when no host was touched (a refused preflight).
  const hosts = Object.entries(s.hosts).sort(([a], [b]) => a.localeCompare(b));
  if (hosts.length > 0) {
    lines.push('', 'HOST RECAP', ...recapLines(hosts, '  '));
  }
  return lines.join('\n');
}
