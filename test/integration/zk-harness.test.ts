import anyTest, { TestFn } from 'ava';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fourLetter } from '../../coordinator/lib/zk-server';
import { ZkSession, zk } from '../../shared/zk/client';
import { waitFor } from '../harness/tmp';
import { startZk, ZkEnsemble } from '../harness/zookeeper';

const test = anyTest as TestFn<{ single: ZkEnsemble; quorum: ZkEnsemble; cleanups: (() => Promise<void>)[] }>;

test.before(async (t) => {
  const a = await startZk();
  const b = await startZk({ members: 3 });
  t.context = { single: a.zk, quorum: b.zk, cleanups: [a.cleanup, b.cleanup] };
});

test.after.always(async (t) => {
  for (const c of t.context.cleanups ?? []) await c();
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test.serial('a standalone server answers ruok and srvr', async (t) => {
  const port = t.context.single.members[0]!.clientPort;
  t.is(await fourLetter(port, 'ruok'), 'imok');
  t.is(await t.context.single.mode(1), 'standalone');
});

test.serial('round trip through node-zookeeper-client: create, get, set, ACL, multi, delete', async (t) => {
  const s = await ZkSession.connect(t.context.single.connectString, { sessionTimeoutMs: 5000 });
  try {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await s.mkdirp('/rt/a');
    await s.create('/rt/a/bin', bytes);
    const got = await s.getData('/rt/a/bin');
    t.true(got.data.equals(bytes));
    await s.setData('/rt/a/bin', Buffer.from('x'));
    t.is((await s.getData('/rt/a/bin')).data.toString(), 'x');
    const acls = await s.getACL('/rt/a/bin');
    t.is(acls[0]?.id.scheme, 'world');
    await s.commit(s.client.transaction().create('/rt/m1', Buffer.from('1')).create('/rt/m1/c', Buffer.from('2')));
    t.deepEqual((await s.getChildren('/rt')).sort(), ['a', 'm1']);
    // A failing multi applies nothing.
    await t.throwsAsync(() => s.commit(s.client.transaction().create('/rt/m2').create('/rt/m1')));
    t.is(await s.exists('/rt/m2'), null);
    const eph = await s.create('/rt/e', Buffer.alloc(0), zk.CreateMode.EPHEMERAL_SEQUENTIAL);
    t.regex(eph, /^\/rt\/e\d{10}$/);
    const st = await s.exists(eph);
    t.not(st?.ephemeralOwner.readBigInt64BE(0), 0n);
    await s.remove('/rt/m1/c');
    t.is(await s.exists('/rt/m1/c'), null);
  } finally {
    s.close();
  }
});

test.serial('a 3-member quorum elects a leader, survives kill -9 of it, and the member comes back', async (t) => {
  const q = t.context.quorum;
  const modes = await Promise.all([1, 2, 3].map((i) => q.mode(i)));
  t.is(modes.filter((m) => m === 'leader').length, 1);
  t.is(modes.filter((m) => m === 'follower').length, 2);
  const leader = modes.indexOf('leader') + 1;
  const s = await ZkSession.connect(q.connectString, { sessionTimeoutMs: 10000 });
  try {
    await s.create('/before', Buffer.from('1'));
    await q.killMember(leader);
    t.is(await q.mode(leader), undefined);
    await waitFor('a new leader', async () => (await Promise.all([1, 2, 3].filter((i) => i !== leader).map((i) => q.mode(i)))).includes('leader'));
    await waitFor('a write on the surviving quorum', async () => {
      await s.create(`/after-${Date.now()}`);
      return true;
    });
    await q.restartMember(leader);
    t.is(await q.mode(leader), 'follower');
    t.is((await s.getData('/before')).data.toString(), '1');
  } finally {
    s.close();
  }
});

test.serial('stop ends the server processes', async (t) => {
  const { zk: e, cleanup } = await startZk();
  const pids = e.pids();
  t.is(pids.length, 1);
  await cleanup();
  t.false(alive(pids[0]!));
});

test.serial('a server outlives no harness process: SIGKILL of its owner takes it down', async (t) => {
  const holder = spawn(process.execPath, [path.join(__dirname, '../harness/zk-holder.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const javaPid = await new Promise<number>((resolve, reject) => {
    let buf = '';
    holder.stdout.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\n')) resolve(Number(buf.trim()));
    });
    holder.on('exit', (c) => reject(new Error(`holder exited ${c}`)));
  });
  t.true(alive(javaPid));
  holder.kill('SIGKILL');
  await waitFor('the orphaned ZooKeeper to die', () => !alive(javaPid), 15000);
  t.false(alive(javaPid));
});
