import test from 'ava';
import { metaZkAuth } from '../../coordinator/lib/config-edit';
import { EnsembleAuth, judgeZkAuth } from '../../coordinator/lib/migrate/zk-auth-check';

/** The pure half of the ZooKeeper authentication checks (the probes run against real servers in migrate-zk-auth). */

const plain = (hosts: string): EnsembleAuth => ({ hosts, enforced: false, sasl: 'absent' });
const offered = (hosts: string): EnsembleAuth => ({ hosts, enforced: false, sasl: 'offered' });
const enforced = (hosts: string): EnsembleAuth => ({ hosts, enforced: true, sasl: 'offered' });
const none = metaZkAuth({});
const digest = metaZkAuth({ 'zookeeper.sasl_mechanisms_type': 'DIGEST-MD5', 'zookeeper.sasl_user_name': 'pegasus', 'zookeeper.sasl_password_file': '/etc/pw' });
const kerberos = metaZkAuth({ 'security.enable_zookeeper_kerberos': 'true' });

test('metaZkAuth reads v2.5.0 and master keys, and names settings Pegasus refuses', (t) => {
  t.deepEqual(none.mechanisms, []);
  t.deepEqual(digest, { mechanisms: ['DIGEST-MD5'], user: 'pegasus', serviceName: 'zookeeper', realm: '', problems: [] });
  t.deepEqual(kerberos.mechanisms, ['GSSAPI']);
  t.regex(metaZkAuth({ 'security.enable_zookeeper_kerberos': 'true', 'zookeeper.sasl_mechanisms_type': 'DIGEST-MD5', 'zookeeper.sasl_user_name': 'u', 'zookeeper.sasl_password_file': '/p' }).problems.join(), /lacks GSSAPI/);
  t.regex(metaZkAuth({ 'zookeeper.sasl_mechanisms_type': 'PLAIN' }).problems.join(), /GSSAPI or DIGEST-MD5 only/);
  t.deepEqual(metaZkAuth({ 'zookeeper.sasl_mechanisms_type': 'DIGEST-MD5' }).problems.length, 2);
});

test('judgeZkAuth: each refusal and warning, and a clean pass', (t) => {
  const ok = judgeZkAuth(digest, enforced('old:1'), enforced('new:1'), 0, { target: true, other: true });
  t.deepEqual(ok, { problems: [], warnings: [] });
  t.regex(judgeZkAuth(none, plain('old:1'), enforced('new:1'), 0, { target: true, other: false }).problems.join('\n'), /requires SASL .* metas would not start/);
  t.regex(judgeZkAuth(digest, offered('old:1'), plain('new:1')).problems.join('\n'), /offers no SASL login/);
  t.regex(judgeZkAuth(none, plain('old:1'), plain('new:1'), 3).problems.join('\n'), /3 znode\(s\) of the tree have sasl: ACLs/);
  t.regex(judgeZkAuth(kerberos, offered('old:1'), offered('new:1')).warnings.join('\n'), /zkmig has no Kerberos login to check that it accepts GSSAPI/);
  const down = judgeZkAuth(digest, enforced('old:1'), offered('new:1'), 0, { target: true, other: true });
  t.deepEqual(down.problems, []);
  t.regex(down.warnings.join('\n'), /old ensemble old:1 requires SASL .* new:1 does not/);
  const creds = judgeZkAuth(digest, enforced('old:1'), enforced('new:1'));
  t.regex(creds.problems.join('\n'), /new ensemble new:1 requires SASL and zkmig has no login for it: set zk_new_sasl_user/);
  t.regex(creds.problems.join('\n'), /old ensemble old:1 requires SASL and zkmig has no login for it: set zk_sasl_user/);
  t.regex(judgeZkAuth(digest, plain('old:1'), { hosts: 'new:1', enforced: undefined, sasl: undefined, error: 'no answer' }).warnings.join('\n'), /could not tell .*\(no answer\)/);
});

test('judgeZkAuth with Kerberos metas: a DIGEST-MD5 ensemble or a refused Kerberos login refuses the migration; an accepted one passes', (t) => {
  const krbEnsemble = (hosts: string, gssapi?: EnsembleAuth['gssapi']): EnsembleAuth => ({ hosts, enforced: true, sasl: 'offered', digest: false, ...(gssapi ? { gssapi } : {}) });
  const login = { target: true, other: true };
  t.deepEqual(judgeZkAuth(kerberos, krbEnsemble('old:1', { ok: true }), krbEnsemble('new:1', { ok: true }), 0, login), { problems: [], warnings: [] });
  const digestTarget = judgeZkAuth(kerberos, krbEnsemble('old:1'), { hosts: 'new:1', enforced: true, sasl: 'offered', digest: true }, 0, login);
  t.regex(digestTarget.problems.join('\n'), /metas log in with GSSAPI .* new:1 runs SASL DIGEST-MD5 .* would not start/);
  const refused = judgeZkAuth(kerberos, krbEnsemble('old:1'), krbEnsemble('new:1', { ok: false, error: 'kinit failed' }), 0, login);
  t.regex(refused.problems.join('\n'), /zkmig's own Kerberos login to the new ensemble new:1 failed \(kinit failed\)/);
  const unchecked = judgeZkAuth(kerberos, krbEnsemble('old:1'), krbEnsemble('new:1'), 0, login);
  t.deepEqual(unchecked.problems, []);
  t.regex(unchecked.warnings.join('\n'), /zkmig has no Kerberos login .* principal is zookeeper\/<host>/);
  // DIGEST-MD5 metas against a Kerberos ensemble (refused before any challenge).
  t.regex(judgeZkAuth(digest, krbEnsemble('old:1'), krbEnsemble('new:1'), 0, login).problems.join('\n'), /refused a DIGEST-MD5 login before any challenge/);
  t.regex(judgeZkAuth(kerberos, krbEnsemble('old:1'), krbEnsemble('new:1')).problems.join('\n'), /zk_new_krb_principal and zk_new_krb_keytab/);
});
