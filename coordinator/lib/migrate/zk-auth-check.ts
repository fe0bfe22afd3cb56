import { randomBytes } from 'node:crypto';
import { AppError, toAppError } from '../../../shared/errors';
import { ZK_CODE, ZkSession, zkCodeOf } from '../../../shared/zk/client';
import type { ZkSecurity } from '../../../shared/zk/security';
import { describeZkAuth, MetaZkAuth } from '../config-edit';

/**
 * Before any change, compare how the metas log in to ZooKeeper (their configs, read through the
 * agents) with what the old and the new ensemble ask for (docs/pegasus-internals.md §8.12): a meta
 * that cannot open a session on the new ensemble does not start, and the migration would stop
 * half-way with the metas down.
 */

/** What one ensemble asks of its clients, found by asking it (no configuration is read). */
export interface EnsembleAuth {
  hosts: string;
  /** A plain session's first request is refused with SESSIONCLOSEDREQUIRESASLAUTH (`enforce.auth.enabled=true`). */
  enforced: boolean | undefined;
  /** The server answers a SASL request (`authProvider.sasl` and a JAAS `Server` section). */
  sasl: 'offered' | 'absent' | undefined;
  /**
   * Its SASL server runs DIGEST-MD5 (it answered the probe's login with a challenge; one whose JAAS
   * `Server` login holds a Kerberos principal runs GSSAPI and refuses a DIGEST-MD5 login at once).
   */
  digest?: boolean;
  /** zkmig's own Kerberos login (zk_new_krb_* / zk_krb_*), when it has one: accepted, or why not. */
  gssapi?: { ok: true } | { ok: false; error: string };
  /** Why a field is undefined (the ensemble did not answer, ...). */
  error?: string;
}

const PROBE_MS = 8000;

/**
 * Ask an ensemble whether it enforces SASL and whether it offers it at all. The second question
 * is a DIGEST-MD5 login as `zkmig-probe` with a random password: the server either answers with a
 * challenge (SASL offered; the login then fails, which the server logs as one failed login) or with
 * an empty token (no SASL provider). `security` (TLS) is used for the connection when given.
 */
export async function probeEnsembleAuth(hosts: string, security?: ZkSecurity, metaService?: string): Promise<EnsembleAuth> {
  const out: EnsembleAuth = { hosts, enforced: undefined, sasl: undefined };
  const base = security?.tls ? { tls: security.tls } : undefined;
  let s: ZkSession | undefined;
  try {
    // Explicitly without SASL: not the run's login (withZkSecurity), or the answer would always be "not enforced".
    s = await ZkSession.connect(hosts, { sessionTimeoutMs: PROBE_MS, connectTimeoutMs: PROBE_MS, security: base ?? { plain: true } });
    await s.exists('/');
    out.enforced = false;
  } catch (e) {
    const code = zkCodeOf((e as { cause?: unknown }).cause) ?? (e as { zkCode?: number }).zkCode;
    if (code === ZK_CODE.SESSION_CLOSED_REQUIRE_SASL_AUTH) out.enforced = true;
    else out.error = toAppError(e).message;
  } finally {
    s?.close();
  }
  if (out.error !== undefined) return out;
  let p: ZkSession | undefined;
  try {
    const sasl = { mechanism: 'DIGEST-MD5' as const, user: 'zkmig-probe', password: randomBytes(12).toString('hex') };
    p = await ZkSession.connect(hosts, { sessionTimeoutMs: PROBE_MS, connectTimeoutMs: PROBE_MS, security: { ...(base ?? {}), sasl } });
    out.sasl = 'offered'; // a server that accepts any password (no JAAS users?) still offers SASL
  } catch (e) {
    const reason = e instanceof AppError ? (e.context as { reason?: string } | undefined)?.reason : undefined;
    const answered = e instanceof AppError ? (e.context as { answered?: boolean } | undefined)?.answered : undefined;
    if (reason === 'no-sasl') out.sasl = 'absent';
    else if (reason === 'refused') {
      out.sasl = 'offered';
      out.digest = answered === true;
    } else out.error = toAppError(e).message;
  } finally {
    p?.close();
  }
  if (out.digest === undefined && out.sasl === 'offered') out.digest = true; // the random password was accepted
  if (out.sasl !== 'offered' || security?.sasl?.mechanism !== 'GSSAPI') return out;
  // A real Kerberos login as zkmig's principal: the server runs GSSAPI, in a realm zkmig's KDC serves.
  let g: ZkSession | undefined;
  try {
    // For the service the metas ask a ticket for (`[zookeeper] sasl_service_name`): a login to
    // another service name would prove nothing about theirs.
    const sasl = metaService !== undefined ? { ...security.sasl, service: metaService } : security.sasl;
    g = await ZkSession.connect(hosts, { sessionTimeoutMs: PROBE_MS, connectTimeoutMs: PROBE_MS, security: { ...(base ?? {}), sasl } });
    await g.exists('/');
    out.gssapi = { ok: true };
  } catch (e) {
    out.gssapi = { ok: false, error: toAppError(e).message };
  } finally {
    g?.close();
  }
  return out;
}

export interface AuthCheck {
  /** Refuse the migration. */
  problems: string[];
  warnings: string[];
}

/**
 * The judgement, pure: the metas' authentication against the target's (and the source's)
 * answers. `sourceSaslAcls` counts the tree's znodes with `sasl:` ACLs (copied as they are);
 * `coordinator` says whether zkmig itself has a SASL login for the new ensemble and the others.
 */
export function judgeZkAuth(metas: MetaZkAuth, source: EnsembleAuth, target: EnsembleAuth, sourceSaslAcls = 0, coordinator = { target: false, other: false }): AuthCheck {
  const problems: string[] = [];
  const warnings: string[] = [];
  // zkmig's own sessions (copy, checks, run lock) need a login too: from the inventory, never the command line.
  if (target.enforced && !coordinator.target) {
    problems.push(`the new ensemble ${target.hosts} requires SASL and zkmig has no login for it: set zk_new_sasl_user and zk_new_sasl_password_file, or zk_new_krb_principal and zk_new_krb_keytab (or the zk_* ones), in the inventory`);
  }
  if (source.enforced && !coordinator.other) {
    problems.push(`the old ensemble ${source.hosts} requires SASL and zkmig has no login for it: set zk_sasl_user and zk_sasl_password_file, or zk_krb_principal and zk_krb_keytab, in the inventory`);
  }
  const how = describeZkAuth(metas);
  const t = `the new ensemble ${target.hosts}`;
  if (target.error !== undefined) {
    warnings.push(`could not tell which authentication ${t} asks for (${target.error}); the metas log in with ${how}`);
  } else {
    if (target.enforced && metas.mechanisms.length === 0) {
      problems.push(
        `${t} requires SASL (enforce.auth.enabled: it closes every session that has not logged in) but the metas' configs set no ZooKeeper SASL ` +
          '([zookeeper] sasl_mechanisms_type, or [security] enable_zookeeper_kerberos in v2.5.0): the metas would not start on it. Configure SASL on the metas first, or migrate to an ensemble without enforce.auth',
      );
    }
    if (metas.mechanisms.includes('DIGEST-MD5') && !metas.mechanisms.includes('GSSAPI') && target.sasl === 'offered' && target.digest === false) {
      problems.push(
        `the metas log in with ${how} but ${t} refused a DIGEST-MD5 login before any challenge (its SASL server runs another mechanism, Kerberos?): their login would fail and they would not start. ` +
          'Configure the same SASL on the new ensemble first',
      );
    }
    if (metas.mechanisms.length > 0 && target.sasl === 'absent') {
      problems.push(
        `the metas log in to ZooKeeper with ${how} but ${t} offers no SASL login (no authProvider.sasl or no JAAS "Server" section): their login would fail and they would not start. ` +
          'Configure the same SASL on the new ensemble first',
      );
    }
    if (metas.mechanisms.includes('GSSAPI') && target.sasl === 'offered') {
      if (target.gssapi?.ok === false) {
        problems.push(`the metas log in with ${how} but zkmig's own Kerberos login to ${t} failed (${target.gssapi.error}): fix Kerberos for the new ensemble first`);
      } else if (target.digest && !metas.mechanisms.includes('DIGEST-MD5')) {
        problems.push(
          `the metas log in with ${how} but ${t} runs SASL DIGEST-MD5 (it answered a DIGEST-MD5 login with a challenge: its JAAS "Server" section holds no Kerberos principal): their login would fail and they would not start. ` +
            'Give the new ensemble a Krb5LoginModule "Server" section first',
        );
      } else if (target.gssapi === undefined) {
        warnings.push(
          `the metas log in with ${how}; ${t} offers SASL and does not run DIGEST-MD5, but zkmig has no Kerberos login to check that it accepts GSSAPI (set zk_new_krb_principal and zk_new_krb_keytab): ` +
            `check that its principal is ${metas.serviceName}/<host> before the cutover`,
        );
      }
      // gssapi ok: zkmig logged in with Kerberos as a client of the same service; nothing to say.
    }
    if (sourceSaslAcls > 0 && target.sasl === 'absent') {
      problems.push(`${sourceSaslAcls} znode(s) of the tree have sasl: ACLs, which ${t} cannot honour (it offers no SASL login): after the copy no client could be granted them`);
    }
  }
  if (source.enforced && target.enforced === false) {
    warnings.push(`the old ensemble ${source.hosts} requires SASL (enforce.auth) but ${t} does not: after the migration any client can open a session on it`);
  }
  return { problems, warnings };
}
