import { Command, Option } from 'commander';
import { AppError, UsageError } from '../../shared/errors';
import { checkAuth } from '../lib/zk/acl';
import type { ConnOptions } from '../lib/zk/conn';
import { CONN_DEFAULTS } from '../lib/zk/conn';
import type { CliIO } from '../lib/io';
import { loadSecurity, readSecretFile, ZkSecurity, ZkSecuritySpec } from '../../shared/zk/security';
import { parseDuration } from './duration';
import { wholeNumber } from './fleet-options';

/** Flags every `zkmig zk` sub-command shares, and their conversion into library options. */

export const AUTH_ENV = 'ZKMIG_ZK_AUTH';

export interface ConnFlags {
  auth?: string;
  authFile?: string;
  sessionTimeout?: string;
  connectTimeout?: string;
  retryTimeout?: string;
  json?: boolean;
}

export function addConnFlags(cmd: Command): Command {
  cmd
    .option('--auth <user:password>', `digest credentials for every session (default: $${AUTH_ENV}); prefer --auth-file, flags show in ps`)
    .option('--auth-file <file>', 'digest credentials user:password from the first line of this file')
    .option('--session-timeout <ms>', `ZooKeeper session timeout, e.g. 30s or 30000 (default: ${CONN_DEFAULTS.sessionTimeoutMs})`)
    .option('--connect-timeout <ms>', `give up connecting after this long (default: ${CONN_DEFAULTS.connectTimeoutMs})`)
    .option('--retry-timeout <ms>', `fail when an ensemble stays unreachable or silent this long (default: ${CONN_DEFAULTS.retryTimeoutMs})`);
  return addSecurityFlags(cmd);
}

/**
 * TLS and SASL flags for one side: `prefix` is '' (every ensemble the command talks to) or
 * 'source-'/'target-' (one side of a copy, overriding the common ones). Secrets come from files.
 */
export function addSecurityFlags(cmd: Command, prefix = '', what = 'every ensemble'): Command {
  return cmd
    .option(`--${prefix}tls`, `TLS to ${what} (the ensemble's secureClientPort), trusting the system CAs unless --${prefix}tls-ca`)
    .option(`--${prefix}tls-ca <file>`, `PEM CA bundle the server certificate of ${what} must chain to (implies --${prefix}tls)`)
    .option(`--${prefix}tls-cert <file>`, `PEM client certificate for ${what} (ssl.clientAuth=need; with --${prefix}tls-key)`)
    .option(`--${prefix}tls-key <file>`, `PEM key of --${prefix}tls-cert`)
    .option(`--${prefix}tls-server-name <host>`, `check that the server certificate of ${what} names this host (default: chain only)`)
    .option(`--${prefix}sasl-user <user>`, `SASL DIGEST-MD5 login to ${what} (the JAAS Client section's username)`)
    .option(`--${prefix}sasl-password-file <file>`, `the password of --${prefix}sasl-user, first line of this file`)
    .option(`--${prefix}krb-principal <principal>`, `SASL GSSAPI (Kerberos) login to ${what} as this principal, name@REALM (with --${prefix}krb-keytab)`)
    .option(`--${prefix}krb-keytab <file>`, `keytab holding the key of --${prefix}krb-principal (kinit -k into a cache private to zkmig)`)
    .option(`--${prefix}krb-service <name>`, `Kerberos service name of ${what}'s servers: the ticket is for <name>/<host> (default: zookeeper)`);
}

const SPEC_KEYS: (keyof ZkSecuritySpec)[] = ['tls', 'tlsCa', 'tlsCert', 'tlsKey', 'tlsServerName', 'saslUser', 'saslPasswordFile', 'krbPrincipal', 'krbKeytab', 'krbService'];

/** The security of one side from its flags (`prefix` 'source'/'target' overrides the common ones when any is given). */
export function securityFrom(f: object, side?: 'source' | 'target'): ZkSecurity | undefined {
  const flags = f as Record<string, unknown>;
  const key = (k: string, pre: string): string => (pre ? pre + k[0]!.toUpperCase() + k.slice(1) : k);
  const pick = (pre: string): ZkSecuritySpec => {
    const spec: Record<string, unknown> = {};
    for (const k of SPEC_KEYS) if (flags[key(k, pre)] !== undefined) spec[k] = flags[key(k, pre)];
    return spec as ZkSecuritySpec;
  };
  const own = side ? pick(side) : {};
  const useOwn = Object.keys(own).length > 0;
  const sec = loadSecurity(useOwn ? own : pick(''), useOwn ? `--${side}-` : '--', side);
  return sec ?? (side ? { side } : undefined);
}
export function addJsonFlag(cmd: Command, what: string): Command {
  return cmd.addOption(new Option('--json', `print one JSON object (${what}) instead of text`));
}

/** A positive integer flag, or undefined when absent. */
export function intFlag(value: string | undefined, flag: string, min = 1, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = wholeNumber(value);
  if (n === undefined) throw new UsageError(`${flag} must be a whole number, got "${value}"`);
  if (n < min || n > max) throw new UsageError(`${flag} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** `--auth`, `--auth-file` or $ZKMIG_ZK_AUTH, validated. */
export function authFrom(flag: string | undefined, io: CliIO, flagName = '--auth', file?: string): string | undefined {
  if (flag !== undefined && file !== undefined) throw new UsageError(`${flagName} and ${flagName}-file exclude each other`);
  if (file !== undefined) return checkAuth(readSecretFile(file, 'digest credentials file', `${flagName}-file`), `${flagName}-file`);
  if (flag !== undefined) return checkAuth(flag, flagName);
  const env = io.env[AUTH_ENV];
  return env ? checkAuth(env, `$${AUTH_ENV}`) : undefined;
}

export function connFrom(f: ConnFlags): Omit<ConnOptions, 'auth'> {
  const o: Omit<ConnOptions, 'auth'> = {};
  const security = securityFrom(f);
  if (security) o.security = security;
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
