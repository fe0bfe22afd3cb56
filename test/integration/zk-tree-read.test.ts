/**
 * The one tree reader and the one removeTree, on a real ZooKeeper: the migration's readTree and
 * fingerprint give the same digest as `zkmig zk copy`/`diff` (digestTree), and removeTree's
 * "wait for live ephemeral nodes" mode, used by rollback and cleanup, deletes every persistent node
 * but never a live lock, and finishes once the lock's session ends. readTree stops on its signal
 * (the preflight reads the tree while its other checks run and stops it when one of them refuses).
 */
import anyTest, { TestFn } from 'ava';
import { isTimeout } from '../../shared/errors';
import { digestTree, fingerprint, holdLeaderLock, onSession, readTree, removeTree, seedPegasusTree } from '../../coordinator/lib/zk';
import { parseMntr } from '../../coordinator/lib/zk/admin-words';
import { fourLetter } from '../../coordinator/lib/zk-server';
import { judgedNode } from '../../coordinator/lib/migrate/losses';
import { startZk, ZkEnsemble } from '../harness/zookeeper';
import { waitFor } from '../harness/tmp';
import { listAll, withSession } from './zk-helpers';

const test = anyTest as TestFn<{ a: ZkEnsemble; cleanup: () => Promise<void> }>;

test.before(async (t) => {
  const a = await startZk();
  t.context = { a: a.zk, cleanup: a.cleanup };
});

test.after.always(async (t) => {
  await t.context.cleanup?.();
});

test.serial('readTree, fingerprint and digestTree give one digest; the node list is parents first and leaves live locks out', async (t) => {
  const hosts = t.context.a.connectString;
  await seedPegasusTree(hosts, { root: '/pegasus/read', apps: 2, partitions: 3 });
  const lock = await holdLeaderLock(hosts, { root: '/pegasus/read' }, '10.0.0.5:34601');
  try {
    const read = await withSession(hosts, (s) => readTree(s, '/pegasus/read', { keepData: true }));
    const fp = await fingerprint(hosts, '/pegasus/read');
    const cli = await digestTree({ endpoint: `${hosts}/pegasus/read` });
    t.regex(read.digest, /^sha256:[0-9a-f]{64}$/);
    t.is(fp.digest, read.digest);
    t.is(cli.digest, read.digest, 'the digest the migration records is the one zkmig zk copy prints');
    t.is(read.nodes, cli.nodes);
    // The preflight's read (more sessions, its own window), with and without multiRead batches.
    const wide = await withSession(hosts, (s) => readTree(s, '/pegasus/read', { keepData: true, sessions: 6, window: 150 }));
    process.env.ZKMIG_NO_MULTIREAD = '1';
    try {
      const single = await withSession(hosts, (s) => readTree(s, '/pegasus/read', { keepData: true, sessions: 6, window: 150 }));
      t.is(single.digest, read.digest, 'without multiRead');
      t.deepEqual(single.list, read.list);
    } finally {
      delete process.env.ZKMIG_NO_MULTIREAD;
    }
    t.is(wide.digest, read.digest);
    t.deepEqual(wide.list, read.list);
    // As the preflight reads it with the pre-copy: no ACL, no digest, data of the judged nodes only;
    // the same counts, sizes and mzxid.
    const lean = await withSession(hosts, (s) => readTree(s, '/pegasus/read', { keepData: judgedNode, digest: false, readAcl: false, sessions: 6, window: 150 }));
    t.like(lean, { digest: '', nodes: read.nodes, bytes: read.bytes, maxMzxid: read.maxMzxid, exists: true, ephemeral: read.ephemeral });
    t.deepEqual(
      lean.list,
      read.list.filter((n) => judgedNode(n.rel)).map((n) => ({ ...n, acl: [] })),
    );
    t.deepEqual(lean.list.map((n) => n.rel).sort(), ['/apps/1', '/apps/2']);
    t.is(read.list.length, read.nodes);
    t.deepEqual(read.ephemeral, [lock.path.slice('/pegasus/read'.length)]);
    t.false(read.list.some((n) => `/pegasus/read${n.rel}` === lock.path), 'no ephemeral node in the list');
    const seen = new Set<string>();
    for (const n of read.list) {
      if (n.rel !== '') t.true(seen.has(n.rel.slice(0, n.rel.lastIndexOf('/'))), `${n.rel} after its parent`);
      seen.add(n.rel);
    }
    const absent = await fingerprint(hosts, '/pegasus/none');
    t.false(absent.exists);
    t.is(absent.nodes, 0);
  } finally {
    lock.release();
  }
});

/** Client connections the server holds now (the asking one included). */
async function liveConnections(hosts: string): Promise<number> {
  return Number(parseMntr(await fourLetter(Number(hosts.split(':').at(-1)), 'mntr'))['zk_num_alive_connections']);
}

test.serial('readTree stops when its signal aborts: it rejects with the reason and closes every session it opened', async (t) => {
  const hosts = t.context.a.connectString;
  await seedPegasusTree(hosts, { root: '/pegasus/abort', apps: 4, partitions: 400 });
  const idle = await liveConnections(hosts);
  const reason = new Error('an earlier check refused the run');
  const stop = new AbortController();
  let seen = 0;
  const err = await withSession(hosts, (s) =>
    t.throwsAsync(
      readTree(s, '/pegasus/abort', {
        keepData: true,
        signal: stop.signal,
        onProgress: (n) => {
          seen = n;
          stop.abort(reason);
        },
      }),
    ),
  );
  t.is(err, reason);
  t.true(seen > 0 && seen < 1600, `aborted mid-read after ${seen} nodes`);
  await waitFor('the read sessions are closed', async () => (await liveConnections(hosts)) <= idle || undefined);
  const already = await withSession(hosts, (s) => t.throwsAsync(readTree(s, '/pegasus/abort', { signal: AbortSignal.abort(reason) })));
  t.is(already, reason, 'an aborted signal opens nothing and rejects at once');
});

test.serial('removeTree waiting for ephemeral nodes: never deletes a live lock, times out naming it, finishes once its session ends', async (t) => {
  const hosts = t.context.a.connectString;
  await seedPegasusTree(hosts, { root: '/pegasus/rm', apps: 2, partitions: 3 });
  const lock = await holdLeaderLock(hosts, { root: '/pegasus/rm' }, '10.0.0.5:34601');
  try {
    const err = await withSession(hosts, (s) => t.throwsAsync(removeTree({ ...onSession(s, '/pegasus/rm'), recursive: true, waitEphemeralUntil: Date.now() + 1000 })));
    t.true(isTimeout(err), String(err));
    t.true(err!.message.includes(lock.path), err!.message);
    const left = await withSession(hosts, (s) => listAll(s, '/pegasus/rm'));
    t.true(left.includes(lock.path), 'the live lock is still there');
    t.true(left.every((p) => lock.path.startsWith(p)), `only the lock and its ancestors are left: ${left.join(' ')}`);

    const removal = withSession(hosts, (s) => removeTree({ ...onSession(s, '/pegasus/rm'), recursive: true, ifExists: true, waitEphemeralUntil: Date.now() + 20000 }));
    lock.release();
    const r = await removal;
    t.true(r.deleted > 0);
    t.is(r.ephemeral, 0, 'no ephemeral node deleted by zkmig');
    await waitFor('the subtree is gone', () => withSession(hosts, async (s) => (await s.exists('/pegasus/rm')) === null || undefined));
  } finally {
    lock.release();
  }
  const again = await withSession(hosts, (s) => removeTree({ ...onSession(s, '/pegasus/rm'), recursive: true, ifExists: true, waitEphemeralUntil: Date.now() + 1000 }));
  t.is(again.deleted, 0, 'a missing subtree is a result with ifExists');
});
