import test from 'ava';
import { PreconditionError } from '../../shared/errors';
import { migrationAclGuard } from '../../coordinator/lib/migrate/acl-guard';
import { aclCheckOf } from '../../coordinator/lib/migrate/preflight';

const open = { perms: 31, scheme: 'world', id: 'anyone' };
const masked = { perms: 31, scheme: 'digest', id: 'alice:x' };
const digest = { perms: 31, scheme: 'digest', id: 'alice:HmCXGgAWGhmuQkqOyvYhhVwdnhE=' };
const sasl = { perms: 31, scheme: 'sasl', id: 'pegasus' };

test('the pre-copy refuses a masked digest ACL, naming the node and the inventory fix; a real digest id passes', (t) => {
  const guard = migrationAclGuard({ target: 'zk9:2181' });
  const e = guard('/pegasus/c/apps/1', [open, masked]);
  t.true(e instanceof PreconditionError);
  t.regex(e!.message, /digest ACL of \/pegasus\/c\/apps\/1 masked as "user:x" .*stopped before writing that node.*zk_sasl_\* or zk_krb_\*.*ADMIN on that node/);
  t.is(guard('/pegasus/c/apps/1', [open, digest]), undefined);
  t.is(guard('/pegasus/c', [open]), undefined);
});

test('a sasl: ACL is refused only when the new ensemble offers no SASL login', (t) => {
  t.is(migrationAclGuard({ target: 'zk9:2181' })('/p/a', [sasl]), undefined);
  t.is(migrationAclGuard({ target: 'zk9:2181', targetSaslAbsent: false })('/p/a', [sasl]), undefined);
  const e = migrationAclGuard({ target: 'zk9:2181', targetSaslAbsent: true })('/p/a', [open, sasl]);
  t.regex(e!.message, /\/p\/a has a sasl: ACL, which the new ensemble zk9:2181 cannot honour \(it offers no SASL login\)/);
  t.is(migrationAclGuard({ target: 'zk9:2181', targetSaslAbsent: true })('/p/a', [open]), undefined);
});

test('who checks ACLs: the preflight only when the copy runs inside the freeze (--no-precopy); nobody for methods that copy no ACL', (t) => {
  t.is(aclCheckOf({ method: 'copy', precopy: true }), 'copy');
  t.is(aclCheckOf({ method: 'copy', precopy: false }), 'preflight');
  t.is(aclCheckOf({ method: 'recover', precopy: true }), 'none');
  t.is(aclCheckOf({ method: 'reconfig', precopy: false }), 'none');
});
