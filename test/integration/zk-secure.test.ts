import anyTest, { TestFn } from 'ava';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { digestId, PERM } from '../../coordinator/lib/zk/acl';
import { ZkSession } from '../../shared/zk/client';
import { ZkConn } from '../../coordinator/lib/zk/conn';
import { getChildren } from '../../coordinator/lib/zk/wire';
import type { ZkSecurity } from '../../shared/zk/security';
import { makeTestPki, REPO_ROOT, TestPki } from '../harness/certs';
import { startSecureZk, ZkEnsemble } from '../harness/zookeeper';
import { aclOf, createRaw } from './zk-helpers';

/**
 * Secured ZooKeeper, real servers: ZooKeeper 3.8 with TLS on secureClientPort (client certificates
 * required) and SASL DIGEST-MD5 with enforce.auth.enabled=true / enforce.auth.schemes=sasl.
 */

interface Ctx {
  pki: TestPki;
  /** SASL-enforcing ensemble, plaintext port. */
  sasl: ZkEnsemble;
  /** Two ensembles with TLS (client certificate required) and enforced SASL. */
  a: ZkEnsemble;
  b: ZkEnsemble;
  files: string;
  cleanups: (() => Promise<void> | void)[];
}

const test = anyTest as TestFn<Ctx>;
const CLI = path.join(REPO_ROOT, 'dist', 'coordinator', 'cli.js');
const USERS = { bob: 'bob-secret', carol: 'carol-secret' };

test.before(async (t) => {
  const pki = makeTestPki();
  const tls = { key: pki.agent.key, cert: pki.agent.cert, ca: pki.ca };
  const [sasl, a, b] = await Promise.all([startSecureZk({ saslUsers: USERS }), startSecureZk({ tls, saslUsers: USERS }), startSecureZk({ tls, saslUsers: USERS })]);
  const files = fs.mkdtempSync(path.join(pki.dir, 'secrets-'));
  fs.writeFileSync(path.join(files, 'bob.pw'), `${USERS.bob}\n`, { mode: 0o600 });
  fs.writeFileSync(path.join(files, 'wrong.pw'), 'not-the-password\n', { mode: 0o600 });
  fs.writeFileSync(path.join(files, 'alice.auth'), 'alice:alice-pw\n', { mode: 0o600 });
  t.context = { pki, sasl: sasl.zk, a: a.zk, b: b.zk, files, cleanups: [sasl.cleanup, a.cleanup, b.cleanup, pki.cleanup] };
});

test.after.always(async (t) => {
  for (const c of t.context.cleanups ?? []) await c();
});

const secret = (t: { context: Ctx }, f: string): string => path.join(t.context.files, f);

function tlsFlags(t: { context: Ctx }, prefix = ''): string[] {
  const p = t.context.pki;
  return [`--${prefix}tls-ca`, p.ca, `--${prefix}tls-cert`, p.coordinator.cert, `--${prefix}tls-key`, p.coordinator.key];
}

function saslFlags(t: { context: Ctx }, prefix = '', pw = 'bob.pw'): string[] {
  return [`--${prefix}sasl-user`, 'bob', `--${prefix}sasl-password-file`, secret(t, pw)];
}

function security(t: { context: Ctx }): ZkSecurity {
  const p = t.context.pki;
  return {
    tls: { ca: fs.readFileSync(p.ca), cert: fs.readFileSync(p.coordinator.cert), key: fs.readFileSync(p.coordinator.key), serverName: false },
    sasl: { mechanism: 'DIGEST-MD5', user: 'bob', password: USERS.bob },
  };
}

/** The real CLI as a separate process: what an operator sees, stack traces included. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...env }, timeout: 90_000 }, (err, out, errText) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, out, err: errText });
    });
  });
}

test('zk ls against enforce.auth without SASL: a named error, exit 2, no stack trace (fast path)', async (t) => {
  const r = await cli(['zk', 'ls', `${t.context.sasl.connectString}/`, '--connect-timeout', '20000']);
  t.is(r.code, 2, r.err);
  t.regex(r.err, /SESSIONCLOSEDREQUIRESASLAUTH \(-124\)/);
  t.regex(r.err, /--sasl-user/);
  t.notRegex(r.err, /Unknown code|^\s+at /m);
});

test('the public-API session (ZkSession) gets the same named error from an enforce.auth server', async (t) => {
  const s = await ZkSession.connect(t.context.sasl.connectString, { sessionTimeoutMs: 10000 });
  try {
    const e = await t.throwsAsync(s.getChildren('/'));
    t.is((e as { zkCode?: number }).zkCode, -124);
    t.regex(e!.message, /SESSIONCLOSEDREQUIRESASLAUTH/);
  } finally {
    s.close();
  }
});

test('SASL DIGEST-MD5 from a password file: zk ls works; a wrong password is a clear error, exit 2', async (t) => {
  const ok = await cli(['zk', 'ls', `${t.context.sasl.connectString}/`, ...saslFlags(t)]);
  t.is(ok.code, 0, ok.err);
  t.regex(ok.out, /^\/ .*\[1 children\]/m);
  const bad = await cli(['zk', 'ls', `${t.context.sasl.connectString}/`, ...saslFlags(t, '', 'wrong.pw')]);
  t.is(bad.code, 2);
  t.regex(bad.err, /SASL DIGEST-MD5 login as "bob" to ZooKeeper .* failed: the server refused the credentials/);
  t.notRegex(bad.err, /^\s+at /m);
  const half = await cli(['zk', 'ls', `${t.context.sasl.connectString}/`, '--sasl-user', 'bob']);
  t.is(half.code, 2);
  t.regex(half.err, /--sasl-user and --sasl-password-file go together/);
});

test('TLS with a client certificate: ls works; an untrusted server certificate or a missing client certificate is refused with a named error', async (t) => {
  const ep = `${t.context.a.secureConnectString}/`;
  const ok = await cli(['zk', 'ls', ep, ...tlsFlags(t), ...saslFlags(t), '--tls-server-name', 'localhost']);
  t.is(ok.code, 0, ok.err);
  const untrusted = await cli(['zk', 'ls', ep, '--tls-ca', t.context.pki.otherCa, '--tls-cert', t.context.pki.coordinator.cert, '--tls-key', t.context.pki.coordinator.key, ...saslFlags(t)]);
  t.is(untrusted.code, 2);
  t.regex(untrusted.err, /TLS to ZooKeeper .* failed: the server certificate is not signed by a trusted CA/);
  const noCert = await cli(['zk', 'ls', ep, '--tls-ca', t.context.pki.ca, ...saslFlags(t)]);
  t.is(noCert.code, 2);
  t.regex(noCert.err, /TLS to ZooKeeper .* failed: the server requires a client certificate/);
  const wrongName = await cli(['zk', 'ls', ep, ...tlsFlags(t), ...saslFlags(t), '--tls-server-name', 'zk.example.com']);
  t.is(wrongName.code, 2);
  t.regex(wrongName.err, /does not name the expected host/);
});

test.serial('zk copy between two secured ensembles keeps sasl: and digest: ACLs, verified; a wrong target password names the target and writes nothing', async (t) => {
  const { a, b } = t.context;
  const sec = security(t);
  const alice = digestId('alice:alice-pw');
  const s = await ZkSession.connect(a.secureConnectString, { sessionTimeoutMs: 10000, security: sec, auth: 'alice:alice-pw' });
  try {
    await createRaw(s, '/sec', Buffer.from('root'));
    await createRaw(s, '/sec/bobs', Buffer.from('sasl only'), [{ perms: PERM.ALL, scheme: 'sasl', id: 'bob' }]);
    await createRaw(s, '/sec/bobs/child', Buffer.from('x'), [{ perms: PERM.READ | PERM.ADMIN, scheme: 'sasl', id: 'bob' }]);
    await createRaw(s, '/sec/alices', Buffer.from('digest'), [{ perms: PERM.ALL, scheme: 'digest', id: alice }, { perms: PERM.READ, scheme: 'sasl', id: 'bob' }]);
  } finally {
    s.close();
  }
  const wrong = await cli([
    'zk', 'copy', `${a.secureConnectString}/sec`, `${b.secureConnectString}/sec`,
    ...tlsFlags(t), ...saslFlags(t), '--target-sasl-user', 'bob', '--target-sasl-password-file', secret(t, 'wrong.pw'), ...tlsFlags(t, 'target-'),
    '--auth-file', secret(t, 'alice.auth'),
  ]);
  t.is(wrong.code, 2, wrong.out);
  t.regex(wrong.err, /SASL DIGEST-MD5 login as "bob" to the target ZooKeeper .* failed/);
  const tb = await ZkSession.connect(b.secureConnectString, { sessionTimeoutMs: 10000, security: sec, auth: 'alice:alice-pw' });
  t.is(await tb.exists('/sec'), null, 'nothing written to the target');

  const ok = await cli(['zk', 'copy', `${a.secureConnectString}/sec`, `${b.secureConnectString}/sec`, ...tlsFlags(t), ...saslFlags(t), '--auth-file', secret(t, 'alice.auth'), '--json']);
  t.is(ok.code, 0, ok.err);
  const summary = JSON.parse(ok.out);
  t.is(summary.created, 4);
  t.true(summary.verify.ok);
  try {
    t.deepEqual(await aclOf(tb, '/sec/bobs'), [{ perms: PERM.ALL, scheme: 'sasl', id: 'bob' }]);
    t.deepEqual(await aclOf(tb, '/sec/bobs/child'), [{ perms: PERM.READ | PERM.ADMIN, scheme: 'sasl', id: 'bob' }]);
    t.deepEqual(await aclOf(tb, '/sec/alices'), [
      { perms: PERM.ALL, scheme: 'digest', id: alice },
      { perms: PERM.READ, scheme: 'sasl', id: 'bob' },
    ]);
    t.is((await tb.getData('/sec/bobs/child')).data.toString(), 'x');
  } finally {
    tb.close();
  }
  const diff = await cli(['zk', 'diff', `${a.secureConnectString}/sec`, `${b.secureConnectString}/sec`, ...tlsFlags(t), ...saslFlags(t), '--auth-file', secret(t, 'alice.auth')]);
  t.is(diff.code, 0, diff.out + diff.err);
});

test('a SASL session logs in again after a dropped connection (fast path), and keeps working on an enforce.auth server', async (t) => {
  const conn = await ZkConn.open(t.context.sasl.connectString, { security: { sasl: { mechanism: 'DIGEST-MD5', user: 'bob', password: USERS.bob } } });
  const ls = (): Promise<string[]> =>
    new Promise((resolve, reject) => getChildren(conn.client, '/', (err, r) => (err ? reject(err) : resolve(r!.children))));
  try {
    t.true(conn.fast);
    t.deepEqual(await ls(), ['zookeeper']);
    for (let i = 0; i < 3; i++) {
      conn.kick();
      const deadline = Date.now() + 60_000;
      for (;;) {
        try {
          t.deepEqual(await ls(), ['zookeeper']);
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
