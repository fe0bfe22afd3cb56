import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isInvalidInput } from '../../shared/errors';
import { parseInventory, resolveInventory } from '../../coordinator/lib/inventory';
import { runZkSecurity } from '../../coordinator/lib/migrate/zk-security';
import { spawnSync } from 'node:child_process';
import { sweepStaleCcaches } from '../../shared/zk/gssapi';

/** zk_* / zk_new_* inventory variables: the coordinator's own ZooKeeper TLS and SASL during a migration. */

const GOOD_VARS = ['[all:vars]', 'meta_config=/c.ini', 'pegasus_shell=run.sh shell --cluster {meta_servers}', 'agent_ca_file=/ca', 'agent_cert_file=/cert', 'agent_key_file=/key'];
const resolve = (lines: string[], file = '/etc/zkmig/inv.ini') => resolveInventory(parseInventory(lines.join('\n'), file, 'ini'));

test('zk_* and zk_new_* resolve per cluster, relative paths against the inventory directory', (t) => {
  const inv = resolve([...GOOD_VARS, 'zk_sasl_user=pegasus', 'zk_sasl_password_file=secrets/zk.pw', 'zk_new_tls_ca_file=/pki/ca.pem', 'zk_new_tls_cert_file=c.pem', 'zk_new_tls_key_file=k.pem', 'zk_new_tls_server_name=zk.example.com', '[c1]', 'm1', 'm2']);
  t.deepEqual(inv.clusters[0]!.zk, {
    all: { saslUser: 'pegasus', saslPasswordFile: '/etc/zkmig/secrets/zk.pw' },
    target: { tlsCa: '/pki/ca.pem', tlsCert: '/etc/zkmig/c.pem', tlsKey: '/etc/zkmig/k.pem', tlsServerName: 'zk.example.com' },
  });
  t.deepEqual(inv.warnings, []);
});

test('a near-miss of a zk_* name is a "did you mean" warning', (t) => {
  const inv = resolve([...GOOD_VARS, 'zk_sasl_usr=pegasus', 'zk_new_tls_ca_fle=/ca', '[c1]', 'm1']);
  t.deepEqual(inv.warnings, [
    '/etc/zkmig/inv.ini:7: group "all": unknown variable "zk_sasl_usr" (did you mean zk_sasl_user?); zkmig ignores it',
    '/etc/zkmig/inv.ini:8: group "all": unknown variable "zk_new_tls_ca_fle" (did you mean zk_new_tls_ca_file?); zkmig ignores it',
  ]);
});

test('pairs go together, a user name is one word, and every meta of a cluster agrees', (t) => {
  for (const [lines, re] of [
    [['zk_sasl_user=pegasus'], /zk_sasl_user and zk_sasl_password_file go together/],
    [['zk_new_tls_cert_file=/c.pem'], /zk_new_tls_cert_file and zk_new_tls_key_file go together/],
    [['zk_sasl_user=a b', 'zk_sasl_password_file=/pw'], /zk_sasl_user "a b" must be a name without blanks/],
  ] as const) {
    const e = t.throws(() => resolve([...GOOD_VARS, ...lines, '[c1]', 'm1']));
    t.true(isInvalidInput(e));
    t.regex(e!.message, re);
  }
  const e = t.throws(() => resolve([...GOOD_VARS, '[c1]', 'm1 zk_sasl_user=a zk_sasl_password_file=/pw', 'm2']));
  t.regex(e!.message, /cluster c1: the zk_\* \/ zk_new_\* variables must be the same for every meta of a cluster/);
});

test('runZkSecurity: zk_new_* for --to, zk_* elsewhere; an unreadable password file is bad input naming the variable', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkmig-invsec-'));
  try {
    fs.writeFileSync(path.join(dir, 'old.pw'), 'old-secret\n');
    fs.writeFileSync(path.join(dir, 'new.pw'), 'new-secret\n');
    const inv = resolve([...GOOD_VARS, 'zk_sasl_user=old', 'zk_sasl_password_file=old.pw', 'zk_new_sasl_user=new', 'zk_new_sasl_password_file=new.pw', '[c1]', 'm1'], path.join(dir, 'inv.ini'));
    const s = runZkSecurity(inv.clusters[0]!, 'zk2:2181,zk1:2181');
    t.like(s.resolve('zk1:2181, zk2:2181'), { side: 'target', sasl: { user: 'new', password: 'new-secret' } });
    t.like(s.resolve('old1:2181'), { side: 'old', sasl: { user: 'old', password: 'old-secret' } });
    t.deepEqual(s.saslFor, { target: true, other: true });
    const only = resolve([...GOOD_VARS, 'zk_sasl_user=old', 'zk_sasl_password_file=old.pw', '[c1]', 'm1'], path.join(dir, 'inv.ini'));
    t.like(runZkSecurity(only.clusters[0]!, 'zk1:2181').resolve('zk1:2181'), { side: 'target', sasl: { user: 'old' } });
    const missing = resolve([...GOOD_VARS, 'zk_new_sasl_user=x', 'zk_new_sasl_password_file=nope.pw', '[c1]', 'm1'], path.join(dir, 'inv.ini'));
    const e = t.throws(() => runZkSecurity(missing.clusters[0]!, 'zk1:2181'));
    t.true(isInvalidInput(e));
    t.regex(e!.message, /cannot read SASL password file .*nope\.pw \(inventory variable zk_new_sasl_password_file\): ENOENT/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('zk_krb_principal / zk_krb_keytab (and zk_new_*): Kerberos for the coordinator, paired, exclusive with DIGEST-MD5, near-misses warned', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkmig-invkrb-'));
  try {
    fs.writeFileSync(path.join(dir, 'zkmig.keytab'), 'not really a keytab, but not empty');
    const inv = resolve([...GOOD_VARS, 'zk_krb_principal=zkmig@EXAMPLE.COM', 'zk_krb_keytab=zkmig.keytab', 'zk_new_krb_principl=x', '[c1]', 'm1'], path.join(dir, 'inv.ini'));
    t.deepEqual(inv.clusters[0]!.zk, { all: { krbPrincipal: 'zkmig@EXAMPLE.COM', krbKeytab: path.join(dir, 'zkmig.keytab') } });
    t.deepEqual(inv.warnings, [`${path.join(dir, 'inv.ini')}:9: group "all": unknown variable "zk_new_krb_principl" (did you mean zk_new_krb_principal?); zkmig ignores it`]);
    const s = runZkSecurity(inv.clusters[0]!, 'zk1:2181');
    t.like(s.resolve('zk1:2181'), { side: 'target', sasl: { mechanism: 'GSSAPI', user: 'zkmig@EXAMPLE.COM', principal: 'zkmig@EXAMPLE.COM', keytab: path.join(dir, 'zkmig.keytab') } });
    t.deepEqual(s.saslFor, { target: true, other: true });

    const missing = resolve([...GOOD_VARS, 'zk_new_krb_principal=zkmig@EXAMPLE.COM', 'zk_new_krb_keytab=nope.keytab', '[c1]', 'm1'], path.join(dir, 'inv.ini'));
    const e = t.throws(() => runZkSecurity(missing.clusters[0]!, 'zk1:2181'));
    t.true(isInvalidInput(e));
    t.regex(e!.message, /cannot read Kerberos keytab .*nope\.keytab \(inventory variable zk_new_krb_keytab\): ENOENT/);
    const noRealm = resolve([...GOOD_VARS, 'zk_krb_principal=zkmig', 'zk_krb_keytab=zkmig.keytab', '[c1]', 'm1'], path.join(dir, 'inv.ini'));
    t.regex(t.throws(() => runZkSecurity(noRealm.clusters[0]!, 'zk1:2181'))!.message, /inventory variable zk_krb_principal "zkmig" is not a Kerberos principal with its realm/);
    // zk_krb_service: the service name of the servers' principals, checked like the flag.
    const svc = resolve([...GOOD_VARS, 'zk_krb_principal=zkmig@EXAMPLE.COM', 'zk_krb_keytab=zkmig.keytab', 'zk_krb_service=zk', '[c1]', 'm1'], path.join(dir, 'inv.ini'));
    t.like(runZkSecurity(svc.clusters[0]!, 'zk1:2181').resolve('zk0:2181'), { sasl: { mechanism: 'GSSAPI', service: 'zk' } });
    const badSvc = resolve([...GOOD_VARS, 'zk_krb_principal=zkmig@EXAMPLE.COM', 'zk_krb_keytab=zkmig.keytab', 'zk_krb_service=zoo/keeper', '[c1]', 'm1'], path.join(dir, 'inv.ini'));
    t.regex(t.throws(() => runZkSecurity(badSvc.clusters[0]!, 'zk1:2181'))!.message, /inventory variable zk_krb_service "zoo\/keeper" is not a Kerberos service name/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  for (const [lines, re] of [
    [['zk_krb_principal=zkmig@EXAMPLE.COM'], /zk_krb_principal and zk_krb_keytab go together/],
    [['zk_new_krb_service=zk'], /zk_new_krb_service needs zk_new_krb_principal and zk_new_krb_keytab/],
    [['zk_new_krb_principal=a@B', 'zk_new_krb_keytab=/k', 'zk_new_sasl_user=a', 'zk_new_sasl_password_file=/pw'], /zk_new_krb_principal and zk_new_sasl_user exclude each other/],
  ] as const) {
    const e = t.throws(() => resolve([...GOOD_VARS, ...lines, '[c1]', 'm1']));
    t.true(isInvalidInput(e));
    t.regex(e!.message, re);
  }
});

test('sweepStaleCcaches removes the ticket caches of dead zkmig processes only', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkmig-ccsweep-'));
  try {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout);
    fs.mkdirSync(path.join(dir, `zkmig-krb5cc-${deadPid}-abc`));
    fs.writeFileSync(path.join(dir, `zkmig-krb5cc-${deadPid}-abc`, 'tkt'), 'x');
    fs.mkdirSync(path.join(dir, `zkmig-krb5cc-${process.pid}-def`));
    fs.mkdirSync(path.join(dir, 'zkmig-krb5cc-old-style'));
    t.is(sweepStaleCcaches(dir), 1);
    t.deepEqual(fs.readdirSync(dir).sort(), [`zkmig-krb5cc-${process.pid}-def`, 'zkmig-krb5cc-old-style'].sort());
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
