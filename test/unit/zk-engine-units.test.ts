import test from 'ava';
import { createHash } from 'node:crypto';
import { aclFromKey, aclKey, describeAcl, digestId, grants, PERM, sessionIds, withGrant } from '../../coordinator/lib/zk/acl';
import { Excludes, refuseSystemTree } from '../../coordinator/lib/zk/excludes';
import { formatBytes, naturalCompare } from '../../coordinator/lib/zk/ls';
import { progressLine } from '../../coordinator/lib/zk/progress';
import { absPath, compareIndexes, dataHash, formatDifference, IndexEntry, PreparedDigest, relPath, TreeIndex, treeDigest } from '../../coordinator/lib/zk/tree-index';
import { isUsageError } from '../../shared/errors';

test('dataHash tells null, empty and different bytes apart', (t) => {
  t.is(dataHash(null), 'null');
  t.not(dataHash(Buffer.alloc(0)), dataHash(null));
  t.not(dataHash(Buffer.from([0])), dataHash(Buffer.alloc(0)));
  t.is(dataHash(Buffer.from('abc')), dataHash(Buffer.from('abc')));
  t.is(dataHash(Buffer.from('abc')).length, 22);
});

test('relPath and absPath are inverse, for / and deeper roots', (t) => {
  for (const root of ['/', '/pegasus/c1']) {
    for (const rel of ['', 'apps', 'apps/1/0']) t.is(relPath(root, absPath(root, rel)), rel);
  }
  t.is(absPath('/', 'a/b'), '/a/b');
  t.is(absPath('/x', ''), '/x');
});

function idx(entries: [string, string, string?][]): TreeIndex {
  return new Map(entries.map(([p, h, acl]) => [p, new IndexEntry(h, acl ?? 'open', 1)]));
}

test('PreparedDigest: prepared before changes, it gives treeDigest of the changed tree (added, deleted, recreated, data and ACL changes; empty)', (t) => {
  // A seeded pseudo-random tree, out of order as a follower's reads leave it.
  let seed = 7;
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const map = new Map<string, { hash: string; acl: string }>();
  for (let i = 0; i < 5000; i++) map.set(`apps/${rnd(50)}/${rnd(300)}`, { hash: `h${rnd(1000)}`, acl: 'world:anyone:cdrwa' });
  const digestOf = (m: Map<string, { hash: string; acl: string }>): string => treeDigest(new Map([...m].map(([p, e]) => [p, new IndexEntry(e.hash, e.acl, 0)])));
  const d = new PreparedDigest();
  d.prepare(map);
  t.is(d.digest(map), digestOf(map), 'unchanged');
  const keys = [...map.keys()];
  for (let i = 0; i < 40; i++) map.delete(keys[rnd(keys.length)]!);
  for (let i = 0; i < 40; i++) map.set(`apps/${rnd(60)}/new${rnd(100)}`, { hash: 'n', acl: 'world:anyone:r' });
  map.set(keys[1]!, { hash: 'changed', acl: map.get(keys[1]!)?.acl ?? 'x' });
  map.set(keys[2]!, { hash: map.get(keys[2]!)?.hash ?? 'x', acl: 'digest:u:cdrwa' });
  map.delete(keys[3]!);
  map.set(keys[3]!, { hash: 'recreated', acl: 'world:anyone:cdrwa' });
  map.set('', { hash: 'root', acl: 'world:anyone:cdrwa' });
  map.set('zz/last', { hash: 'z', acl: 'world:anyone:cdrwa' });
  t.is(d.digest(map), digestOf(map), 'after changes');
  t.is(d.digest(new Map()), digestOf(new Map()), 'everything deleted');
});

test('treeDigest depends on paths, data and ACLs, not on insertion order or ephemerals', (t) => {
  const a = idx([
    ['', 'h0'],
    ['x', 'h1'],
    ['x/y', 'h2'],
  ]);
  const b = idx([
    ['x/y', 'h2'],
    ['', 'h0'],
    ['x', 'h1'],
  ]);
  t.is(treeDigest(a), treeDigest(b));
  b.set('eph', new IndexEntry('h9', 'open', 1, true));
  t.is(treeDigest(a), treeDigest(b), 'ephemeral entries are not part of the digest');
  t.not(treeDigest(a), treeDigest(idx([['', 'h0'], ['x', 'h1'], ['x/y', 'hX']])));
  t.not(treeDigest(a), treeDigest(idx([['', 'h0'], ['x', 'h1'], ['x/y', 'h2', 'other-acl']])));
  t.not(treeDigest(a), treeDigest(idx([['', 'h0'], ['x', 'h1'], ['x/z', 'h2']])));
  t.regex(treeDigest(a), /^sha256:[0-9a-f]{64}$/);
});

test('compareIndexes reports each kind of difference, sorted, with exact counts under a limit', (t) => {
  const a = idx([
    ['', 'r'],
    ['only-a', '1'],
    ['data', '1'],
    ['acl', '1', 'A'],
    ['both', '1', 'A'],
    ['same', '1'],
  ]);
  const b = idx([
    ['', 'r'],
    ['only-b', '1'],
    ['data', '2'],
    ['acl', '1', 'B'],
    ['both', '2', 'B'],
    ['same', '1'],
  ]);
  const r = compareIndexes(a, b);
  t.deepEqual(r.count, { added: 1, removed: 1, changed: 3 });
  t.deepEqual(
    r.differences.map((d) => formatDifference(d, '/a', '/b')),
    ['~ /a/acl (acl)', '~ /a/both (data,acl)', '~ /a/data (data)', '- /a/only-a', '+ /b/only-b'],
  );
  const capped = compareIndexes(a, b, { limit: 2 });
  t.is(capped.differences.length, 2);
  t.deepEqual(capped.count, r.count);
  t.true(compareIndexes(a, a).differences.length === 0);
});

test('ACL keys round-trip, including ids with commas and "=" (x509 DNs, base64 digests)', (t) => {
  const acl = [
    { perms: PERM.ALL, scheme: 'digest', id: 'bob:abc+/def=' },
    { perms: PERM.READ, scheme: 'x509', id: 'CN=meta,OU=pegasus,O=example' },
    { perms: PERM.READ | PERM.WRITE, scheme: 'world', id: 'anyone' },
  ];
  const k = aclKey(acl);
  t.deepEqual(aclFromKey(k), acl);
  t.is(aclKey(acl.map((a) => ({ ...a }))), k, 'equal lists give the same key');
  t.not(aclKey([acl[1]!, acl[0]!, acl[2]!]), k, 'order is part of an ACL');
  t.is(describeAcl(k), 'digest:bob:abc+/def=:rwcda, x509:CN=meta,OU=pegasus,O=example:r----, world:anyone:rw---');
});

test('digestId matches ZooKeeper DigestAuthenticationProvider.generateDigest', (t) => {
  // generateDigest("super:secret") = "super:" + base64(sha1("super:secret"))
  t.is(digestId('super:secret'), `super:${createHash('sha1').update('super:secret').digest('base64')}`);
  t.throws(() => digestId('nopassword'));
});

test('grants and withGrant: a session can create under a node only if its ACL says so', (t) => {
  const bobOnly = [{ perms: PERM.ALL, scheme: 'digest', id: digestId('bob:pw') }];
  t.false(grants(bobOnly, sessionIds(undefined), PERM.CREATE));
  t.true(grants(bobOnly, sessionIds('bob:pw'), PERM.CREATE));
  t.false(grants([{ perms: PERM.READ, scheme: 'world', id: 'anyone' }], sessionIds(undefined), PERM.CREATE));
  const g = withGrant([{ perms: PERM.READ, scheme: 'world', id: 'anyone' }], 'alice:pw');
  t.true(grants(g, sessionIds('alice:pw'), PERM.CREATE | PERM.ADMIN));
  t.is(g.length, 2);
});

test('Excludes: absolute under the root or relative; whole components; refuses paths outside', (t) => {
  const e = Excludes.parse('/pegasus/c1', ['/pegasus/c1/backup', 'lock/dsn.meta.server.leader']);
  t.deepEqual(e.list, ['backup', 'lock/dsn.meta.server.leader']);
  t.true(e.hasExact('backup'));
  t.true(e.covers('backup/policy/1'));
  t.false(e.covers('backups'));
  t.false(e.covers('apps/1'));
  const err = t.throws(() => Excludes.parse('/pegasus/c1', ['/pegasus/c2/x']));
  t.true(isUsageError(err));
  t.regex(err!.message, /not under the tree being copied/);
  t.throws(() => Excludes.parse('/pegasus/c1', ['/pegasus/c1']), { message: /whole tree/ });
  t.throws(() => Excludes.parse('/x', ['']));
  t.true(Excludes.none().forRoot('/').hasExact('zookeeper'), '/zookeeper is always excluded at the root');
  t.false(Excludes.none().forRoot('/pegasus').hasExact('zookeeper'));
  t.throws(() => refuseSystemTree('/zookeeper/quota', 'source'), { message: /ZooKeeper's own tree/ });
  t.notThrows(() => refuseSystemTree('/zookeeperish', 'source'));
});

test('natural ordering and sizes for ls', (t) => {
  t.deepEqual(['10', '2', '1', 'apps', '0'].sort(naturalCompare), ['0', '1', '2', '10', 'apps']);
  t.is(formatBytes(0), '0 B');
  t.is(formatBytes(1023), '1023 B');
  t.is(formatBytes(1536), '1.5 KiB');
  t.is(formatBytes(20 * 1024 * 1024), '20.0 MiB');
});

test('progressLine shows counts, rate and ETA when the total is known', (t) => {
  const line = progressLine({ label: 'copy', done: 50, total: 100, bytes: 2048, elapsedMs: 1000 });
  t.regex(line, /^copy\s+\[#{12}\.{12}\]  50\/100 nodes  2\.0 KiB  50\/s  ETA 1s$/);
  t.regex(progressLine({ label: 'diff', done: 10, total: undefined, elapsedMs: 0 }), /10 nodes  0\/s$/);
});
