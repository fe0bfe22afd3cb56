import anyTest, { TestFn } from 'ava';
import { copyTree, digestTree, holdLeaderLock, seedNodes, seedPegasusTree } from '../../coordinator/lib/zk';
import { digestId, PERM } from '../../coordinator/lib/zk/acl';
import { isPrecondition } from '../../shared/errors';
import { ZK_CODE, zk } from '../../shared/zk/client';
import { startZk, ZkEnsemble } from '../harness/zookeeper';
import { aclOf, createRaw, getRaw, listAll, withSession } from './zk-helpers';

/**
 * The copy engine against two real standalone ZooKeeper servers: byte and ACL fidelity, ephemeral
 * lock nodes, big trees, every --on-exists mode, dry runs, aborts.
 */

const test = anyTest as TestFn<{ a: ZkEnsemble; b: ZkEnsemble; cleanups: (() => Promise<void>)[] }>;

test.before(async (t) => {
  const [a, b] = await Promise.all([startZk(), startZk()]);
  t.context = { a: a.zk, b: b.zk, cleanups: [a.cleanup, b.cleanup] };
});

test.after.always(async (t) => {
  for (const c of t.context.cleanups ?? []) await c();
});

const A = (t: { context: { a: ZkEnsemble } }, p: string): string => `${t.context.a.connectString}${p}`;
const B = (t: { context: { b: ZkEnsemble } }, p: string): string => `${t.context.b.connectString}${p}`;

test.serial('bytes are copied exactly: all 256 byte values, empty, null, and a node near 1 MB', async (t) => {
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const big = Buffer.alloc(1_000_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 131 + 7) & 0xff;
  await withSession(t.context.a.connectString, async (s) => {
    await s.mkdirp('/bin');
    await createRaw(s, '/bin/all-bytes', all);
    await createRaw(s, '/bin/empty', Buffer.alloc(0));
    await createRaw(s, '/bin/null', null);
    await createRaw(s, '/bin/big', big);
    await createRaw(s, '/bin/big/child', Buffer.from('under a big parent'));
  });
  const r = await copyTree({ source: A(t, '/bin'), target: B(t, '/bin-copy') });
  t.is(r.nodes, 6);
  t.is(r.created, 6);
  t.is(r.bytes, 256 + 1_000_000 + 18);
  t.true(r.verify?.ok);
  t.true(r.stats.multis >= 2, 'the near-1 MB node went in a multi of its own');
  await withSession(t.context.b.connectString, async (s) => {
    t.true((await getRaw(s, '/bin-copy/all-bytes')).data!.equals(all));
    const empty = await getRaw(s, '/bin-copy/empty');
    t.true(empty.data !== null && empty.data.length === 0, 'empty stays empty');
    t.is((await getRaw(s, '/bin-copy/null')).data, null, 'null stays null');
    t.true((await getRaw(s, '/bin-copy/big')).data!.equals(big));
    t.is((await getRaw(s, '/bin-copy/big/child')).data!.toString(), 'under a big parent');
  });
});

test.serial('digest ACLs are preserved, including a parent whose ACL forbids creating its children', async (t) => {
  const alice = 'alice:wonderland';
  const aliceAll = { perms: PERM.ALL, scheme: 'digest', id: digestId(alice) };
  const worldRead = { perms: PERM.READ, scheme: 'world', id: 'anyone' };
  await withSession(
    t.context.a.connectString,
    async (s) => {
      await s.mkdirp('/acl');
      await createRaw(s, '/acl/private', Buffer.from('p'), [aliceAll]);
      await createRaw(s, '/acl/private/child', Buffer.from('c'), [aliceAll]);
      await createRaw(s, '/acl/readonly', Buffer.from('r'), [worldRead, aliceAll]);
      await createRaw(s, '/acl/readonly/kid', Buffer.from('k'), [worldRead]);
    },
    alice,
  );
  // A session without the password cannot even read the source: a clear error, nothing written.
  const denied = await t.throwsAsync(copyTree({ source: A(t, '/acl'), target: B(t, '/acl-denied') }));
  t.regex(denied!.message, /not authorized to read \/acl\/private.*--auth/);
  await withSession(t.context.b.connectString, async (s) => t.is(await s.exists('/acl-denied/private'), null));

  const r = await copyTree({ source: A(t, '/acl'), target: B(t, '/acl-copy'), sourceAuth: alice, targetAuth: alice });
  t.true(r.verify?.ok);
  t.is(r.created, 5);
  await withSession(
    t.context.b.connectString,
    async (s) => {
      t.deepEqual(await aclOf(s, '/acl-copy/private'), [aliceAll]);
      t.deepEqual(await aclOf(s, '/acl-copy/private/child'), [aliceAll]);
      t.deepEqual(await aclOf(s, '/acl-copy/readonly'), [worldRead, aliceAll]);
      t.deepEqual(await aclOf(s, '/acl-copy/readonly/kid'), [worldRead]);
    },
    alice,
  );
  // The copied ACL is in force: without alice's password the private node cannot be read.
  await withSession(t.context.b.connectString, async (s) => {
    const e = await t.throwsAsync(s.getData('/acl-copy/private'));
    t.is((e as { zkCode?: number }).zkCode, ZK_CODE.NO_AUTH);
  });
});

test.serial('without --target-auth no copied node is ever wider than its source, also after a copy that failed midway', async (t) => {
  const worldRead = { perms: PERM.READ, scheme: 'world', id: 'anyone' };
  const worldWrite = (acl: { perms: number; scheme: string; id: string }[]): boolean => acl.some((a) => a.scheme === 'world' && (a.perms & ~PERM.READ) !== 0);
  const alice = 'alice:wonderland';
  const roAcl = [worldRead, { perms: PERM.ALL, scheme: 'digest', id: digestId(alice) }];
  await withSession(
    t.context.a.connectString,
    async (s) => {
      await s.mkdirp('/ro-src');
      // Read-only for everyone (only alice may write), with children: the copy, which has no
      // credentials for the target, must create it with a temporary extra grant.
      await createRaw(s, '/ro-src/a-ro', Buffer.from('r'), roAcl);
      await createRaw(s, '/ro-src/a-ro/kid', Buffer.from('k'), [worldRead]);
      await createRaw(s, '/ro-src/m', Buffer.from('m'));
      await createRaw(s, '/ro-src/m/z-blocker', Buffer.from('new'), [worldRead]);
    },
    alice,
  );
  // A complete copy: every ACL exactly the source's.
  // The source is read as alice (ZooKeeper redacts digest ids in ACLs to readers without ADMIN).
  const r = await copyTree({ source: A(t, '/ro-src'), target: B(t, '/ro-full'), sourceAuth: alice });
  // (Its verify reports an ACL difference: the target session, without alice's password, sees her
  // digest redacted. The ACLs are checked here as alice instead.)
  t.is(r.created, 5);
  await withSession(
    t.context.b.connectString,
    async (s) => {
      t.deepEqual(await aclOf(s, '/ro-full/a-ro'), roAcl);
      t.deepEqual(await aclOf(s, '/ro-full/a-ro/kid'), [worldRead]);
    },
    alice,
  );
  // An interrupted copy: the target already holds a read-only m/z-blocker with other data, so the
  // overwrite of it (one level deeper than a-ro) fails (NO_AUTH) after a-ro was created and before
  // the final ACLs are set.
  await withSession(t.context.b.connectString, async (s) => {
    await s.mkdirp('/ro-cut/m');
    await createRaw(s, '/ro-cut/m/z-blocker', Buffer.from('old'), [worldRead]);
  });
  await t.throwsAsync(copyTree({ source: A(t, '/ro-src'), target: B(t, '/ro-cut'), sourceAuth: alice, onExists: 'overwrite', batchBytes: 1, maxInFlight: 1 }));
  await withSession(t.context.b.connectString, async (s) => {
    t.truthy(await s.exists('/ro-cut/a-ro'), 'the copy got as far as creating a-ro');
    const acl = await aclOf(s, '/ro-cut/a-ro');
    t.false(worldWrite(acl), `a-ro is not writable by world:anyone: ${JSON.stringify(acl)}`);
    // What is left besides the source's entries is the copy's throwaway identity (ZooKeeper shows
    // digest ids to other sessions as `user:x`).
    t.true(acl.every((a) => (a.scheme === 'world' && a.perms === PERM.READ) || (a.scheme === 'digest' && /^(alice|zkmig-copy):/.test(a.id))), JSON.stringify(acl));
    // And nobody without that identity can write it.
    const e = await t.throwsAsync(s.setData('/ro-cut/a-ro', Buffer.from('attacker')));
    t.is((e as { zkCode?: number }).zkCode, ZK_CODE.NO_AUTH);
  });
});

test.serial('Pegasus leader-lock nodes (ephemeral sequential) are skipped and reported, never written', async (t) => {
  const spec = { root: '/pegasus/lockcase', apps: 2, partitions: 3 };
  await seedPegasusTree(t.context.a.connectString, spec);
  const lock = await holdLeaderLock(t.context.a.connectString, spec, 'meta-1.example:34601');
  try {
    const r = await copyTree({ source: A(t, '/pegasus/lockcase'), target: B(t, '/pegasus/lockcase') });
    t.is(r.skippedEphemeral.count, 1);
    t.deepEqual(r.skippedEphemeral.paths, [lock.path]);
    t.regex(lock.path, /\/dsn\.meta\.server\.leader\/LOCKNODE\d{10}$/);
    t.true(r.warnings.some((w) => w.includes('leader-lock') && w.includes('meta-1.example:34601')));
    t.true(r.verify?.ok);
    await withSession(t.context.b.connectString, async (s) => {
      t.deepEqual(await s.getChildren('/pegasus/lockcase/lock/dsn.meta.server.leader'), [], 'the lock dir is copied empty');
      t.not(await s.exists('/pegasus/lockcase/apps/2/2'), null);
    });
  } finally {
    lock.release();
  }
});

test.serial('a wide node (20,000 children) and a deep chain (depth 50) copy and verify', async (t) => {
  function* wide(): Generator<{ path: string; data: Buffer }> {
    yield { path: '/big/wide', data: Buffer.from('w') };
    for (let i = 0; i < 20000; i++) yield { path: `/big/wide/n${i}`, data: Buffer.from(`value-${i}`) };
    let p = '/big/deep';
    for (let d = 1; d <= 50; d++) {
      yield { path: p, data: Buffer.from(`depth-${d}`) };
      p += `/d${d + 1}`;
    }
  }
  await seedNodes(t.context.a.connectString, (function* () {
    yield { path: '/big', data: Buffer.alloc(0) };
    yield* wide();
  })());
  const t0 = Date.now();
  const r = await copyTree({ source: A(t, '/big'), target: B(t, '/big') });
  t.log(`copy ${r.copyMs} ms, verify ${r.verify?.ms} ms, total ${Date.now() - t0} ms`);
  t.is(r.nodes, 1 + 1 + 20000 + 50);
  t.true(r.verify?.ok, JSON.stringify(r.verify?.differences.slice(0, 3)));
  t.is(r.verify?.targetDigest, r.digest);
  await withSession(t.context.b.connectString, async (s) => {
    t.is((await s.getChildren('/big/wide')).length, 20000);
    const deepest = '/big/deep' + Array.from({ length: 49 }, (_, i) => `/d${i + 2}`).join('');
    t.is((await s.getData(deepest)).data.toString(), 'depth-50');
  });
});

test.serial('--on-exists fail refuses a non-empty target before writing anything; an empty root is fine', async (t) => {
  await withSession(t.context.a.connectString, async (s) => {
    await s.mkdirp('/f/src/a');
    await s.setData('/f/src', Buffer.from('root-data'));
  });
  await withSession(t.context.b.connectString, async (s) => {
    await s.mkdirp('/f/busy/other');
    await s.mkdirp('/f/emptyroot');
  });
  const before = await digestTree({ endpoint: B(t, '/f') });
  const e = await t.throwsAsync(copyTree({ source: A(t, '/f/src'), target: B(t, '/f/busy') }));
  t.true(isPrecondition(e));
  t.regex(e!.message, /already exists with 1 children.*nothing was written.*--on-exists overwrite/);
  t.is((await digestTree({ endpoint: B(t, '/f') })).digest, before.digest, 'the target is untouched');

  const r = await copyTree({ source: A(t, '/f/src'), target: B(t, '/f/emptyroot') });
  t.true(r.verify?.ok);
  t.is(r.updated, 1, 'the existing empty root got the source root\'s data');
  await withSession(t.context.b.connectString, async (s) => t.is((await s.getData('/f/emptyroot')).data.toString(), 'root-data'));
});

test.serial('--on-exists overwrite rewrites only nodes that differ and keeps target-only nodes; sync deletes them and converges', async (t) => {
  await seedPegasusTree(t.context.a.connectString, { root: '/ow/src', apps: 3, partitions: 5 });
  const first = await copyTree({ source: A(t, '/ow/src'), target: B(t, '/ow/dst') });
  t.true(first.verify?.ok);
  // (world keeps ADMIN so the anonymous copy session may set the ACL back)
  const other = [{ perms: PERM.ALL, scheme: 'digest', id: digestId('bob:pw') }, { perms: PERM.READ | PERM.ADMIN, scheme: 'world', id: 'anyone' }];
  const untouched = await withSession(t.context.b.connectString, async (s) => {
    await s.setData('/ow/dst/apps/1/0', Buffer.from('{"stale":true}'));
    await new Promise<void>((res, rej) => s.client.setACL('/ow/dst/apps/1/1', other.map((a) => new zk.ACL(a.perms, new zk.Id(a.scheme, a.id))), -1, (err) => (err ? rej(err) : res())));
    await s.remove('/ow/dst/apps/2/4');
    await s.create('/ow/dst/apps/extra', Buffer.from('only on the target'));
    return (await s.exists('/ow/dst/apps/3/3'))!;
  });
  const ow = await copyTree({ source: A(t, '/ow/src'), target: B(t, '/ow/dst'), onExists: 'overwrite' });
  t.is(ow.created, 1);
  t.is(ow.updated, 2);
  t.is(ow.aclUpdated, 1);
  t.is(ow.deleted, 0);
  t.is(ow.unchanged, ow.nodes - 3);
  t.true(ow.verify?.ok, 'extras do not fail verification with overwrite');
  t.is(ow.verify?.count.extra, 1);
  await withSession(t.context.b.connectString, async (s) => {
    const after = (await s.exists('/ow/dst/apps/3/3'))!;
    t.true(after.mzxid.equals(untouched.mzxid), 'an identical node is not rewritten');
    t.is(after.version, untouched.version);
    t.not(await s.exists('/ow/dst/apps/extra'), null);
    t.deepEqual(await aclOf(s, '/ow/dst/apps/1/1'), [{ perms: PERM.ALL, scheme: 'world', id: 'anyone' }]);
  });

  const sync = await copyTree({ source: A(t, '/ow/src'), target: B(t, '/ow/dst'), onExists: 'sync' });
  t.is(sync.deleted, 1);
  t.is(sync.created + sync.updated, 0);
  t.true(sync.verify?.ok);
  t.is(sync.verify?.targetDigest, sync.digest);
  const again = await copyTree({ source: A(t, '/ow/src'), target: B(t, '/ow/dst'), onExists: 'sync' });
  t.deepEqual([again.created, again.updated, again.deleted], [0, 0, 0], 'a second run changes nothing');
});

test.serial('a dry run reports the plan and changes nothing on the target', async (t) => {
  await seedPegasusTree(t.context.a.connectString, { root: '/dry/src', apps: 2, partitions: 4 });
  await copyTree({ source: A(t, '/dry/src'), target: B(t, '/dry/dst') });
  await withSession(t.context.b.connectString, async (s) => {
    await s.setData('/dry/dst/apps/1/2', Buffer.from('changed'));
    await s.remove('/dry/dst/apps/2/3');
    await s.create('/dry/dst/apps/2/9', Buffer.from('extra'));
  });
  const before = await digestTree({ endpoint: B(t, '/dry/dst') });
  const r = await copyTree({ source: A(t, '/dry/src'), target: B(t, '/dry/dst'), onExists: 'sync', dryRun: true });
  t.true(r.dryRun);
  t.deepEqual(r.plan?.create.paths, ['/dry/dst/apps/2/3']);
  t.deepEqual(r.plan?.update.paths, ['/dry/dst/apps/1/2']);
  t.deepEqual(r.plan?.delete.paths, ['/dry/dst/apps/2/9']);
  t.is(r.verify, undefined);
  const after = await digestTree({ endpoint: B(t, '/dry/dst') });
  t.is(after.digest, before.digest, 'same digest before and after');
  t.is(after.nodes, before.nodes);
  // Into a missing target: not even the parent path is created.
  await copyTree({ source: A(t, '/dry/src'), target: B(t, '/dry/nowhere/x'), dryRun: true });
  await withSession(t.context.b.connectString, async (s) => t.is(await s.exists('/dry/nowhere'), null));
});

test.serial('excluded subtrees are neither read nor written, and a target ephemeral in the way fails verification', async (t) => {
  await seedPegasusTree(t.context.a.connectString, { root: '/ex/src', apps: 2, partitions: 2 });
  await withSession(t.context.a.connectString, async (s) => s.mkdirp('/ex/src/backup/policy1'));
  const r = await copyTree({ source: A(t, '/ex/src'), target: B(t, '/ex/dst'), excludes: ['backup'] });
  t.deepEqual(r.excluded, { count: 1, paths: ['/ex/src/backup'] });
  t.true(r.verify?.ok);
  await withSession(t.context.b.connectString, async (s) => {
    t.is(await s.exists('/ex/dst/backup'), null);
    t.deepEqual(await listAll(s, '/ex/dst/apps/1'), ['/ex/dst/apps/1', '/ex/dst/apps/1/0', '/ex/dst/apps/1/1']);
  });
  // An ephemeral node of another session sits where the source has a persistent one: left alone, reported.
  await withSession(t.context.b.connectString, async (s) => {
    await s.remove('/ex/dst/apps/2/1');
    await s.create('/ex/dst/apps/2/1', Buffer.from('held'), zk.CreateMode.EPHEMERAL);
    const r2 = await copyTree({ source: A(t, '/ex/src'), target: B(t, '/ex/dst'), onExists: 'overwrite', excludes: ['/ex/src/backup'] });
    t.false(r2.verify?.ok);
    t.deepEqual(r2.verify?.differences, [{ kind: '-', path: 'apps/2/1' }]);
    t.true(r2.warnings.some((w) => w.includes('/ex/dst/apps/2/1 is an ephemeral node')));
  });
});

test.serial('an aborted copy rejects with the abort reason, and a rerun with overwrite converges', async (t) => {
  await seedPegasusTree(t.context.a.connectString, { root: '/ab/src', apps: 20, partitions: 200 });
  const ac = new AbortController();
  const reason = new Error('operator pressed stop');
  const e = await t.throwsAsync(
    copyTree({
      source: A(t, '/ab/src'),
      target: B(t, '/ab/dst'),
      signal: ac.signal,
      onProgress: (p) => {
        if (p.phase === 'copy' && p.nodes > 500) ac.abort(reason);
      },
    }),
  );
  t.is(e, reason);
  const r = await copyTree({ source: A(t, '/ab/src'), target: B(t, '/ab/dst'), onExists: 'overwrite' });
  t.true(r.verify?.ok);
  t.is(r.nodes, 2 + 20 * 201 + 3);
  t.true(r.unchanged > 0, 'what the first run wrote is kept, not rewritten');
});

test.serial('copying from / leaves /zookeeper out; copying into / works with what is already there', async (t) => {
  // (the protected /acl and /ro-src trees of earlier tests are left out: this session has no
  // password for them, and would see alice's digest ACLs masked)
  const whole = await copyTree({ source: A(t, '/'), target: B(t, '/all-of-a'), excludes: ['/acl', '/ro-src'] });
  t.true(whole.verify?.ok);
  t.deepEqual(whole.excluded.paths.sort(), ['/acl', '/ro-src', '/zookeeper'], 'all reported as excluded');
  await withSession(t.context.b.connectString, async (s) => {
    const kids = await s.getChildren('/all-of-a');
    t.false(kids.includes('zookeeper'), '/zookeeper is never copied');
    t.true(kids.includes('pegasus'));
  });
  await seedNodes(t.context.a.connectString, [
    { path: '/rootsrc', data: Buffer.alloc(0) },
    { path: '/rootsrc/top-a', data: Buffer.from('a') },
    { path: '/rootsrc/top-b', data: Buffer.from('b') },
  ]);
  const fail = await t.throwsAsync(copyTree({ source: A(t, '/rootsrc'), target: B(t, '/') }));
  t.regex(fail!.message, /target \/ .*already exists/);
  // B's protected /acl-copy (an earlier test) is excluded, relative to both roots.
  const into = await copyTree({ source: A(t, '/rootsrc'), target: B(t, '/'), onExists: 'overwrite', excludes: ['acl-copy'] });
  t.true(into.verify?.ok);
  t.is(into.created, 2);
  await withSession(t.context.b.connectString, async (s) => t.is((await s.getData('/top-b')).data.toString(), 'b'));
});

test.serial('a caller that checked ACLs already (sourceAclsChecked) skips the ACL walk, yet a masked ACL still stops the copy before that node is written', async (t) => {
  const alice = 'alice:wonderland';
  const worldRead = { perms: PERM.READ, scheme: 'world', id: 'anyone' };
  const aliceAll = { perms: PERM.ALL, scheme: 'digest', id: digestId(alice) };
  await withSession(
    t.context.a.connectString,
    async (s) => {
      await s.mkdirp('/checked/open');
      await createRaw(s, '/checked/open/guarded', Buffer.from('g'), [worldRead, aliceAll]);
    },
    alice,
  );
  const err = await t.throwsAsync(copyTree({ source: A(t, '/checked'), target: B(t, '/checked'), sourceAclsChecked: true }));
  t.true(isPrecondition(err), String(err));
  t.regex(err!.message, /masked as "user:x".*\/checked\/open\/guarded.*the copy stopped before writing it/s);
  await withSession(t.context.b.connectString, async (s) => t.is(await s.exists('/checked/open/guarded'), null, 'the masked node was never written'));
});
