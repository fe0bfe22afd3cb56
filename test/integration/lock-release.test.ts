import anyTest, { TestFn } from 'ava';
import type { MetaHost, PegasusCluster } from '../../coordinator/lib/inventory';
import { leaderLockDir, lockOwner, releaseStoppedLeaderLock, ReleaseOptions } from '../../coordinator/lib/migrate/lock-release';
import { ZkSession, zk } from '../../shared/zk/client';
import { startZk, ZkEnsemble } from '../harness/zookeeper';

/**
 * The reconfig failover's lock release against a real ZooKeeper: the stopped leader's ephemeral
 * LOCKNODE goes (its session is still alive, as a stopped meta's is until timeout_ms), and nothing
 * else ever does.
 */
const test = anyTest as TestFn<{ zk: ZkEnsemble; cleanup: () => Promise<void> }>;

test.before(async (t) => {
  const z = await startZk();
  t.context = { zk: z.zk, cleanup: z.cleanup };
});

test.after.always(async (t) => {
  await t.context.cleanup?.();
});

function meta(name: string, port: number): MetaHost {
  return { name, address: '127.0.0.1', metaPort: port, metaAddress: `127.0.0.1:${port}` } as MetaHost;
}
const M0 = meta('m0', 34601);
const M1 = meta('m1', 34602);
const CLUSTER = { name: 'c', metas: [M0, M1] } as unknown as PegasusCluster;
const down = (): Promise<undefined> => Promise.resolve(undefined);

/** One session per "meta", each holding an EPHEMERAL_SEQUENTIAL LOCKNODE with its address, as lock_struct creates it. */
async function lockDirWith(t: { context: { zk: ZkEnsemble } }, root: string, holders: MetaHost[]): Promise<{ dir: string; sessions: ZkSession[]; nodes: string[] }> {
  const dir = leaderLockDir(root);
  const sessions: ZkSession[] = [];
  const nodes: string[] = [];
  const admin = await ZkSession.connect(t.context.zk.connectString, { sessionTimeoutMs: 30000 });
  await admin.mkdirp(dir);
  admin.close();
  for (const h of holders) {
    const s = await ZkSession.connect(t.context.zk.connectString, { sessionTimeoutMs: 30000 });
    sessions.push(s);
    nodes.push(await s.create(`${dir}/LOCKNODE`, Buffer.from(h.metaAddress), zk.CreateMode.EPHEMERAL_SEQUENTIAL));
  }
  return { dir, sessions, nodes };
}

function opts(t: { context: { zk: ZkEnsemble } }, dir: string, over: Partial<ReleaseOptions> = {}): ReleaseOptions {
  return { hosts: t.context.zk.connectString, lockDir: dir, cluster: CLUSTER, leader: M0, stillRunning: down, timeoutMs: 10000, ...over };
}

async function children(t: { context: { zk: ZkEnsemble } }, dir: string): Promise<string[]> {
  const s = await ZkSession.connect(t.context.zk.connectString, { sessionTimeoutMs: 10000 });
  try {
    return (await s.getChildren(dir)).sort();
  } finally {
    s.close();
  }
}

test('lockOwner: the smallest LOCKNODE sequence, other names ignored', (t) => {
  t.is(lockOwner(['x-LOCKNODE0000000007', 'LOCKNODE0000000003', 'junk', 'LOCKNODE']), 'LOCKNODE0000000003');
  t.is(lockOwner(['junk']), undefined);
});

test.serial("the stopped leader's node goes while its session lives; the follower's stays and now owns the lock", async (t) => {
  const { dir, sessions, nodes } = await lockDirWith(t, '/pegasus/a/lock', [M0, M1]);
  try {
    const r = await releaseStoppedLeaderLock(opts(t, dir));
    t.true('released' in r, JSON.stringify(r));
    t.deepEqual(await children(t, dir), [nodes[1]!.split('/').pop()!]);
  } finally {
    for (const s of sessions) s.close();
  }
});

test.serial('nothing is deleted while the leader may still run, when the owner is another meta, or when the owner is persistent', async (t) => {
  const { dir, sessions } = await lockDirWith(t, '/pegasus/b/lock', [M0, M1]);
  try {
    const before = await children(t, dir);
    const running = await releaseStoppedLeaderLock(opts(t, dir, { stillRunning: () => Promise.resolve('its meta port answers'), settleMs: 300 }));
    t.true('kept' in running && running.kept.includes('its meta port answers'), JSON.stringify(running));
    const other = await releaseStoppedLeaderLock(opts(t, dir, { leader: M1 }));
    t.true('kept' in other && other.kept.includes('not m1'), JSON.stringify(other));
    t.deepEqual(await children(t, dir), before);
  } finally {
    for (const s of sessions) s.close();
  }
  // A persistent LOCKNODE (copied from another ensemble by a careless tool) is the operator's to judge.
  const admin = await ZkSession.connect(t.context.zk.connectString, { sessionTimeoutMs: 10000 });
  const pdir = leaderLockDir('/pegasus/c/lock');
  try {
    await admin.mkdirp(pdir);
    await admin.create(`${pdir}/LOCKNODE0000000000`, Buffer.from(M0.metaAddress));
    const r = await releaseStoppedLeaderLock(opts(t, pdir));
    t.true('kept' in r && r.kept.includes('persistent'), JSON.stringify(r));
    t.deepEqual(await children(t, pdir), ['LOCKNODE0000000000']);
  } finally {
    admin.close();
  }
});

test.serial('an empty or missing lock directory is reported, not an error', async (t) => {
  const r = await releaseStoppedLeaderLock(opts(t, leaderLockDir('/pegasus/none/lock')));
  t.true('kept' in r && r.kept.includes('is gone'), JSON.stringify(r));
  const admin = await ZkSession.connect(t.context.zk.connectString, { sessionTimeoutMs: 10000 });
  try {
    await admin.mkdirp(leaderLockDir('/pegasus/empty/lock'));
  } finally {
    admin.close();
  }
  const e = await releaseStoppedLeaderLock(opts(t, leaderLockDir('/pegasus/empty/lock')));
  t.true('kept' in e && e.kept.includes('no LOCKNODE'), JSON.stringify(e));
});

test.serial('a leader whose port still answers for a moment after the stop is waited for, then released', async (t) => {
  const { dir, sessions } = await lockDirWith(t, '/pegasus/d/lock', [M0, M1]);
  try {
    let calls = 0;
    const r = await releaseStoppedLeaderLock(opts(t, dir, { stillRunning: () => Promise.resolve(++calls <= 2 ? 'its meta port answers' : undefined) }));
    t.true('released' in r, JSON.stringify(r));
    t.is(calls, 3);
  } finally {
    for (const s of sessions) s.close();
  }
});
