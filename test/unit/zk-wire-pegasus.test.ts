import test from 'ava';
import { pegasusTreeNodes, pegasusTreeSize, leaderLockDir, appInfoJson, partitionJson } from '../../coordinator/lib/zk/pegasus-tree';
import { multi, MULTI_OVERHEAD, MultiOp, multiOpBytes } from '../../coordinator/lib/zk/wire';
import { zk } from '../../shared/zk/client';

// The library's own jute encoder, to check ours byte for byte.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const jute = require('node-zookeeper-client/lib/jute') as {
  Request: new (h: unknown, p: unknown) => { toBuffer(): Buffer };
  TransactionRequest: new (ops: unknown[]) => unknown;
  protocol: { RequestHeader: new () => { type: number; xid: number } };
  OP_CODES: { CREATE: number; SET_DATA: number; DELETE: number; MULTI: number };
};

/** A stand-in client whose ConnectionManager captures the queued request instead of sending it. */
function capture(): { client: zk.Client; sent: { header: { xid: number }; toBuffer(): Buffer }[] } {
  const sent: { header: { xid: number }; toBuffer(): Buffer }[] = [];
  const client = { connectionManager: { pendingQueue: [], queue: (req: { header: { xid: number }; toBuffer(): Buffer }) => sent.push(req) } } as unknown as zk.Client;
  return { client, sent };
}

test('our multi encoding is byte-identical to node-zookeeper-client\'s, and multiOpBytes is exact', (t) => {
  const acl = [
    { perms: 31, scheme: 'world', id: 'anyone' },
    { perms: 1, scheme: 'digest', id: 'bob:xyz=' },
  ];
  const ops: MultiOp[] = [
    { kind: 'create', path: '/a', data: Buffer.from([0, 1, 2, 255]), acl },
    { kind: 'create', path: '/a/empty', data: Buffer.alloc(0), acl: [acl[0]!] },
    { kind: 'create', path: '/a/null', data: null, acl: [acl[0]!] },
    { kind: 'set', path: '/a', data: Buffer.from('ünïcode') },
    { kind: 'delete', path: '/a/ü' },
  ];
  const { client, sent } = capture();
  multi(client, ops, () => undefined);
  t.is(sent.length, 1);
  sent[0]!.header.xid = 7;
  const ours = sent[0]!.toBuffer();

  const header = new jute.protocol.RequestHeader();
  header.type = jute.OP_CODES.MULTI;
  header.xid = 7;
  const theirOps = ops.map((op) =>
    op.kind === 'create'
      ? { type: jute.OP_CODES.CREATE, path: op.path, data: op.data ?? undefined, acls: op.acl.map((a) => new zk.ACL(a.perms, new zk.Id(a.scheme, a.id))), mode: 0 }
      : op.kind === 'set'
        ? { type: jute.OP_CODES.SET_DATA, path: op.path, data: op.data, version: -1 }
        : { type: jute.OP_CODES.DELETE, path: op.path, version: -1 },
  );
  const theirs = new jute.Request(header, new jute.TransactionRequest(theirOps)).toBuffer();
  t.true(ours.equals(theirs), 'same bytes on the wire');
  t.is(ours.length, MULTI_OVERHEAD + ops.reduce((n, op) => n + multiOpBytes(op), 0));
});

test('the Pegasus tree has the shape and JSON of docs/pegasus-internals.md §2.2-2.3', (t) => {
  const spec = { root: '/pegasus/c1', apps: 3, partitions: 4, dropped: 1 };
  const nodes = [...pegasusTreeNodes(spec)];
  t.is(nodes.length, pegasusTreeSize(spec));
  const byPath = new Map(nodes.map((n) => [n.path, n.data.toString()]));
  t.is(byPath.get('/pegasus/c1'), '');
  t.is(byPath.get('/pegasus/c1/apps'), 'unlock');
  t.true(byPath.has(leaderLockDir(spec)));
  t.is(leaderLockDir(spec), '/pegasus/c1/lock/dsn.meta.server.leader');
  t.is(leaderLockDir({ root: '/pegasus/onebox/h', lockRoot: 'root' }), '/pegasus/onebox/h/dsn.meta.server.leader');
  const app2 = JSON.parse(byPath.get('/pegasus/c1/apps/2')!);
  t.deepEqual(Object.keys(app2).slice(0, 5), ['status', 'app_type', 'app_name', 'app_id', 'partition_count']);
  t.is(app2.status, 'app_status::AS_AVAILABLE');
  t.is(JSON.parse(byPath.get('/pegasus/c1/apps/3')!).status, 'app_status::AS_DROPPED');
  for (let app = 1; app <= 3; app++) {
    for (let p = 0; p < 4; p++) {
      const part = JSON.parse(byPath.get(`/pegasus/c1/apps/${app}/${p}`)!);
      t.is(part.pid, `${app}.${p}`, 'pid matches the path, as the meta checks on load');
      t.is(part.secondaries.length, 2);
    }
  }
  // Parents always come before children.
  const seen = new Set<string>();
  for (const n of nodes) {
    const parent = n.path.slice(0, n.path.lastIndexOf('/'));
    if (n.path !== '/pegasus/c1') t.true(seen.has(parent), `${parent} before ${n.path}`);
    seen.add(n.path);
  }
  const size = Buffer.byteLength(partitionJson(7, 3));
  t.true(size > 150 && size < 250, `v2.5 partition node is about 200 bytes (${size})`);
  t.true(Buffer.byteLength(partitionJson(7, 3, 3, 'master')) > size);
  t.true(appInfoJson(1, 8).includes('"partition_count":8'));
  t.throws(() => [...pegasusTreeNodes({ root: '/x', apps: -1, partitions: 1 })]);
});
