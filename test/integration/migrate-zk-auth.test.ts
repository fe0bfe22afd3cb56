/**
 * ZooKeeper authentication before a migration (issue 20), against real servers: the sandbox fleet
 * (plaintext old and new ensembles, agents, simulated metas) plus a ZooKeeper 3.8 that enforces
 * SASL DIGEST-MD5 (enforce.auth.enabled=true) and one that offers SASL without enforcing it.
 * `plan` refuses a new ensemble the metas could not log in to, `audit` reports metas that log in
 * differently, and nothing is written anywhere. The migration's copy guard refuses a source `sasl:`
 * ACL when the new ensemble offers no SASL (acl-guard.ts), with the probe that tells it.
 */
import anyTest, { TestFn } from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { probeEnsembleAuth } from '../../coordinator/lib/migrate/zk-auth-check';
import { ZkSession } from '../../shared/zk/client';
import { Kdc } from '../harness/kdc';
import { startSecureZk, ZkEnsemble } from '../harness/zookeeper';
import { cli, Fleet, startFleet, treeFingerprint, withZk } from './migrate-support';
import { migrationAclGuard } from '../../coordinator/lib/migrate/acl-guard';
import { copyTree } from '../../coordinator/lib/zk/copy';
import { PERM } from '../../coordinator/lib/zk/acl';
import { PreconditionError } from '../../shared/errors';
import { aclOf, createRaw } from './zk-helpers';

interface Ctx {
  fleet: Fleet;
  enforced: ZkEnsemble;
  offered: ZkEnsemble;
  /** Kerberos (GSSAPI, enforced) against a real MIT KDC on loopback; zkmig@ZKMIG.TEST's keytab. */
  krb: ZkEnsemble;
  kdc: Kdc;
  keytab: string;
  cleanups: (() => Promise<void>)[];
}
const test = anyTest as TestFn<Ctx>;
const USERS = { pegasus: 'pegasus-secret' };

test.before(async (t) => {
  // One after the other: on a loaded machine five JVMs starting at once can miss their start deadline.
  const fleet = await startFleet('zkmig-mig-auth-');
  t.context = { fleet, cleanups: [() => fleet.close()] } as unknown as Ctx;
  const kdc = await Kdc.start();
  t.context.cleanups.push(() => kdc.cleanup());
  const serverKeytab = await kdc.addPrincipal('zookeeper/localhost');
  const keytab = await kdc.addPrincipal('zkmig');
  // The in-process CLI's kinit and libgssapi read the test realm's krb5.conf.
  process.env.KRB5_CONFIG = kdc.krb5Conf;
  const [enforced, offered, krb] = await Promise.all([
    startSecureZk({ saslUsers: USERS }),
    startSecureZk({ saslUsers: USERS, enforce: false }),
    startSecureZk({ kerberos: { keytab: serverKeytab, principal: kdc.principal('zookeeper/localhost'), krb5Conf: kdc.krb5Conf } }),
  ]);
  t.context = { fleet, enforced: enforced.zk, offered: offered.zk, krb: krb.zk, kdc, keytab, cleanups: [enforced.cleanup, offered.cleanup, krb.cleanup, () => kdc.cleanup(), () => fleet.close()] };
});

test.after.always(async (t) => {
  for (const c of t.context.cleanups ?? []) await c();
});

async function withSaslSession<T>(hosts: string, f: (s: ZkSession) => Promise<T>): Promise<T> {
  const s = await ZkSession.connect(hosts, { sessionTimeoutMs: 5000, security: { sasl: { mechanism: 'DIGEST-MD5', user: 'pegasus', password: USERS.pegasus } } });
  try {
    return await f(s);
  } finally {
    s.close();
  }
}

const plan = (f: Fleet, to: string): string[] => ['plan', '--cluster', f.info.cluster, '--to', to, '--method', 'copy'];

/** Append SASL settings to the configs of `hosts` (the metas read them only at start); returns a restore function. */
function withSasl(f: Fleet, hosts: string[], user = 'pegasus', keys = `sasl_mechanisms_type = DIGEST-MD5\nsasl_user_name = ${user}\nsasl_password_file = /etc/pegasus/zk.pw`): () => void {
  const saved = new Map<string, string>();
  for (const m of f.cluster.metas.filter((x) => hosts.includes(x.name))) {
    const text = fs.readFileSync(m.metaConfig, 'utf8');
    saved.set(m.metaConfig, text);
    const body = text.replace(/^\[zookeeper\]\s*$/m, `[zookeeper]\n${keys}`);
    if (body === text) throw new Error(`no [zookeeper] section in ${m.metaConfig}`);
    fs.writeFileSync(m.metaConfig, body);
  }
  return () => {
    for (const [file, text] of saved) fs.writeFileSync(file, text);
  };
}

test.serial('the probe tells plain, SASL-offering and SASL-enforcing ensembles apart', async (t) => {
  const { fleet, enforced, offered } = t.context;
  t.like(await probeEnsembleAuth(fleet.info.newZk), { enforced: false, sasl: 'absent' });
  t.like(await probeEnsembleAuth(offered.connectString), { enforced: false, sasl: 'offered' });
  t.like(await probeEnsembleAuth(enforced.connectString), { enforced: true, sasl: 'offered' });
});

test.serial('a sasl: ACL in the source: the migration copy guard refuses it before writing it when the new ensemble offers no SASL (as probed), and copies it exactly when the new ensemble offers SASL', async (t) => {
  const { fleet, enforced, offered } = t.context;
  const sasl = { sasl: { mechanism: 'DIGEST-MD5' as const, user: 'pegasus', password: USERS.pegasus } };
  const only = [{ perms: PERM.ALL, scheme: 'sasl', id: 'pegasus' }];
  await withSaslSession(offered.connectString, async (s) => {
    await createRaw(s, '/acl-src', Buffer.from('root'));
    await createRaw(s, '/acl-src/open', Buffer.from('o'));
    await createRaw(s, '/acl-src/open/sasl', Buffer.from('s'), only);
  });
  // What the preflight computes (preflight.ts: targetSaslAbsent), then the pre-copy's guard.
  const copy = async (target: string, targetSecurity?: typeof sasl): Promise<unknown> => {
    const probe = await probeEnsembleAuth(target);
    return copyTree({
      source: `${offered.connectString}/acl-src`,
      target: `${target}/acl-dst`,
      sourceSecurity: sasl,
      ...(targetSecurity ? { targetSecurity } : {}),
      sourceAclsChecked: true,
      aclGuard: migrationAclGuard({ target, targetSaslAbsent: probe.error === undefined && probe.sasl === 'absent' }),
      readSessions: 1,
    });
  };
  const plain = fleet.info.newZk;
  const e = await t.throwsAsync(copy(plain), { instanceOf: PreconditionError });
  t.regex(e!.message, new RegExp(`/acl-src/open/sasl has a sasl: ACL, which the new ensemble ${plain.replace(/\./g, '\\.')} cannot honour \\(it offers no SASL login\\)`));
  await withZk(plain, async (s) => t.is(await s.exists('/acl-dst/open/sasl'), null, 'the refused node was not written'));
  await withZk(plain, async (s) => {
    for (const p of ['/acl-dst/open', '/acl-dst']) await s.remove(p).catch(() => undefined);
  });

  const done = (await copy(enforced.connectString, sasl)) as { created: number };
  t.is(done.created, 3);
  await withSaslSession(enforced.connectString, async (s) => t.deepEqual(await aclOf(s, '/acl-dst/open/sasl'), only));
});

test.serial('plan --to an ensemble that enforces SASL, metas without SASL settings: refused, naming the keys; nothing written', async (t) => {
  const { fleet: f, enforced } = t.context;
  const before = await treeFingerprint(f.info.oldZk, f.info.clusterRoot);
  const r = await cli(f, plan(f, enforced.connectString));
  t.is(r.code, 1, r.out + r.err);
  t.regex(r.err, /new ensemble .* requires SASL \(enforce\.auth\.enabled.*sasl_mechanisms_type.*would not start/s);
  // No stack trace, and the target's own read is a named problem too (SESSIONCLOSEDREQUIRESASLAUTH), not a crash.
  t.notRegex(r.err, /\n\s+at /);
  t.is((await treeFingerprint(f.info.oldZk, f.info.clusterRoot)).digest, before.digest);
  const s = await ZkSession.connect(enforced.connectString, { sessionTimeoutMs: 5000, security: { sasl: { mechanism: 'DIGEST-MD5', user: 'pegasus', password: USERS.pegasus } } });
  try {
    t.is(await s.exists(f.info.clusterRoot), null);
  } finally {
    s.close();
  }
});

test.serial('audit: metas that log in to ZooKeeper differently are an error naming each group; plan refuses too', async (t) => {
  const f = t.context.fleet;
  const [first, ...rest] = f.cluster.metas.map((m) => m.name);
  const restore = withSasl(f, [first!]);
  try {
    const r = await cli(f, ['audit', '--cluster', f.info.cluster, '--no-running']);
    t.is(r.code, 1, r.out + r.err);
    t.regex(r.out, /zk-auth-drift/);
    t.regex(r.out, new RegExp(`${first}: DIGEST-MD5 as "pegasus"; ${rest.join(', ')}: none`));
    const p = await cli(f, plan(f, f.info.newZk));
    t.is(p.code, 1, p.out + p.err);
    t.regex(p.err, /audit: the metas authenticate to ZooKeeper differently/);
  } finally {
    restore();
  }
});

test.serial('metas with SASL DIGEST-MD5: plan --to a plain ensemble is refused (no SASL login there); incomplete settings are an audit error', async (t) => {
  const f = t.context.fleet;
  const names = f.cluster.metas.map((m) => m.name);
  const restore = withSasl(f, names);
  try {
    const r = await cli(f, plan(f, f.info.newZk));
    t.is(r.code, 1, r.out + r.err);
    t.regex(r.err, /log in to ZooKeeper with DIGEST-MD5 as "pegasus" but the new ensemble .* offers no SASL login/);
    t.false((await treeFingerprint(f.info.newZk, f.info.clusterRoot)).exists);
  } finally {
    restore();
  }
  const restore2 = withSasl(f, names, '');
  try {
    const a = await cli(f, ['audit', '--cluster', f.info.cluster, '--no-running']);
    t.is(a.code, 1, a.out + a.err);
    t.regex(a.out, /zk-auth-incomplete/);
    t.regex(a.out, /sasl_user_name is empty/);
  } finally {
    restore2();
  }
});

/** A copy of the sandbox inventory with `vars` added to `all`. */
function inventoryWith(f: Fleet, vars: Record<string, string>): string {
  const doc = YAML.parse(fs.readFileSync(f.info.inventory, 'utf8')) as { all: { vars: Record<string, unknown> } };
  Object.assign(doc.all.vars, vars);
  const file = path.join(f.stateDir, '..', `inventory-${Object.keys(vars).join('-')}.yml`);
  fs.writeFileSync(file, YAML.stringify(doc));
  return file;
}

test.serial('inventory zk_new_sasl_*: zkmig logs in to the SASL-enforcing new ensemble and the plan passes; without them it names the variables', async (t) => {
  const { fleet: f, enforced } = t.context;
  const restore = withSasl(f, f.cluster.metas.map((m) => m.name));
  try {
    const bare = await cli(f, plan(f, enforced.connectString));
    t.is(bare.code, 1, bare.out + bare.err);
    t.regex(bare.err, /requires SASL and zkmig has no login for it: set zk_new_sasl_user and zk_new_sasl_password_file/);
    t.notRegex(bare.err, /would not start/); // the metas' own settings are fine here

    const pw = path.join(f.stateDir, '..', 'zk-new.pw');
    fs.writeFileSync(pw, `${USERS.pegasus}\n`, { mode: 0o600 });
    const inv = inventoryWith(f, { zk_new_sasl_user: 'pegasus', zk_new_sasl_password_file: pw });
    const ok = await cli(f, [...plan(f, enforced.connectString), '-i', inv]);
    t.is(ok.code, 0, ok.out + ok.err);
    t.regex(ok.out, /Plan: migrate cluster/);

    const wrong = path.join(f.stateDir, '..', 'zk-wrong.pw');
    fs.writeFileSync(wrong, 'not-the-password\n', { mode: 0o600 });
    const bad = await cli(f, [...plan(f, enforced.connectString), '-i', inventoryWith(f, { zk_new_sasl_user: 'pegasus', zk_new_sasl_password_file: wrong })]);
    t.is(bad.code, 1, bad.out + bad.err);
    t.regex(bad.err, /SASL DIGEST-MD5 login as "pegasus" to the target ZooKeeper .* failed/);

    const typo = await cli(f, ['inventory', '-i', inventoryWith(f, { zk_new_sasl_usr: 'pegasus' })]);
    t.regex(typo.out + typo.err, /unknown variable "zk_new_sasl_usr" \(did you mean zk_new_sasl_user\?\)/);
  } finally {
    restore();
  }
});

test.serial('metas with Kerberos ([zookeeper] sasl_mechanisms_type = GSSAPI): plan --to the Kerberos ensemble passes with zk_new_krb_*, names them without; --to a DIGEST-MD5 ensemble is refused', async (t) => {
  const { fleet: f, krb, enforced, keytab } = t.context;
  t.like(await probeEnsembleAuth(krb.connectString), { enforced: true, sasl: 'offered', digest: false });
  t.like(await probeEnsembleAuth(enforced.connectString), { enforced: true, sasl: 'offered', digest: true });
  const restore = withSasl(f, f.cluster.metas.map((m) => m.name), '', 'sasl_mechanisms_type = GSSAPI\nsasl_service_name = zookeeper');
  try {
    const bare = await cli(f, plan(f, krb.connectString));
    t.is(bare.code, 1, bare.out + bare.err);
    t.regex(bare.err, /requires SASL and zkmig has no login for it: .*zk_new_krb_principal and zk_new_krb_keytab/);

    const inv = inventoryWith(f, { zk_new_krb_principal: 'zkmig@ZKMIG.TEST', zk_new_krb_keytab: keytab });
    const ok = await cli(f, [...plan(f, krb.connectString), '-i', inv]);
    t.is(ok.code, 0, ok.out + ok.err);
    t.regex(ok.out, /Plan: migrate cluster/);
    t.notRegex(ok.out + ok.err, /cannot check|no Kerberos login/);

    // The DIGEST-MD5 ensemble answers a DIGEST-MD5 login with a challenge: Kerberos metas could not log in to it.
    const pw = path.join(f.stateDir, '..', 'zk-krb-digest.pw');
    fs.writeFileSync(pw, `${USERS.pegasus}\n`, { mode: 0o600 });
    const digest = await cli(f, [...plan(f, enforced.connectString), '-i', inventoryWith(f, { zk_new_sasl_user: 'pegasus', zk_new_sasl_password_file: pw })]);
    t.is(digest.code, 1, digest.out + digest.err);
    t.regex(digest.err, /metas log in with GSSAPI .* runs SASL DIGEST-MD5 .* would not start/s);
  } finally {
    restore();
  }
  // Metas that ask for a ticket to another service than the ensemble runs under would not log in:
  // zkmig's probe logs in for the metas' service name, so the plan is refused.
  const restore2 = withSasl(f, f.cluster.metas.map((m) => m.name), '', 'sasl_mechanisms_type = GSSAPI\nsasl_service_name = zk-other');
  try {
    const inv = inventoryWith(f, { zk_new_krb_principal: 'zkmig@ZKMIG.TEST', zk_new_krb_keytab: keytab });
    const other = await cli(f, [...plan(f, krb.connectString), '-i', inv]);
    t.is(other.code, 1, other.out + other.err);
    t.regex(other.err, /metas log in with GSSAPI \(service zk-other\).*zkmig's own Kerberos login .* failed/s);
  } finally {
    restore2();
  }
});
