/**
 * Security finding 15 (docs/reliability.md): `zk rm -r --yes` on a tree a live session uses (here a held Pegasus
 * leader lock on a real ZooKeeper) is refused, deletes nothing, and goes ahead only with --force.
 */
import anyTest, { TestFn } from 'ava';
import { holdLeaderLock, seedPegasusTree } from '../../coordinator/lib/zk';
import { startZk, ZkEnsemble } from '../harness/zookeeper';
import { listAll, withSession, zkmig } from './zk-helpers';

const test = anyTest as TestFn<{ a: ZkEnsemble; cleanup: () => Promise<void> }>;

test.before(async (t) => {
  const a = await startZk();
  t.context = { a: a.zk, cleanup: a.cleanup };
  await seedPegasusTree(a.zk.connectString, { root: '/pegasus/live', apps: 2, partitions: 2 });
});

test.after.always(async (t) => {
  await t.context.cleanup?.();
});

test.serial('rm -r --yes refuses a tree with a live ephemeral node and deletes nothing; --force deletes it', async (t) => {
  const hosts = t.context.a.connectString;
  const lock = await holdLeaderLock(hosts, { root: '/pegasus/live' }, '10.0.0.5:34601');
  try {
    const before = await withSession(hosts, (s) => listAll(s, '/pegasus/live'));
    const r = await zkmig(['zk', 'rm', '-r', '--yes', `${hosts}/pegasus/live`]);
    t.is(r.code, 2, r.out + r.err);
    t.regex(r.err, /refusing to delete \/pegasus\/live: it holds 1 live ephemeral node/);
    t.deepEqual(await withSession(hosts, (s) => listAll(s, '/pegasus/live')), before, 'nothing deleted');
    const forced = await zkmig(['zk', 'rm', '-r', '--yes', '--force', `${hosts}/pegasus/live`]);
    t.is(forced.code, 0, forced.err);
    t.regex(forced.out, /\(1 ephemeral\)/);
  } finally {
    lock.release();
  }
});
