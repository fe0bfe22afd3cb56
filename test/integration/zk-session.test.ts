import anyTest, { TestFn } from 'ava';
import { ZkSession, ZK_CODE, zk, zkCodeOf } from '../../shared/zk/client';
import { dropConnection, fastReplies } from '../../shared/zk/client-internals';
import { startZk, ZkEnsemble } from '../harness/zookeeper';

/**
 * ZkSession, the simulator's and the coordinator's plain session, frames its socket's replies itself
 * (installFastReplies) unless told not to: the client's own parser then sees one whole packet at a
 * time. What the simulated meta relies on must still work there: watches on getData, exists and
 * getChildren (its leader lock), a connection loss and reconnect, and its bulk reads (getDataText,
 * multiGetText), which must read what getData reads. Real ZooKeeper 3.8.
 */

const test = anyTest as TestFn<{ zk: ZkEnsemble; s: ZkSession; other: ZkSession; cleanup: () => Promise<void> }>;

test.before(async (t) => {
  const { zk: e, cleanup } = await startZk();
  const s = await ZkSession.connect(e.connectString, { sessionTimeoutMs: 10000 });
  const other = await ZkSession.connect(e.connectString, { sessionTimeoutMs: 10000, fastReplies: false });
  t.context = { zk: e, s, other, cleanup };
});

test.after.always(async (t) => {
  t.context.s?.close();
  t.context.other?.close();
  await t.context.cleanup?.();
});

/** A promise of the next event a watcher gets, and the watcher to register. */
function nextEvent(): { watcher: (e: zk.Event) => void; event: Promise<string> } {
  let watcher!: (e: zk.Event) => void;
  const event = new Promise<string>((resolve) => (watcher = (e) => resolve(`${e.getName()} ${e.getPath()}`)));
  return { watcher, event };
}

test.serial('a session frames its replies itself by default, not with fastReplies: false', (t) => {
  t.true(fastReplies(t.context.s.client));
  t.false(fastReplies(t.context.other.client));
});

test.serial('watches registered with getData, exists and getChildren fire on a fast-replies session', async (t) => {
  const { s, other } = t.context;
  await other.create('/w');
  await other.create('/w/data', Buffer.from('a'));
  const data = nextEvent();
  t.is((await s.getData('/w/data', data.watcher)).data.toString(), 'a');
  const exists = nextEvent();
  t.is(await s.exists('/w/new', exists.watcher), null);
  const children = nextEvent();
  t.deepEqual(await s.getChildren('/w', children.watcher), ['data']);
  await other.setData('/w/data', Buffer.from('b'));
  t.is(await data.event, 'NODE_DATA_CHANGED /w/data');
  await other.create('/w/new');
  t.is(await exists.event, 'NODE_CREATED /w/new');
  t.is(await children.event, 'NODE_CHILDREN_CHANGED /w');
  // The leader lock's case: a watch on a node that another session deletes.
  const gone = nextEvent();
  await s.getData('/w/new', gone.watcher);
  await other.remove('/w/new');
  t.is(await gone.event, 'NODE_DELETED /w/new');
});

test.serial('after a connection loss the session reconnects and a watch set before it still fires', async (t) => {
  const { s, other } = t.context;
  await other.create('/r', Buffer.from('1'));
  const w = nextEvent();
  await s.getData('/r', w.watcher);
  const id = s.sessionId;
  const reconnected = new Promise<void>((resolve) => s.client.once('connected', () => resolve()));
  dropConnection(s.client);
  await reconnected;
  t.is(s.sessionId, id, 'the same session');
  t.is(await s.getDataText('/r'), '1');
  await other.setData('/r', Buffer.from('2'));
  t.is(await w.event, 'NODE_DATA_CHANGED /r');
  t.is(await s.getDataText('/r'), '2');
});

test.serial('getDataText and multiGetText read what getData reads; a missing node is NONODE or undefined', async (t) => {
  const { s, other } = t.context;
  await other.create('/t');
  const nodes: Record<string, Buffer> = { '/t/json': Buffer.from('{"pid":"1.0","x":"é"}'), '/t/empty': Buffer.alloc(0), '/t/big': Buffer.alloc(300_000, 'x') };
  for (const [p, d] of Object.entries(nodes)) await other.create(p, d);
  for (const p of Object.keys(nodes)) t.is(await s.getDataText(p), (await other.getData(p)).data.toString('utf8'), p);
  t.true(await s.multiReadSupported(), 'ZooKeeper 3.8 answers multiRead');
  const paths = ['/t/json', '/t/missing', '/t/empty', '/t/big'];
  t.deepEqual(await s.multiGetText(paths), [nodes['/t/json']!.toString(), undefined, '', nodes['/t/big']!.toString()]);
  const e = await t.throwsAsync(() => s.getDataText('/t/missing'));
  t.is(zkCodeOf(e?.cause), ZK_CODE.NO_NODE);
  t.regex(e!.message, /get \/t\/missing failed/);
  // Without fast replies (and so under a chroot) getDataText is the public getData, and multiRead is not offered.
  t.is(await other.getDataText('/t/json'), nodes['/t/json']!.toString());
  t.false(await other.multiReadSupported());
});

test.serial('under a chroot the session keeps the client as it is and still reads, relative to the chroot', async (t) => {
  await t.context.other.create('/chroot', Buffer.from('c'));
  await t.context.other.create('/chroot/x', Buffer.from('inside'));
  const c = await ZkSession.connect(`${t.context.zk.connectString}/chroot`, { sessionTimeoutMs: 10000 });
  try {
    t.false(fastReplies(c.client));
    t.is(await c.getDataText('/x'), 'inside');
    t.false(await c.multiReadSupported());
  } finally {
    c.close();
  }
});
