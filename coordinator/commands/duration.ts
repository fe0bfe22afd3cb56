import { InvalidArgumentError } from 'commander';
import { UsageError } from '../../shared/errors';

/**
 * The one duration syntax of every zkmig flag: a sequence of number+unit, units h, m, s and ms
 * (`1h30m`, `90s`, `1m30s`, `1.5s`, `500ms`), or a plain number in the unit the flag documents
 * (seconds for most flags, milliseconds for the ZooKeeper `--*-timeout <ms>` flags, as zkCli and
 * the ZooKeeper configuration count them). Errors name the flag.
 */
export interface DurationRules {
  /** What a plain number means. @default 's' */
  plain?: 's' | 'ms';
  /** Whether 0 is a valid value (e.g. "no wait"). @default false */
  allowZero?: boolean;
  /** Inclusive bounds in milliseconds. */
  minMs?: number;
  maxMs?: number;
}

const UNIT_MS = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;

/** Milliseconds for `text`; a UsageError naming `flag` when it is not a duration or out of range. */
export function parseDuration(text: string, flag: string, rules: DurationRules = {}): number {
  const s = text.trim();
  let ms: number;
  if (/^\d+(?:\.\d+)?$/.test(s)) {
    ms = Number(s) * UNIT_MS[rules.plain ?? 's'];
  } else {
    const parts = [...s.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
    if (parts.length === 0 || parts.map((p) => p[0]).join('') !== s) {
      throw new UsageError(`${flag} "${text}" is not a duration (e.g. 1h30m, 90s, 500ms, or a plain number of ${rules.plain === 'ms' ? 'milliseconds' : 'seconds'})`);
    }
    ms = parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2] as keyof typeof UNIT_MS], 0);
  }
  ms = Math.round(ms);
  if (!Number.isFinite(ms)) throw new UsageError(`${flag} "${text}" is too large`);
  if (ms === 0 && !rules.allowZero) throw new UsageError(`${flag} "${text}" must be more than zero`);
  if (rules.minMs !== undefined && ms < rules.minMs) throw new UsageError(`${flag} "${text}" must be at least ${formatDuration(rules.minMs)}`);
  if (rules.maxMs !== undefined && ms > rules.maxMs) throw new UsageError(`${flag} "${text}" must be at most ${formatDuration(rules.maxMs)}`);
  return ms;
}

/** A commander argParser: a bad value becomes a commander error (exit 2, usage shown). */
export const durationArg =
  (flag: string, rules: DurationRules = {}) =>
  (v: string): number => {
    try {
      return parseDuration(v, flag, rules);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };

/** `1h30m`, `2m5s`, `1.5s`, `250ms`: the same syntax the flags accept. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))}s`;
  let rest = Math.round(ms / 1000);
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  const s = rest - m * 60;
  return `${h > 0 ? `${h}h` : ''}${m > 0 ? `${m}m` : ''}${s > 0 ? `${s}s` : ''}`;
}

/** A count flag (`--precopy-threshold 100`): a whole number >= 1; UsageError naming the flag. */
export function parseCount(text: string, flag: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1) throw new UsageError(`${flag} must be a whole number >= 1, got "${text}"`);
  return Number(text);
}
