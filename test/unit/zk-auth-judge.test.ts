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
  t.regex(judgeZkAuth(kerberos, offered('old:1'), offered('new:1')).warnings.join('\n'), /cannot check Kerberos/);
  const down = judgeZkAuth(digest, enforced('old:1'), offered('new:1'), 0, { target: true, other: true });
  t.deepEqual(down.problems, []);
  t.regex(down.warnings.join('\n'), /old ensemble old:1 requires SASL .* new:1 does not/);
  const creds = judgeZkAuth(digest, enforced('old:1'), enforced('new:1'));
  t.regex(creds.problems.join('\n'), /new ensemble new:1 requires SASL and zkmig has no login for it: set zk_new_sasl_user/);
  t.regex(creds.problems.join('\n'), /old ensemble old:1 requires SASL and zkmig has no login for it: set zk_sasl_user/);
  t.regex(judgeZkAuth(digest, plain('old:1'), { hosts: 'new:1', enforced: undefined, sasl: undefined, error: 'no answer' }).warnings.join('\n'), /could not tell .*\(no answer\)/);
});
