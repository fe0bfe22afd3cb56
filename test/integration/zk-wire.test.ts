import anyTest, { TestFn } from 'ava';
import { probeMultiRead, ZkConn } from '../../coordinator/lib/zk/conn';
import { AclReply, ChildrenReply, DataReply, fastPath, fastReplies, getACL, getChildren, getData, multi, multiReadData, MultiOp, MultiReadResult, NodeStat, setACL } from '../../coordinator/lib/zk/wire';
import { ZK_CODE, zk } from '../../shared/zk/client';
import { startZk, ZkEnsemble } from '../harness/zookeeper';

/**
 * The hand-written wire path against a real ZooKeeper 3.8, compared with the client's public API
 * (the fallback used when the client's internals are not there), and the reply decoder coexisting
 * with requests made through the public API on the same session.
 */

const test = anyTest as TestFn<{ zk: ZkEnsemble; conn: ZkConn; cleanup: () => Promise<void> }>;

test.before(async (t) => {
  const { zk: e, cleanup } = await startZk();
  const conn = await ZkConn.open(e.connectString);
  t.context = { zk: e, conn, cleanup };
});

test.after.always(async (t) => {
  t.context.conn?.close();
  await t.context.cleanup?.();
});

/** The same client with its internals hidden: every wire helper takes the public-API fallback. */
function publicOnly(c: zk.Client): zk.Client {
  return new Proxy(c, {
    get(target, prop) {
      if (prop === 'connectionManager') return undefined;
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

const call = <T>(f: (cb: (err: unknown, v: T | undefined) => void) => void): Promise<{ err: number | undefined; v: T | undefined }> =>
  new Promise((resolve) => f((err, v) => resolve({ err: (err as { code?: number } | null)?.code, v })));

test.serial('fast path and public-API fallback return the same data, Stats, ACLs, children and multi outcomes', async (t) => {
  const fast = t.context.conn.client;
  t.true(fastPath(fast));
  t.true(fastReplies(fast));
  const slow = publicOnly(fast);
  t.false(fastPath(slow));
  const acl = [{ perms: 31, scheme: 'world', id: 'anyone' }];
  for (const [name, c] of [
    ['fast', fast],
    ['fallback', slow],
  ] as const) {
    const root = `/wire-${name}`;
    const ops: MultiOp[] = [
      { kind: 'create', path: root, data: Buffer.from([0, 255]), acl },
      { kind: 'create', path: `${root}/null`, data: null, acl },
      { kind: 'create', path: `${root}/empty`, data: Buffer.alloc(0), acl },
      { kind: 'set', path: root, data: Buffer.from('v2') },
    ];
    t.is((await call<number[]>((cb) => multi(c, ops, cb))).err, undefined, name);
    const failed = await call<number[]>((cb) => multi(c, [{ kind: 'create', path: `${root}/x`, data: null, acl }, { kind: 'delete', path: `${root}/missing` }], cb));
    t.is(failed.err, ZK_CODE.NO_NODE, `${name}: a failed multi names the failing op's code`);
    t.is((await call<DataReply>((cb) => getData(c, `${root}/x`, cb))).err, ZK_CODE.NO_NODE, `${name}: and applied nothing`);
    const d = await call<DataReply>((cb) => getData(c, root, cb));
    t.deepEqual(d.v?.data, Buffer.from('v2'));
    t.is(d.v?.stat.version, 1);
    t.is(d.v?.stat.numChildren, 2);
    t.is(d.v?.stat.ephemeralOwner, 0n);
    t.true((d.v?.stat.mzxid ?? 0n) > 0n);
    t.is((await call<DataReply>((cb) => getData(c, `${root}/null`, cb))).v?.data, null, `${name}: null data`);
    t.deepEqual((await call<DataReply>((cb) => getData(c, `${root}/empty`, cb))).v?.data, Buffer.alloc(0), `${name}: empty data`);
    t.deepEqual((await call<AclReply>((cb) => getACL(c, root, cb))).v?.acl, acl);
    t.deepEqual((await call<ChildrenReply>((cb) => getChildren(c, root, cb))).v?.children.sort(), ['empty', 'null']);
    const restricted = [{ perms: 1 | 16, scheme: 'world', id: 'anyone' }];
    t.is((await call<NodeStat>((cb) => setACL(c, `${root}/null`, restricted, cb))).v?.aversion, 1);
    t.deepEqual((await call<AclReply>((cb) => getACL(c, `${root}/null`, cb))).v?.acl, restricted);
  }
});

test.serial('multiRead is detected on ZooKeeper 3.8 and reports per-op errors; sync answers', async (t) => {
  t.true(await probeMultiRead(t.context.zk.connectString, {}));
  await t.notThrowsAsync(t.context.conn.sync('/'));
  const c = t.context.conn.client;
  const r = await call<MultiReadResult[]>((cb) => multiReadData(c, ['/wire-fast', '/no/such', '/wire-fast/empty'], cb));
  t.is(r.err, undefined);
  t.is(r.v?.length, 3);
  t.deepEqual((r.v?.[0] as { data: Buffer }).data, Buffer.from('v2'));
  t.deepEqual(r.v?.[1], { err: ZK_CODE.NO_NODE });
  t.deepEqual((r.v?.[2] as { data: Buffer }).data, Buffer.alloc(0));
});

test.serial('the public API still works on a session whose replies the engine decodes (watches included)', async (t) => {
  const c = t.context.conn.client;
  const fired = new Promise<string>((resolve) => c.exists('/watched', (e) => resolve(e.getName()), () => undefined));
  await new Promise<void>((resolve, reject) => c.create('/watched', Buffer.from('w'), (err) => (err ? reject(err) : resolve())));
  t.is(await fired, 'NODE_CREATED');
  // Interleave both kinds of requests on the one socket; replies must match their requests.
  const results = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      i % 2
        ? new Promise<string>((resolve, reject) => c.getData('/watched', (err, data) => (err ? reject(err) : resolve(data.toString()))))
        : call<DataReply>((cb) => getData(c, '/watched', cb)).then((r) => r.v!.data!.toString()),
    ),
  );
  t.true(results.every((x) => x === 'w'));
});
