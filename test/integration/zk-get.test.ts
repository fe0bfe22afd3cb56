import anyTest, { TestFn } from 'ava';
import { startZk, ZkEnsemble } from '../harness/zookeeper';
import { createRaw, withSession, zkmig } from './zk-helpers';

interface Ctx {
  zk: ZkEnsemble;
  cleanup: () => Promise<void>;
}
const test = anyTest as TestFn<Ctx>;

test.before(async (t) => {
  const { zk, cleanup } = await startZk();
  await withSession(zk.connectString, async (s) => {
    await s.mkdirp('/g');
    await createRaw(s, '/g/json', Buffer.from('{"a":1,"b":[true]}'));
    await createRaw(s, '/g/null', null);
    await createRaw(s, '/g/empty', Buffer.alloc(0));
    await createRaw(s, '/g/bin', Buffer.from([0, 1, 2, 0xff, 0x41]));
    await createRaw(s, '/g/digest', Buffer.from('x'), [{ perms: 1, scheme: 'world', id: 'anyone' }]);
  });
  t.context = { zk, cleanup };
});

test.after.always(async (t) => {
  await t.context.cleanup?.();
});

const at = (t: { context: Ctx }, p: string): string => `${t.context.zk.connectString}${p}`;

test('zk get prints data as text, JSON or hex, then the stat and ACL; null and empty data differ', async (t) => {
  const text = await zkmig(['zk', 'get', at(t, '/g/json')]);
  t.is(text.code, 0, text.err);
  t.regex(text.out, /^\{"a":1,"b":\[true\]\}\n/);
  t.regex(text.out, /^czxid +0x[0-9a-f]+$/m);
  t.regex(text.out, /^dataLength +18$/m);
  t.regex(text.out, /^ephemeralOwner +0x0$/m);
  t.regex(text.out, /^acl +world:anyone:cdrwa$/m);
  const json = await zkmig(['zk', 'get', '--format', 'json', at(t, '/g/json')]);
  t.regex(json.out, /^\{\n {2}"a": 1,/);
  t.regex((await zkmig(['zk', 'get', at(t, '/g/null')])).out, /^\(null\)\n/);
  t.regex((await zkmig(['zk', 'get', at(t, '/g/empty')])).out, /^\(empty\)\n/);
  t.regex((await zkmig(['zk', 'get', '--format', 'hex', at(t, '/g/bin')])).out, /^00000000 {2}00 01 02 ff 41 +\.\.\.\.A\n/);
  const notText = await zkmig(['zk', 'get', at(t, '/g/bin')]);
  t.is(notText.code, 2);
  t.regex(notText.err, /the data is not UTF-8 text; use --format hex/);
  const j = JSON.parse((await zkmig(['zk', 'get', '--json', at(t, '/g/digest')])).out) as { data: string; acl: unknown[]; stat: { version: number } };
  t.is(Buffer.from(j.data, 'base64').toString(), 'x');
  t.deepEqual(j.acl, [{ scheme: 'world', id: 'anyone', perms: 'r' }]);
  t.is(j.stat.version, 0);
});

test('zk stat prints the stat fields and ACL, no data; a missing node exits 2 naming it', async (t) => {
  const r = await zkmig(['zk', 'stat', at(t, '/g')]);
  t.is(r.code, 0, r.err);
  t.regex(r.out, /^czxid/);
  t.regex(r.out, /^numChildren +5$/m);
  t.regex(r.out, /^mtime +\d{4}-\d\d-\d\dT/m);
  const missing = await zkmig(['zk', 'stat', at(t, '/nope')]);
  t.is(missing.code, 2);
  t.regex(missing.err, /\/nope does not exist/);
});
