import anyTest, { TestFn } from 'ava';
import { diffTrees, seedPegasusTree, TreeFollower } from '../../coordinator/lib/zk';
import { PERM } from '../../coordinator/lib/zk/acl';
import { zk, ZkSession } from '../../shared/zk/client';
import { startZk, ZkEnsemble } from '../harness/zookeeper';
import { aclOf, withSession } from './zk-helpers';

/**
 * The live pre-copy (coordinator/lib/zk/follow.ts) when someone else writes the TARGET after the
 * copy: the follower was written for a target only it writes, so these are the cases its proof must
 * still cover. A changed, created or deleted node is reported by the target's own change stream and
 * undone; a setACL fires no watch, so only finalize's ACL sweep of the target finds it (without it
 * the delta proof passed on a target whose ACL differed from the source); a write racing the proof
 * (after the last round) makes finalize throw instead of returning a proof that no longer holds; a
 * writer that keeps writing the target makes finalize fail naming the target, not the source.
 * Every outcome is checked against a full independent diff of both trees.
 */

const test = anyTest as TestFn<{ a: ZkEnsemble; b: ZkEnsemble; cleanups: (() => Promise<void>)[] }>;

test.before(async (t) => {
  const [a, b] = await Promise.all([startZk(), startZk()]);
  t.context = { a: a.zk, b: b.zk, cleanups: [a.cleanup, b.cleanup] };
});

test.after.always(async (t) => {
  for (const c of t.context.cleanups ?? []) await c();
});

type Ctx = { context: { a: ZkEnsemble; b: ZkEnsemble } };

async function followed(t: Ctx, root: string): Promise<TreeFollower> {
  await seedPegasusTree(t.context.a.connectString, { root, apps: 3, partitions: 4 });
  const f = await TreeFollower.start({ source: `${t.context.a.connectString}${root}`, target: `${t.context.b.connectString}${root}`, sessionTimeoutMs: 15000 });
  while (f.outstanding() > 0) await f.catchUp();
  return f;
}

function diff(t: Ctx, root: string): ReturnType<typeof diffTrees> {
  return diffTrees({ a: `${t.context.a.connectString}${root}`, b: `${t.context.b.connectString}${root}` });
}

function setAcl(s: { client: zk.Client }, path: string, acl: { perms: number; scheme: string; id: string }[]): Promise<void> {
  return new Promise((resolve, reject) => s.client.setACL(path, acl.map((a) => new zk.ACL(a.perms, new zk.Id(a.scheme, a.id))), -1, (e) => (e ? reject(e) : resolve())));
}

test.serial('foreign writes on the target after the copy (data, create, delete, setACL): finalize undoes each and proves the trees equal', async (t) => {
  const root = '/foreign';
  const f = await followed(t, root);
  try {
    await withSession(t.context.b.connectString, async (s) => {
      await s.setData(`${root}/apps/1/0`, Buffer.from('foreign data'));
      await s.create(`${root}/apps/1/stray`, Buffer.from('foreign node'));
      await s.remove(`${root}/apps/2/3`);
      // No watch fires for this one, on either side.
      await setAcl(s, `${root}/apps/3/1`, [{ perms: PERM.READ | PERM.ADMIN, scheme: 'world', id: 'anyone' }]);
    });
    t.false((await diff(t, root)).equal, 'the target differs before finalize');
    const r = await f.finalize();
    t.is(r.proof, 'delta', r.reason ?? '');
    t.deepEqual(r.applied, { created: 1, updated: 1, deleted: 1, aclSet: 1 });
    const d = await diff(t, root);
    t.true(d.equal, JSON.stringify(d.differences));
    t.is(f.digests().targetDigest, d.digestB, 'the proven digest is the real target tree');
    await withSession(t.context.b.connectString, async (s) => t.is((await aclOf(s, `${root}/apps/3/1`))[0]?.perms, PERM.ALL));
  } finally {
    f.close();
  }
});

test.serial('a foreign setACL on the target is found with --verify full too (a full comparison, no fallback needed)', async (t) => {
  const root = '/foreign-full';
  const f = await followed(t, root);
  try {
    await withSession(t.context.b.connectString, (s) => setAcl(s, `${root}/apps/2/2`, [{ perms: PERM.READ | PERM.ADMIN, scheme: 'world', id: 'anyone' }]));
    const r = await f.finalize({ verify: 'full' });
    t.is(r.proof, 'full');
    t.is(r.applied.aclSet, 1, 'repaired by the rounds before the full comparison');
    t.true((await diff(t, root)).equal);
  } finally {
    f.close();
  }
});

for (const verify of ['delta', 'full'] as const) {
  test.serial(`a foreign write on the target racing the proof (--verify ${verify}): finalize throws, never returns an outdated proof`, async (t) => {
    const root = `/racing-${verify}`;
    const f = await followed(t, root);
    try {
      const e = await t.throwsAsync(
        f.finalize({
          verify,
          beforeProof: () => withSession(t.context.b.connectString, (s) => s.setData(`${root}/apps/1/1`, Buffer.from('racing the proof')).then(() => undefined)),
        }),
      );
      t.regex(e?.message ?? '', /is not proven equal to the source .*(changed after the last round|full comparison of both trees found differences).*\/apps\/1\/1/);
      t.false((await diff(t, root)).equal, 'the target really differs: returning would have cut over on it');
    } finally {
      f.close();
    }
  });
}

/**
 * A writer that answers every change the follower makes on the target node `node` at once (a data
 * watch, set again on each event), so finalize can never find a quiet moment: `target` writes the
 * target node back to its own value, `source` writes a new value on the source node each time the
 * target caught up with the last one. A writer at a fixed rate would leave gaps a quick finalize can
 * fall into (it then proves the trees equal at that instant, rightly).
 */
async function chase(t: Ctx, side: 'source' | 'target', node: string): Promise<{ stop: () => Promise<number> }> {
  const watch = await ZkSession.connect(t.context.b.connectString, { sessionTimeoutMs: 10000 });
  const write = side === 'target' ? watch : await ZkSession.connect(t.context.a.connectString, { sessionTimeoutMs: 10000 });
  let stopped = false;
  let writes = 0;
  let last = 'chase 0';
  const react = async (data: string): Promise<void> => {
    if (side === 'target' && data !== 'foreign') await watch.setData(node, Buffer.from('foreign'));
    else if (side === 'source' && data === last) await write.setData(node, Buffer.from((last = `chase ${++writes}`)));
    else return;
    if (side === 'target') writes++;
  };
  const look = async (): Promise<void> => {
    if (stopped) return;
    try {
      const { data } = await watch.getData(node, () => void look());
      await react(data.toString());
    } catch {
      /* closed at the end */
    }
  };
  if (side === 'source') await write.setData(node, Buffer.from(last));
  await look();
  return {
    stop: async () => {
      stopped = true;
      watch.close();
      if (write !== watch) write.close();
      return writes;
    },
  };
}

for (const side of ['source', 'target'] as const) {
  test.serial(`a writer that keeps writing the ${side} during finalize: it fails naming the ${side}, nothing proven`, async (t) => {
    const root = `/writer-on-${side}`;
    const f = await followed(t, root);
    const c = await chase(t, side, `${root}/apps/1/0`);
    let writes = 0;
    try {
      const e = await t.throwsAsync(f.finalize());
      t.regex(e?.message ?? '', side === 'source' ? /^the source \S+ kept changing during 20 final rounds: it is not frozen/ : /^the target \S+ kept changing during the last 10 final rounds while the source did not .*something else writes the target/);
    } finally {
      writes = await c.stop();
      f.close();
    }
    t.true(writes >= 10, `the writer answered the follower's writes (${writes})`);
  });
}
