/**
 * Issue 20: a migration by copy between two secured ensembles, in the sandbox (`sandbox up
 * --secure`): both ZooKeepers (real 3.8) require SASL DIGEST-MD5 (enforce.auth.enabled=true), the
 * simulated metas log in with `[zookeeper] sasl_*` as Pegasus master does, and zkmig logs in with
 * the inventory's zk_sasl_* variables for every session it opens (preflight, run lock, copy,
 * source checks).
 */
import anyTest, { TestFn } from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SANDBOX_SASL_USER } from '../../coordinator/lib/sandbox/up';
import { withZkSecurity, ZkSession } from '../../shared/zk/client';
import type { ZkSecurity } from '../../shared/zk/security';
import { cli, currentZk, Fleet, startFleet, treeFingerprint } from './migrate-support';

const test = anyTest as TestFn<{ fleet: Fleet; login: ZkSecurity }>;

test.before(async (t) => {
  const fleet = await startFleet('zkmig-mig-secure-', { secure: true });
  const password = fs.readFileSync(path.join(fleet.info.dir, 'zk-sasl', `${SANDBOX_SASL_USER}.pw`), 'utf8').split('\n')[0]!;
  t.context = { fleet, login: { sasl: { mechanism: 'DIGEST-MD5', user: SANDBOX_SASL_USER, password } } };
});

test.after.always(async (t) => {
  await t.context.fleet?.close();
});

test('sandbox up --secure, then migrate by copy: the metas end on the new ensemble, the tree copied, both ensembles refusing plain sessions', async (t) => {
  const { fleet: f, login } = t.context;
  t.true(f.info.secure);
  // Both ensembles really enforce SASL: a plain session's first request is refused.
  for (const hosts of [f.info.oldZk, f.info.newZk]) {
    const s = await ZkSession.connect(hosts, { sessionTimeoutMs: 5000, security: { plain: true } });
    try {
      const e = await t.throwsAsync(s.exists('/'));
      t.regex(e!.message, /SESSIONCLOSEDREQUIRESASLAUTH/);
    } finally {
      s.close();
    }
  }
  const asPegasus = <T>(fn: () => Promise<T>): Promise<T> => withZkSecurity(() => login, fn);
  const before = await asPegasus(() => treeFingerprint(f.info.oldZk, f.info.clusterRoot));
  t.true(before.exists);

  const r = await cli(f, ['migrate', '--cluster', f.info.cluster, '--to', f.info.newZk, '--method', 'copy', '--yes']);
  t.is(r.code, 0, r.out + r.err);
  t.is(await currentZk(f), f.info.newZk);
  const after = await asPegasus(() => treeFingerprint(f.info.newZk, f.info.clusterRoot));
  t.true(after.exists);
  t.true(after.nodes >= before.nodes - before.ephemeral.length, `${after.nodes} nodes on the new ensemble, ${before.nodes} on the old`);
  const audit = await cli(f, ['audit', '--cluster', f.info.cluster]);
  t.notRegex(audit.out, /zk-auth/);
});
