import anyTest, { TestFn } from 'ava';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PERM } from '../../coordinator/lib/zk/acl';
import { ZkConn } from '../../coordinator/lib/zk/conn';
import { getChildren } from '../../coordinator/lib/zk/wire';
import { ZkSession, zk } from '../../shared/zk/client';
import type { ZkSecurity } from '../../shared/zk/security';
import { REPO_ROOT } from '../harness/certs';
import { Kdc } from '../harness/kdc';
import { startSecureZk, startZk, ZkEnsemble } from '../harness/zookeeper';
import { aclOf, createRaw } from './zk-helpers';

/**
 * Kerberos (SASL GSSAPI) against a real MIT KDC started on loopback (own realm, keytabs made by
 * kadmin.local) and a real ZooKeeper 3.8 whose JAAS Server section logs in with Krb5LoginModule,
 * with enforce.auth.enabled=true / enforce.auth.schemes=sasl. Copies go to and from a DIGEST-MD5
 * ensemble and a plain one.
 */

interface Ctx {
  kdc: Kdc;
  /** Kerberos-secured, enforce.auth. */
  krb: ZkEnsemble;
  /** DIGEST-MD5, enforce.auth. */
  digest: ZkEnsemble;
  plain: ZkEnsemble;
  /** zkmig@ZKMIG.TEST's keytab. */
  keytab: string;
  files: string;
  cleanups: (() => Promise<void> | void)[];
}

const test = anyTest as TestFn<Ctx>;
const CLI = path.join(REPO_ROOT, 'dist', 'coordinator', 'cli.js');
const ME = 'zkmig@ZKMIG.TEST';

test.before(async (t) => {
  const kdc = await Kdc.start();
  const cleanups: (() => Promise<void> | void)[] = [() => kdc.cleanup()];
  t.context = { kdc, cleanups } as Ctx;
  const serverKeytab = await kdc.addPrincipal('zookeeper/localhost');
  const keytab = await kdc.addPrincipal('zkmig');
  // This worker's own sessions (ZkSession below) log in too: libkrb5 and kinit read KRB5_CONFIG.
  process.env.KRB5_CONFIG = kdc.krb5Conf;
  const [krb, digest, plain] = await Promise.all([
    startSecureZk({ kerberos: { keytab: serverKeytab, principal: kdc.principal('zookeeper/localhost'), krb5Conf: kdc.krb5Conf } }),
    startSecureZk({ saslUsers: { bob: 'bob-secret' } }),
    startZk(),
  ]);
  cleanups.push(krb.cleanup, digest.cleanup, plain.cleanup);
  const files = fs.mkdtempSync(path.join(kdc.dir, 'files-'));
  fs.writeFileSync(path.join(files, 'bob.pw'), 'bob-secret\n', { mode: 0o600 });
  t.context = { kdc, krb: krb.zk, digest: digest.zk, plain: plain.zk, keytab, files, cleanups };
});

test.after.always(async (t) => {
  for (const c of (t.context.cleanups ?? []).reverse()) await c();
});

const krbFlags = (keytab: string, prefix = '', principal = ME): string[] => [`--${prefix}krb-principal`, principal, `--${prefix}krb-keytab`, keytab];
const krbSecurity = (t: { context: Ctx }): ZkSecurity => ({ sasl: { mechanism: 'GSSAPI', user: ME, principal: ME, keytab: t.context.keytab } });

/** The real CLI as a separate process, with the test realm's krb5.conf and nothing else of ours. */
function cli(t: { context: Ctx }, args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, KRB5_CONFIG: t.context.kdc.krb5Conf }, timeout: 90_000 }, (err, out, errText) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, out, err: errText });
    });
  });
}

function setAcl(s: ZkSession, p: string, acl: { perms: number; scheme: string; id: string }[]): Promise<void> {
  const acls = acl.map((a) => new zk.ACL(a.perms, new zk.Id(a.scheme, a.id)));
  return new Promise((resolve, reject) => s.client.setACL(p, acls, -1, (err) => (err ? reject(err) : resolve())));
}

async function withKrb<T>(t: { context: Ctx }, f: (s: ZkSession) => Promise<T>): Promise<T> {
  const s = await ZkSession.connect(t.context.krb.connectString, { sessionTimeoutMs: 10000, security: krbSecurity(t) });
  try {
    return await f(s);
  } finally {
    s.close();
  }
}

test('zk ls and get with a keytab: the session is authenticated as the principal (a sasl: ACL naming it lets it read)', async (t) => {
  await withKrb(t, async (s) => {
    await createRaw(s, '/mine', Buffer.from('only for zkmig'), [{ perms: PERM.ALL, scheme: 'sasl', id: ME }]);
  });
  const ls = await cli(t, ['zk', 'ls', `${t.context.krb.connectString}/`, ...krbFlags(t.context.keytab)]);
  t.is(ls.code, 0, ls.err);
  t.regex(ls.out, /── mine\s/);
  const get = await cli(t, ['zk', 'get', `${t.context.krb.connectString}/mine`, ...krbFlags(t.context.keytab)]);
  t.is(get.code, 0, get.err);
  t.regex(get.out, /only for zkmig/);
  // Without a login the enforcing server closes the session; the hint names the Kerberos flags.
  const none = await cli(t, ['zk', 'ls', `${t.context.krb.connectString}/`, '--connect-timeout', '20000']);
  t.is(none.code, 2);
  t.regex(none.err, /SESSIONCLOSEDREQUIRESASLAUTH \(-124\).*--krb-principal and --krb-keytab/);
  t.notRegex(none.err, /^\s+at /m);
});

test('--krb-service names the service the ticket is for: the default one works, another one is refused by the KDC, a malformed one is bad input', async (t) => {
  const url = `${t.context.krb.connectString}/`;
  const same = await cli(t, ['zk', 'ls', url, ...krbFlags(t.context.keytab), '--krb-service', 'zookeeper']);
  t.is(same.code, 0, same.err);
  // The KDC has no zk-other/<host> principal: no ticket, so no login; the error says which.
  const other = await cli(t, ['zk', 'ls', url, ...krbFlags(t.context.keytab), '--krb-service', 'zk-other', '--connect-timeout', '20000']);
  t.is(other.code, 2, other.out);
  t.regex(other.err, /SASL GSSAPI login as .* failed/);
  t.notRegex(other.err, /^\s+at /m);
  const bad = await cli(t, ['zk', 'ls', url, ...krbFlags(t.context.keytab), '--krb-service', 'zoo keeper']);
  t.is(bad.code, 2);
  t.regex(bad.err, /--krb-service "zoo keeper" is not a Kerberos service name/);
  const alone = await cli(t, ['zk', 'ls', url, '--krb-service', 'zookeeper']);
  t.is(alone.code, 2);
  t.regex(alone.err, /--krb-service needs --krb-principal and --krb-keytab/);
});

test('a DIGEST-MD5 login to the Kerberos ensemble is refused with a named error', async (t) => {
  const r = await cli(t, ['zk', 'ls', `${t.context.krb.connectString}/`, '--sasl-user', 'bob', '--sasl-password-file', path.join(t.context.files, 'bob.pw')]);
  t.is(r.code, 2, r.out);
  t.regex(r.err, /SASL DIGEST-MD5 login as "bob" to ZooKeeper .* failed/);
  t.notRegex(r.err, /^\s+at /m);
});

test.serial('zk copy Kerberos → DIGEST-MD5 keeps sasl: ACLs, verified; zk copy plain → Kerberos creates under a read-only ACL (temporary sasl: grant for the principal)', async (t) => {
  const { krb, digest, plain } = t.context;
  await withKrb(t, async (s) => {
    await createRaw(s, '/k', Buffer.from('root'));
    // The target's session is bob (DIGEST-MD5): it must read what it wrote to verify it.
    const both = [{ perms: PERM.ALL, scheme: 'sasl', id: ME }, { perms: PERM.READ, scheme: 'sasl', id: 'bob' }];
    await createRaw(s, '/k/princ', Buffer.from('krb'), both);
    // Read-only for zkmig, with a child: the copy must create it with a temporary grant and set this ACL last.
    await createRaw(s, '/k/princ/ro', Buffer.from('ro'), [{ perms: PERM.ALL, scheme: 'sasl', id: ME }]);
    await createRaw(s, '/k/princ/ro/leaf', Buffer.from('leaf'), both);
    await setAcl(s, '/k/princ/ro', [{ perms: PERM.READ, scheme: 'sasl', id: ME }, { perms: PERM.ALL, scheme: 'sasl', id: 'bob' }]);
  });
  const toDigest = await cli(t, [
    'zk', 'copy', `${krb.connectString}/k`, `${digest.connectString}/k`,
    ...krbFlags(t.context.keytab, 'source-'), '--target-sasl-user', 'bob', '--target-sasl-password-file', path.join(t.context.files, 'bob.pw'), '--json',
  ]);
  t.is(toDigest.code, 0, toDigest.err);
  const summary = JSON.parse(toDigest.out);
  t.is(summary.created, 4);
  t.true(summary.verify.ok);
  const bob = await ZkSession.connect(digest.connectString, { sessionTimeoutMs: 10000, security: { sasl: { mechanism: 'DIGEST-MD5', user: 'bob', password: 'bob-secret' } } });
  try {
    t.deepEqual(await aclOf(bob, '/k/princ'), [{ perms: PERM.ALL, scheme: 'sasl', id: ME }, { perms: PERM.READ, scheme: 'sasl', id: 'bob' }]);
    t.deepEqual(await aclOf(bob, '/k/princ/ro'), [{ perms: PERM.READ, scheme: 'sasl', id: ME }, { perms: PERM.ALL, scheme: 'sasl', id: 'bob' }]);
    t.is((await bob.getData('/k/princ/ro')).data.toString(), 'ro');
  } finally {
    bob.close();
  }

  // plain → Kerberos: the target session is zkmig@ZKMIG.TEST, which /p/ro does not let create children:
  // the copy creates it with an extra sasl:zkmig@ZKMIG.TEST grant and sets its own ACL last.
  const p = await ZkSession.connect(plain.connectString, { sessionTimeoutMs: 10000 });
  try {
    await createRaw(p, '/p', Buffer.from('p'));
    // (A plain server takes no sasl: ACL; world-readable only does the same to the copy's target session.)
    await createRaw(p, '/p/ro', Buffer.from('ro'));
    await createRaw(p, '/p/ro/leaf', Buffer.from('leaf'));
    await setAcl(p, '/p/ro', [{ perms: PERM.READ, scheme: 'world', id: 'anyone' }]);
  } finally {
    p.close();
  }
  const toKrb = await cli(t, ['zk', 'copy', `${plain.connectString}/p`, `${krb.connectString}/p`, ...krbFlags(t.context.keytab, 'target-'), '--json']);
  t.is(toKrb.code, 0, toKrb.err);
  t.true(JSON.parse(toKrb.out).verify.ok);
  await withKrb(t, async (s) => {
    t.deepEqual(await aclOf(s, '/p/ro'), [{ perms: PERM.READ, scheme: 'world', id: 'anyone' }]);
    t.is((await s.getData('/p/ro/leaf')).data.toString(), 'leaf');
  });
});

test.serial('a missing keytab, an unknown principal, a keytab whose key was changed, an expired principal: exit 2, the side named, nothing written', async (t) => {
  const { kdc, krb, plain } = t.context;
  const p = await ZkSession.connect(plain.connectString, { sessionTimeoutMs: 10000 });
  try {
    await createRaw(p, '/bad', Buffer.from('x'));
    await createRaw(p, '/bad/child', Buffer.from('y'));
  } finally {
    p.close();
  }
  const copyTo = (flags: string[]): Promise<{ code: number; out: string; err: string }> =>
    cli(t, ['zk', 'copy', `${plain.connectString}/bad`, `${krb.connectString}/bad`, ...flags]);

  const missing = await copyTo(krbFlags(path.join(kdc.dir, 'no-such.keytab'), 'target-'));
  t.is(missing.code, 2);
  t.regex(missing.err, /cannot read Kerberos keytab .*no-such\.keytab \(--target-krb-keytab\): ENOENT/);

  const unknown = await copyTo(krbFlags(t.context.keytab, 'target-', 'nobody@ZKMIG.TEST'));
  t.is(unknown.code, 2);
  t.regex(unknown.err, /SASL GSSAPI login as nobody@ZKMIG.TEST to the target ZooKeeper .* failed: kinit .* failed/);

  // ktadd gives the principal new keys: the first keytab's key is then the wrong one.
  const stale = await kdc.addPrincipal('rotated');
  await kdc.keytab('rotated');
  const rotated = await copyTo(krbFlags(stale, 'target-', 'rotated@ZKMIG.TEST'));
  t.is(rotated.code, 2);
  t.regex(rotated.err, /SASL GSSAPI login as rotated@ZKMIG.TEST to the target ZooKeeper .* failed: .*its key was changed since the keytab was made/);

  const expiredKeytab = await kdc.addPrincipal('expired', ['-expire', '"2020-01-01 00:00:00 UTC"']);
  const expired = await copyTo(krbFlags(expiredKeytab, 'target-', 'expired@ZKMIG.TEST'));
  t.is(expired.code, 2);
  t.regex(expired.err, /SASL GSSAPI login as expired@ZKMIG.TEST to the target ZooKeeper .* failed: .*expired/);

  // And on the source side of a copy the other way.
  const src = await cli(t, ['zk', 'copy', `${krb.connectString}/k`, `${plain.connectString}/from-krb`, ...krbFlags(stale, 'source-', 'rotated@ZKMIG.TEST')]);
  t.is(src.code, 2);
  t.regex(src.err, /to the source ZooKeeper/);

  for (const r of [missing, unknown, rotated, expired, src]) t.notRegex(r.err, /^\s+at /m);
  t.is(await withKrb(t, (s) => s.exists('/bad')), null, 'nothing written to the Kerberos target');
  const pl = await ZkSession.connect(plain.connectString, { sessionTimeoutMs: 10000 });
  try {
    t.is(await pl.exists('/from-krb'), null, 'nothing written to the plain target');
  } finally {
    pl.close();
  }
});

test('a Kerberos session logs in again after a dropped connection (the copy engine\'s fast path) and keeps working on an enforce.auth server', async (t) => {
  const conn = await ZkConn.open(t.context.krb.connectString, { security: krbSecurity(t) });
  const ls = (): Promise<string[]> => new Promise((resolve, reject) => getChildren(conn.client, '/', (err, r) => (err ? reject(err) : resolve(r!.children))));
  try {
    t.true(conn.fast);
    t.true((await ls()).includes('zookeeper'));
    for (let i = 0; i < 2; i++) {
      conn.kick();
      const deadline = Date.now() + 60_000;
      for (;;) {
        try {
          t.true((await ls()).includes('zookeeper'));
          break;
        } catch (e) {
          // CONNECTION_LOSS while the client reconnects; anything else (a -124 close) fails the test.
          t.is((e as { code?: number }).code, -4, String(e));
          if (Date.now() > deadline) throw e;
          await conn.whenConnected();
        }
      }
    }
  } finally {
    conn.close();
  }
});
