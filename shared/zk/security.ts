import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidInputError } from '../errors';

/**
 * How zkmig authenticates to one ensemble beyond digest ACL credentials: TLS to the server's
 * `secureClientPort` (with a client certificate for x509 auth) and a SASL login: DIGEST-MD5 (the
 * equivalent of a JAAS `Client` section with DigestLoginModule) or GSSAPI (Krb5LoginModule with a
 * keytab). Secrets are read from files, never taken on the command line, so they do not show in `ps`.
 */
export interface ZkTlsOptions {
  /** PEM CA bundle the server certificate must chain to (default: the system's CAs). */
  ca?: Buffer;
  /** PEM client certificate and key, for servers with `ssl.clientAuth=need`. */
  cert?: Buffer;
  key?: Buffer;
  /**
   * Check the server certificate's name against this host name; `false` (the default, like
   * ZooKeeper's own client with `zookeeper.ssl.hostnameVerification=false`) checks the chain only.
   */
  serverName?: string | false;
}

export interface ZkDigestSaslOptions {
  mechanism: 'DIGEST-MD5';
  user: string;
  password: string;
}

/**
 * Kerberos: a keytab and a principal (the JAAS `Client` section's Krb5LoginModule with useKeyTab),
 * the server's service principal `zookeeper/<host>` (see gssapi.ts).
 */
export interface ZkGssapiSaslOptions {
  mechanism: 'GSSAPI';
  /** The id ZooKeeper authenticates the session as (`sasl:` ACLs): the whole principal, as a server without kerberos.remove*FromPrincipal sees it. */
  user: string;
  principal: string;
  keytab: string;
  /**
   * The server's Kerberos service name: the ticket is for `<service>/<host>`. ZooKeeper's Java
   * client calls it zookeeper.sasl.client.username, Pegasus `[zookeeper] sasl_service_name`.
   * @default 'zookeeper'
   */
  service?: string;
}

export type ZkSaslOptions = ZkDigestSaslOptions | ZkGssapiSaslOptions;

export interface ZkSecurity {
  tls?: ZkTlsOptions;
  sasl?: ZkSaslOptions;
  /** Which side this is (`source`, `target`), named in every authentication error. */
  side?: string;
  /** A plain session on purpose, whatever `withZkSecurity` would give (probes). */
  plain?: boolean;
}

/** The files and names an operator gives for one side; loaded by `loadSecurity`. */
export interface ZkSecuritySpec {
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  /** Host name to check the server certificate against. */
  tlsServerName?: string;
  /** Use TLS even without a CA or client certificate (trusting the system CAs). */
  tls?: boolean;
  saslUser?: string;
  saslPasswordFile?: string;
  /** Kerberos principal (`zkmig@REALM`) and the keytab holding its key. */
  krbPrincipal?: string;
  krbKeytab?: string;
  /** The servers' Kerberos service name (`zookeeper` unless the ensemble runs under another). */
  krbService?: string;
}

function readFile(file: string, what: string, flag: string): Buffer {
  try {
    const b = fs.readFileSync(file);
    if (b.length === 0) throw new InvalidInputError(`${what} ${file} (${flag}) is empty`);
    return b;
  } catch (e) {
    if (e instanceof InvalidInputError) throw e;
    throw new InvalidInputError(`cannot read ${what} ${file} (${flag}): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
}

/** A password file: its first line, without the line end (like a JAAS file's password, no trimming of inner blanks). */
export function readSecretFile(file: string, what: string, flag: string): string {
  const text = readFile(file, what, flag).toString('utf8');
  const first = text.split(/\r?\n/)[0] ?? '';
  if (first === '') throw new InvalidInputError(`${what} ${file} (${flag}) has an empty first line`);
  return first;
}

/**
 * Read the files of a spec into a ZkSecurity (undefined when the spec asks for nothing). `prefix`
 * is the flag prefix (`--`, `--source-`, `--target-`) for the error messages; `flag` names a
 * setting another way (inventory variables: `tls-ca` → `zk_tls_ca_file`).
 */
export function loadSecurity(spec: ZkSecuritySpec, prefix = '--', side?: string, flag: (name: string) => string = (n) => `${prefix}${n}`): ZkSecurity | undefined {
  const out: ZkSecurity = {};
  if (side) out.side = side;
  const wantsTls = spec.tls || spec.tlsCa !== undefined || spec.tlsCert !== undefined || spec.tlsKey !== undefined || spec.tlsServerName !== undefined;
  if (wantsTls) {
    if ((spec.tlsCert === undefined) !== (spec.tlsKey === undefined)) {
      throw new InvalidInputError(`${flag('tls-cert')} and ${flag('tls-key')} go together: give both or neither`);
    }
    const tls: ZkTlsOptions = { serverName: spec.tlsServerName ?? false };
    if (spec.tlsCa !== undefined) tls.ca = readFile(spec.tlsCa, 'TLS CA file', flag('tls-ca'));
    if (spec.tlsCert !== undefined) tls.cert = readFile(spec.tlsCert, 'TLS certificate file', flag('tls-cert'));
    if (spec.tlsKey !== undefined) tls.key = readFile(spec.tlsKey, 'TLS key file', flag('tls-key'));
    out.tls = tls;
  }
  if ((spec.saslUser === undefined) !== (spec.saslPasswordFile === undefined)) {
    throw new InvalidInputError(`${flag('sasl-user')} and ${flag('sasl-password-file')} go together: give both or neither`);
  }
  if (spec.saslUser !== undefined && spec.saslPasswordFile !== undefined) {
    if (spec.saslUser === '' || /[\s"\\,]/.test(spec.saslUser)) throw new InvalidInputError(`${flag('sasl-user')} "${spec.saslUser}" must be a non-empty name without blanks, quotes, commas or backslashes`);
    out.sasl = { mechanism: 'DIGEST-MD5', user: spec.saslUser, password: readSecretFile(spec.saslPasswordFile, 'SASL password file', flag('sasl-password-file')) };
  }
  if ((spec.krbPrincipal === undefined) !== (spec.krbKeytab === undefined)) {
    throw new InvalidInputError(`${flag('krb-principal')} and ${flag('krb-keytab')} go together: give both or neither`);
  }
  if (spec.krbPrincipal !== undefined && spec.krbKeytab !== undefined) {
    if (out.sasl) throw new InvalidInputError(`${flag('sasl-user')} (DIGEST-MD5) and ${flag('krb-principal')} (Kerberos) exclude each other: a session logs in one way`);
    const p = spec.krbPrincipal;
    if (!/^[^\s@/"\\,]+(\/[^\s@/"\\,]+)?@[^\s@/"\\,]+$/.test(p)) {
      // The realm is required: it is part of the id ZooKeeper gives the session (sasl: ACLs), which zkmig must know.
      throw new InvalidInputError(`${flag('krb-principal')} "${p}" is not a Kerberos principal with its realm (name@REALM or name/host@REALM)`);
    }
    // Read up front, so a missing or unreadable keytab is bad input before anything connects.
    readFile(spec.krbKeytab, 'Kerberos keytab', flag('krb-keytab'));
    out.sasl = { mechanism: 'GSSAPI', user: p, principal: p, keytab: path.resolve(spec.krbKeytab) };
    if (spec.krbService !== undefined) {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(spec.krbService)) throw new InvalidInputError(`${flag('krb-service')} "${spec.krbService}" is not a Kerberos service name (letters, digits, '.', '_', '-')`);
      out.sasl.service = spec.krbService;
    }
  } else if (spec.krbService !== undefined) {
    throw new InvalidInputError(`${flag('krb-service')} needs ${flag('krb-principal')} and ${flag('krb-keytab')}: it names the service of a Kerberos login`);
  }
  return out.tls || out.sasl ? out : undefined;
}

/** `the source ZooKeeper 1.2.3.4:2181` or `ZooKeeper 1.2.3.4:2181`, for error messages. */
export function sideName(hosts: string, security?: ZkSecurity): string {
  return security?.side ? `the ${security.side} ZooKeeper ${hosts}` : `ZooKeeper ${hosts}`;
}
