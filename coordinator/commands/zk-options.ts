import { Command, Option } from 'commander';
import { AppError, UsageError } from '../../shared/errors';
import { checkAuth } from '../lib/zk/acl';
import type { ConnOptions } from '../lib/zk/conn';
import { CONN_DEFAULTS } from '../lib/zk/conn';
import type { CliIO } from '../lib/io';
import { parseDuration } from './duration';

/** Flags every `zkmig zk` sub-command shares, and their conversion into library options. */

export const AUTH_ENV = 'ZKMIG_ZK_AUTH';

export interface ConnFlags {
  auth?: string;
  sessionTimeout?: string;
  connectTimeout?: string;
  retryTimeout?: string;
  json?: boolean;
}

export function addConnFlags(cmd: Command): Command {
  return cmd
    .option('--auth <user:password>', `digest credentials for every session (default: $${AUTH_ENV}); prefer the variable, flags show in ps`)
    .option('--session-timeout <ms>', `ZooKeeper session timeout, e.g. 30s or 30000 (default: ${CONN_DEFAULTS.sessionTimeoutMs})`)
    .option('--connect-timeout <ms>', `give up connecting after this long (default: ${CONN_DEFAULTS.connectTimeoutMs})`)
    .option('--retry-timeout <ms>', `fail when an ensemble stays unreachable or silent this long (default: ${CONN_DEFAULTS.retryTimeoutMs})`);
}

export function addJsonFlag(cmd: Command, what: string): Command {
  return cmd.addOption(new Option('--json', `print one JSON object (${what}) instead of text`));
}

/** A positive integer flag, or undefined when absent. */
export function intFlag(value: string | undefined, flag: string, min = 1, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) throw new UsageError(`${flag} must be a whole number, got "${value}"`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`${flag} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** `--auth` or $ZKMIG_ZK_AUTH, validated. */
export function authFrom(flag: string | undefined, io: CliIO, flagName = '--auth'): string | undefined {
  if (flag !== undefined) return checkAuth(flag, flagName);
  const env = io.env[AUTH_ENV];
  return env ? checkAuth(env, `$${AUTH_ENV}`) : undefined;
}

export function connFrom(f: ConnFlags): Omit<ConnOptions, 'auth'> {
  const o: Omit<ConnOptions, 'auth'> = {};
  // Durations (`5s`, `1m30s`); a plain number is milliseconds, as these flags always took.
  const ms = (v: string | undefined, flag: string, minMs: number, maxMs?: number): number | undefined =>
    v === undefined ? undefined : parseDuration(v, flag, { plain: 'ms', minMs, ...(maxMs !== undefined ? { maxMs } : {}) });
  const s = ms(f.sessionTimeout, '--session-timeout', 400, 120000);
  const c = ms(f.connectTimeout, '--connect-timeout', 100);
  const r = ms(f.retryTimeout, '--retry-timeout', 1000);
  if (s !== undefined) o.sessionTimeoutMs = s;
  if (c !== undefined) o.connectTimeoutMs = c;
  if (r !== undefined) o.retryTimeoutMs = r;
  return o;
}

/**
 * Confirm a destructive step: `--yes`, or an exact "y" on a terminal. Without either, refuse with
 * a UsageError naming the flag, before anything was touched.
 */
export async function confirmOrRefuse(io: CliIO, yes: boolean | undefined, question: string, refusal: string): Promise<void> {
  if (yes) return;
  if (io.isTTY && (await io.confirm(question))) return;
  throw new UsageError(refusal);
}

/** Ctrl-C aborts the running operation (its promise rejects); the listener is removed afterwards. */
export async function withInterrupt<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const onInt = (): void => ac.abort(new AppError('CANCELLED', 'interrupted (SIGINT)'));
  process.once('SIGINT', onInt);
  try {
    return await run(ac.signal);
  } finally {
    process.removeListener('SIGINT', onInt);
  }
}
