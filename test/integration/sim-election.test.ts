import anyTest, { TestFn } from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePort } from '../../coordinator/lib/zk-server';
import { ZkSession } from '../../shared/zk/client';
import { waitFor, tempDir } from '../harness/tmp';
import { startZk, ZkEnsemble } from '../harness/zookeeper';
import { SimCluster, SimClusterOptions } from '../../sim/cluster';
import { lockDir, lockNodes } from '../../sim/testing';

/**
 * Leader election of the simulated meta servers on a real ZooKeeper, exactly as docs/pegasus-internals.md §2.5:
 * ephemeral sequential lock nodes, the smallest wins, failover after a kill -9 once the dead leader's
 * session times out, a persistent copy of a lock node blocks election, exit statuses.
 */

interface Ctx {
  zk: ZkEnsemble;
  s: ZkSession;
  tmp: { dir: string; cleanup: () => void };
  clusters: SimCluster[];
  cleanups: (() => Promise<void>)[];
}
const test = anyTest as TestFn<Ctx>;

test.before(async (t) => {
  const z = await startZk();
  const s = await ZkSession.connect(z.zk.connectString, { sessionTimeoutMs: 10000 });
  t.context = { zk: z.zk, s, tmp: tempDir('zkmig-sim-'), clusters: [], cleanups: [z.cleanup] };
});

test.after.always(async (t) => {
  for (const c of t.context.clusters ?? []) await c.close();
  t.context.s?.close();
  for (const c of t.context.cleanups ?? []) await c();
  t.context.tmp?.cleanup();
});

async function cluster(t: { context: Ctx }, name: string, o: Partial<SimClusterOptions> = {}): Promise<SimCluster> {
  const c = await SimCluster.create({ baseDir: path.join(t.context.tmp.dir, name), zkHosts: t.context.zk.connectString, clusterName: name, replicaCount: 0, ...o });
  t.context.clusters.push(c);
  return c;
}

test.serial('three metas elect the smallest lock node; followers forward; kill -9 fails over after the session timeout', async (t) => {
  const c = await cluster(t, 'elect', { metaCount: 3 });
  c.startAll();
  const leader = await c.waitForLeader();
  const nodes = await waitFor('three lock nodes', async () => {
    const n = await lockNodes(t.context.s, lockDir(c));
    return n.length === 3 ? n : undefined;
  });
  t.true(nodes.every((n) => /^LOCKNODE\d{10}$/.test(n.name) && n.ephemeral), 'EPHEMERAL_SEQUENTIAL LOCKNODE##########');
  t.is(nodes[0]!.data, leader, 'the smallest sequence holds the leader address');
  t.deepEqual(nodes.map((n) => n.data).sort(), c.metas.map((m) => m.address).sort());

  // A follower alone still answers: it forwards to the leader it caches from the lock node.
  const follower = c.metas.find((m) => m.address !== leader)!;
  const viaFollower = await c.shell('cluster_info', { cluster: follower.address });
  t.regex(viaFollower.stdout, new RegExp(`^primary_meta_server +: ${leader.replace(/\./g, '\\.')} *$`, 'm'));

  const li = c.metas.findIndex((m) => m.address === leader);
  const killedAt = Date.now();
  t.deepEqual(await c.killMeta(li), { code: null, signal: 'SIGKILL' });
  // No clean close: the dead leader's ephemeral node lingers until its session expires.
  t.true((await lockNodes(t.context.s, lockDir(c))).some((n) => n.data === leader));
  const others = c.metas.filter((m) => m.address !== leader).map((m) => m.address).join(',');
  const next = await waitFor(
    'a follower to take over',
    async () => {
      const r = await c.shell('cluster_info', { cluster: others, rpcTimeoutMs: 1000 });
      return /^primary_meta_server +: (\S+)/m.exec(r.stdout)?.[1];
    },
    c.timing.zkTimeoutMs + 10000,
    100,
  );
  const took = Date.now() - killedAt;
  t.not(next, leader);
  t.true(took < c.timing.zkTimeoutMs + 5000, `failover took ${took} ms`);
  t.log(`failover after kill -9 took ${took} ms (session timeout ${c.timing.zkTimeoutMs} ms)`);

  // The killed meta comes back as a follower with a new, larger lock node.
  c.startMeta(li);
  await waitFor('the restarted meta to queue behind the leader', async () => (await lockNodes(t.context.s, lockDir(c))).filter((n) => n.data === leader).length === 1);
  t.is(await c.leader(), next);
});

test.serial('a LOCKNODE copied as a persistent node blocks election until it is removed', async (t) => {
  const c = await cluster(t, 'stale');
  const dir = lockDir(c);
  await t.context.s.mkdirp(dir);
  await t.context.s.create(`${dir}/LOCKNODE0000000000`, Buffer.from('10.9.9.9:34601'));
  c.startAll();
  await waitFor('both metas to wait for the stale owner', () => c.metas.every((m) => c.log(m).includes('owner(LOCKNODE0000000000:10.9.9.9:34601) to remove')));
  const r = await c.shell(['cluster_info', 'get_meta_level'], { rpcTimeoutMs: 1500 });
  t.regex(r.stdout, /^get cluster info failed, error=ERR_TIMEOUT$/m, 'followers forward to the stale address, nobody answers');
  t.regex(r.stdout, /^get meta level got error ERR_TIMEOUT$/m);
  t.false(c.metas.some((m) => c.log(m).includes('got the lock')));
  t.is(r.code, 0);

  await t.context.s.remove(`${dir}/LOCKNODE0000000000`);
  const leader = await c.waitForLeader();
  t.true(c.metas.some((m) => m.address === leader));
});

test.serial("a stale lock node holding the meta's own address is deleted by that meta, which then leads", async (t) => {
  const c = await cluster(t, 'own', { metaCount: 1 });
  const dir = lockDir(c);
  await t.context.s.mkdirp(dir);
  await t.context.s.create(`${dir}/LOCKNODE0000000000`, Buffer.from(c.metas[0]!.address));
  c.startAll();
  t.is(await c.waitForLeader(), c.metas[0]!.address);
  const nodes = await lockNodes(t.context.s, dir);
  t.deepEqual(
    nodes.map((n) => n.ephemeral),
    [true],
    'only its own ephemeral node is left',
  );
  t.regex(c.log(c.metas[0]!), /duplicated value\(127\.0\.0\.1:\d+\) ephe\/seq node\(LOCKNODE0000000000 and LOCKNODE0000000001\)/);
});

test.serial('a leader whose lock node is deleted exits 0 and a follower takes over', async (t) => {
  const c = await cluster(t, 'lost');
  c.startAll();
  const leader = await c.waitForLeader();
  const li = c.metas.findIndex((m) => m.address === leader);
  const own = (await lockNodes(t.context.s, lockDir(c))).find((n) => n.data === leader)!;
  await t.context.s.remove(`${lockDir(c)}/${own.name}`);
  t.deepEqual(await c.waitExit(c.metas[li]!, 10000), { code: 0, signal: null });
  t.regex(c.log(c.metas[li]!), /leader lock expired callback/);
  const next = await c.waitForLeader();
  t.is(next, c.metas[1 - li]!.address);
});

test.serial('ZooKeeper session expiry makes a meta exit 0', async (t) => {
  const c = await cluster(t, 'expire', { metaCount: 1 });
  c.startAll();
  await c.waitForLeader();
  const m = c.metas[0]!;
  // Freeze the process past its session timeout: the server expires the session; on resume the
  // client learns it, as a meta stuck in a long GC pause or on a partitioned host would.
  m.proc!.kill('SIGSTOP');
  await waitFor('the ensemble to expire the session', async () => (await lockNodes(t.context.s, lockDir(c))).length === 0, c.timing.zkTimeoutMs + 10000, 200);
  m.proc!.kill('SIGCONT');
  t.deepEqual(await c.waitExit(m, 15000), { code: 0, signal: null });
  // Whichever the client reports first (the expired state or the deletion of its own lock node), the
  // lease-expire callback runs and the meta exits 0, as dsn_exit(0) does.
  t.regex(c.log(m), /which means the session is expired|my lock node was removed/);
  t.regex(c.log(m), /leader lock expired callback/);
});

test.serial('a meta that cannot reach ZooKeeper within timeout_ms exits non-zero', async (t) => {
  const c = await cluster(t, 'nozk', { metaCount: 1, timing: { zkTimeoutMs: 1000 } });
  c.setMetaConfig(0, 'zookeeper', 'hosts_list', `127.0.0.1:${await freePort()}`);
  const started = Date.now();
  c.startAll();
  t.deepEqual(await c.waitExit(c.metas[0]!, 15000), { code: 1, signal: null });
  t.true(Date.now() - started >= 1000, 'it waited timeout_ms first');
  t.regex(c.log(c.metas[0]!), /start app failed, err = ERR_TIMEOUT/);
  // The config is re-read on every start: fix it and the same meta comes up.
  c.setMetaConfig(0, 'zookeeper', 'hosts_list', t.context.zk.connectString);
  c.startMeta(0);
  t.is(await c.waitForLeader(), c.metas[0]!.address);
  t.true(fs.existsSync(c.metas[0]!.configPath));
});
