import anyTest, { TestFn } from 'ava';
import { digestTree, holdLeaderLock, seedPegasusTree } from '../../coordinator/lib/zk';
import { digestId, PERM } from '../../coordinator/lib/zk/acl';
import { zk } from '../../shared/zk/client';
import { startZk, ZkEnsemble } from '../harness/zookeeper';
import { aclOf, createRaw, withSession, zkmig } from './zk-helpers';

/** `zkmig zk copy|diff|ls|rm` end to end (in-process CLI, captured output) against real ZooKeeper. */

const test = anyTest as TestFn<{ a: ZkEnsemble; b: ZkEnsemble; cleanups: (() => Promise<void>)[] }>;

test.before(async (t) => {
  const [a, b] = await Promise.all([startZk(), startZk()]);
  t.context = { a: a.zk, b: b.zk, cleanups: [a.cleanup, b.cleanup] };
  await seedPegasusTree(a.zk.connectString, { root: '/pegasus/c1', apps: 3, partitions: 4 });
});

test.after.always(async (t) => {
  for (const c of t.context.cleanups ?? []) await c();
});

const A = (t: { context: { a: ZkEnsemble } }, p: string): string => `${t.context.a.connectString}${p}`;
const B = (t: { context: { b: ZkEnsemble } }, p: string): string => `${t.context.b.connectString}${p}`;

test.serial('copy prints a summary with digest and verification; --json is one object with the promised fields', async (t) => {
  const lock = await holdLeaderLock(t.context.a.connectString, { root: '/pegasus/c1' }, '10.0.0.5:34601');
  try {
    const r = await zkmig(['zk', 'copy', A(t, '/pegasus/c1'), B(t, '/pegasus/c1')]);
    t.is(r.code, 0, r.err);
    t.regex(r.out, /Copied .*\/pegasus\/c1 -> .*\/pegasus\/c1 \(--on-exists fail\)/);
    t.regex(r.out, /nodes\s+20 \(/);
    t.regex(r.out, /created 20, updated 0, deleted 0; unchanged 0/);
    t.regex(r.out, /! \/pegasus\/c1\/lock\/dsn\.meta\.server\.leader\/LOCKNODE0000000000/);
    t.regex(r.out, /Verify \(target\): OK, 20 nodes match/);
    t.regex(r.out, /digest\s+sha256:[0-9a-f]{64}/);
    t.regex(r.err, /WARNING: the source holds Pegasus leader-lock node/);
    t.false(r.err.includes('\r'), 'no progress bar when not a TTY');

    const j = await zkmig(['zk', 'copy', A(t, '/pegasus/c1'), B(t, '/pegasus/c1'), '--on-exists', 'overwrite', '--json']);
    t.is(j.code, 0, j.err);
    const s = JSON.parse(j.out);
    for (const k of ['nodes', 'bytes', 'created', 'updated', 'deleted', 'skippedEphemeral', 'excluded', 'durationMs', 'digest', 'maxMzxid', 'maxPzxid']) t.true(k in s, k);
    t.is(s.unchanged, 20);
    t.is(s.skippedEphemeral.count, 1);
    t.true(s.verify.ok);
    t.is(j.err, '', 'nothing but JSON with --json');
  } finally {
    lock.release();
  }
});

test.serial('copy --on-exists sync needs --yes, and a dry run prints the plan without writing', async (t) => {
  await withSession(t.context.b.connectString, async (s) => s.create('/pegasus/c1/apps/99', Buffer.from('stray')));
  const before = await digestTree({ endpoint: B(t, '/pegasus/c1') });
  const refused = await zkmig(['zk', 'copy', A(t, '/pegasus/c1'), B(t, '/pegasus/c1'), '--on-exists', 'sync']);
  t.is(refused.code, 2);
  t.regex(refused.err, /pass --yes/);
  const dry = await zkmig(['zk', 'copy', A(t, '/pegasus/c1'), B(t, '/pegasus/c1'), '--on-exists', 'sync', '--dry-run']);
  t.is(dry.code, 0, dry.err);
  t.regex(dry.out, /DRY RUN: nothing was written/);
  t.regex(dry.out, /Would delete \(1\):\n {2}- \/pegasus\/c1\/apps\/99/);
  t.is((await digestTree({ endpoint: B(t, '/pegasus/c1') })).digest, before.digest);
  const yes = await zkmig(['zk', 'copy', A(t, '/pegasus/c1'), B(t, '/pegasus/c1'), '--on-exists', 'sync', '--yes']);
  t.is(yes.code, 0, yes.err);
  t.regex(yes.out, /deleted 1/);
  // Interactive confirmation on a terminal works too.
  const tty = await zkmig(['zk', 'copy', A(t, '/pegasus/c1'), B(t, '/pegasus/c1'), '--on-exists', 'sync'], { tty: true, confirm: true });
  t.is(tty.code, 0, tty.err);
  t.regex(tty.err, /\r\x1b\[K(copy|verify|scan-target) /, 'a live progress line on a terminal');
});

test.serial('diff: exit 0 when equal, 1 with +, -, ~ data, ~ acl lines when not', async (t) => {
  const eq = await zkmig(['zk', 'diff', A(t, '/pegasus/c1'), B(t, '/pegasus/c1')]);
  t.is(eq.code, 0, eq.out + eq.err);
  t.regex(eq.out, /Equal: 20 nodes/);
  await withSession(t.context.b.connectString, async (s) => {
    await s.create('/pegasus/c1/apps/1/extra', Buffer.from('x'));
    await s.remove('/pegasus/c1/apps/3/3');
    await s.setData('/pegasus/c1/apps/2', Buffer.from('{}'));
    await new Promise<void>((res, rej) =>
      s.client.setACL('/pegasus/c1/apps/2/1', [new zk.ACL(PERM.READ | PERM.ADMIN, new zk.Id('world', 'anyone'))], -1, (e) => (e ? rej(e) : res())),
    );
  });
  const d = await zkmig(['zk', 'diff', A(t, '/pegasus/c1'), B(t, '/pegasus/c1')]);
  t.is(d.code, 1);
  const lines = d.out.split('\n').filter((l) => /^[+~-] \//.test(l));
  t.deepEqual(lines, ['+ /pegasus/c1/apps/1/extra', '~ /pegasus/c1/apps/2 (data)', '~ /pegasus/c1/apps/2/1 (acl)', '- /pegasus/c1/apps/3/3']);
  t.regex(d.out, /1 only in the first, 1 only in the second, 2 changed/);
  const j = JSON.parse((await zkmig(['zk', 'diff', A(t, '/pegasus/c1'), B(t, '/pegasus/c1'), '--json'])).out);
  t.false(j.equal);
  t.deepEqual(j.count, { added: 1, removed: 1, changed: 2 });
  t.not(j.digestA, j.digestB);
  // Excluding the changed subtrees makes them equal again.
  const ex = await zkmig(['zk', 'diff', A(t, '/pegasus/c1'), B(t, '/pegasus/c1'), '--exclude', 'apps']);
  t.is(ex.code, 0, ex.out);
  // Repair with overwrite + sync, then equal.
  t.is((await zkmig(['zk', 'copy', A(t, '/pegasus/c1'), B(t, '/pegasus/c1'), '--on-exists', 'sync', '--yes'])).code, 0);
  t.is((await zkmig(['zk', 'diff', A(t, '/pegasus/c1'), B(t, '/pegasus/c1')])).code, 0);
});

test.serial('copy exits 1 and lists the differences when verification fails', async (t) => {
  // Another session holds an ephemeral node where the source has a persistent one: the copy must
  // not touch it, so the target cannot match and verification says so.
  await withSession(t.context.b.connectString, async (s) => {
    await s.remove('/pegasus/c1/apps/1/3');
    await s.create('/pegasus/c1/apps/1/3', Buffer.from('held'), zk.CreateMode.EPHEMERAL);
    const r = await zkmig(['zk', 'copy', A(t, '/pegasus/c1'), B(t, '/pegasus/c1'), '--on-exists', 'overwrite']);
    t.is(r.code, 1, r.out + r.err);
    t.regex(r.out, /Verify \(target\): FAILED: 1 missing on the target, 0 different, 0 only on the target\.\n {2}- \/pegasus\/c1\/apps\/1\/3/);
    t.regex(r.err, /\/pegasus\/c1\/apps\/1\/3 is an ephemeral node/);
  });
  // Once that session is gone the rerun repairs it.
  const again = await zkmig(['zk', 'copy', A(t, '/pegasus/c1'), B(t, '/pegasus/c1'), '--on-exists', 'overwrite']);
  t.is(again.code, 0, again.out + again.err);
  t.regex(again.out, /created 1/);
});

test.serial('ls shows children with sizes; ls -R a tree with node counts and bytes per subtree', async (t) => {
  const flat = await zkmig(['zk', 'ls', A(t, '/pegasus/c1/apps')]);
  t.is(flat.code, 0, flat.err);
  t.regex(flat.out, /^\/pegasus\/c1\/apps {2}6 B {2}\[3 children\]\n├── 1 {2}\d+ B {2}\[4 children\]/);
  const rec = await zkmig(['zk', 'ls', '-R', A(t, '/pegasus/c1'), '--depth', '1']);
  t.is(rec.code, 0, rec.err);
  t.regex(rec.out, /^\/pegasus\/c1 {2}0 B {2}\[20 nodes, [\d.]+ KiB\]/);
  t.regex(rec.out, /├── apps {2}6 B {2}\[16 nodes, [\d.]+ KiB\]\n│ {3}└── \.\.\. 3 children not shown \(--depth\)/);
  const j = JSON.parse((await zkmig(['zk', 'ls', '-R', A(t, '/pegasus/c1'), '--json'])).out);
  t.is(j.root.subtreeNodes, 20);
  t.is(j.root.children.find((c: { name: string }) => c.name === 'apps').children.length, 3);
});

test.serial('rm -r deletes a subtree with --yes, refuses without it, and never touches / or /zookeeper', async (t) => {
  await seedPegasusTree(t.context.b.connectString, { root: '/junk', apps: 2, partitions: 3 });
  const no = await zkmig(['zk', 'rm', '-r', B(t, '/junk')]);
  t.is(no.code, 2);
  t.regex(no.err, /refusing to delete \/junk without --yes/);
  const flat = await zkmig(['zk', 'rm', '--yes', B(t, '/junk')]);
  t.is(flat.code, 2);
  t.regex(flat.err, /has \d+ descendant node\(s\); use -r/);
  const dry = await zkmig(['zk', 'rm', '-r', '--dry-run', B(t, '/junk')]);
  t.is(dry.code, 0);
  t.regex(dry.out, /DRY RUN: would delete 13 node\(s\)/);
  await withSession(t.context.b.connectString, async (s) => t.not(await s.exists('/junk/apps/2/2'), null));
  const yes = await zkmig(['zk', 'rm', '-r', '--yes', B(t, '/junk')]);
  t.is(yes.code, 0, yes.err);
  t.regex(yes.out, /Deleted 13 node\(s\)/);
  await withSession(t.context.b.connectString, async (s) => t.is(await s.exists('/junk'), null));
  for (const p of ['/', '/zookeeper', '/zookeeper/quota']) {
    const r = await zkmig(['zk', 'rm', '-r', '--yes', B(t, p)]);
    t.is(r.code, 2, p);
    t.regex(r.err, /refusing to delete/);
  }
  const missing = await zkmig(['zk', 'rm', '-r', '--yes', B(t, '/no/such')]);
  t.is(missing.code, 2);
  t.regex(missing.err, /\/no\/such does not exist/);
});

test.serial('bad endpoints, paths and flags are rejected with a clear error and nothing written', async (t) => {
  const before = await digestTree({ endpoint: B(t, '/') });
  const src = A(t, '/pegasus/c1');
  const cases: [string[], RegExp][] = [
    [['zk', 'copy', 'nohost/x', B(t, '/x')], /source: bad ZooKeeper endpoint "nohost\/x".*not host:port/],
    [['zk', 'copy', src, '127.0.0.1:99999/x'], /target: bad ZooKeeper endpoint.*port 99999 out of range/],
    [['zk', 'copy', src, `${t.context.b.connectString}/a/../b`], /contains a "\.\." component/],
    [['zk', 'copy', src, `${t.context.b.connectString}/zookeeper/x`], /inside \/zookeeper/],
    [['zk', 'copy', A(t, '/does/not/exist'), B(t, '/x')], /source \/does\/not\/exist does not exist/],
    [['zk', 'copy', src, A(t, '/pegasus/c1/inside')], /overlap on the same ensemble/],
    [['zk', 'copy', src, B(t, '/x'), '--exclude', '/elsewhere'], /--exclude \/elsewhere is not under the tree/],
    [['zk', 'copy', src, B(t, '/x'), '--on-exists', 'clobber'], /Allowed choices are fail, overwrite, sync/],
    [['zk', 'copy', src, B(t, '/x'), '--batch-bytes', '10'], /--batch-bytes must be between 1024/],
    [['zk', 'copy', src, B(t, '/x'), '--auth', 'nopassword'], /--auth must be user:password/],
    [['zk', 'copy', src, '127.0.0.1:1/x', '--connect-timeout', '300'], /could not connect to the target ZooKeeper 127\.0\.0\.1:1 within 300 ms/],
    [['zk', 'diff', src, 'x'], /second tree: bad ZooKeeper endpoint/],
    [['zk', 'ls', `${t.context.a.connectString}relative`], /bad ZooKeeper endpoint/],
  ];
  for (const [args, re] of cases) {
    const r = await zkmig(args);
    t.is(r.code, 2, args.join(' '));
    t.regex(r.err, re, args.join(' '));
  }
  const bad = await zkmig(['zk', 'copy', src, B(t, '/x')], { env: { ZKMIG_ZK_AUTH: 'no-colon' } });
  t.regex(bad.err, /\$ZKMIG_ZK_AUTH must be user:password/);
  t.is((await digestTree({ endpoint: B(t, '/') })).digest, before.digest, 'the target ensemble is untouched');
});

test.serial('auth from $ZKMIG_ZK_AUTH reads and writes a protected tree', async (t) => {
  const carol = 'carol:secret';
  await withSession(
    t.context.a.connectString,
    async (s) => {
      await s.mkdirp('/prot');
      await createRaw(s, '/prot/x', Buffer.from('hidden'), [{ perms: PERM.ALL, scheme: 'digest', id: digestId(carol) }]);
    },
    carol,
  );
  const denied = await zkmig(['zk', 'copy', A(t, '/prot'), B(t, '/prot')]);
  t.is(denied.code, 2);
  t.regex(denied.err, /not authorized to read \/prot\/x/);
  const ok = await zkmig(['zk', 'copy', A(t, '/prot'), B(t, '/prot')], { env: { ZKMIG_ZK_AUTH: carol } });
  t.is(ok.code, 0, ok.err);
  t.regex(ok.out, /Verify \(target\): OK, 2 nodes/);
});

test.serial('a digest ACL the source session sees masked (user:x) is refused before anything is written; with --source-auth it is copied exactly', async (t) => {
  const alice = 'alice:wonderland';
  const aliceAll = { perms: PERM.ALL, scheme: 'digest', id: digestId(alice) };
  const worldRead = { perms: PERM.READ, scheme: 'world', id: 'anyone' };
  await withSession(
    t.context.a.connectString,
    async (s) => {
      await s.mkdirp('/masked/open');
      // World-readable, but ADMIN only for alice: another session reads it with her id as `alice:x`.
      await createRaw(s, '/masked/open/guarded', Buffer.from('g'), [worldRead, aliceAll]);
    },
    alice,
  );
  // What an unauthenticated session sees (the reason for the refusal).
  await withSession(t.context.a.connectString, async (s) => t.deepEqual(await aclOf(s, '/masked/open/guarded'), [worldRead, { perms: PERM.ALL, scheme: 'digest', id: 'alice:x' }]));
  const refused = await zkmig(['zk', 'copy', A(t, '/masked'), B(t, '/masked')]);
  t.is(refused.code, 2, refused.err);
  t.regex(refused.err, /1 node\(s\) masked as "user:x".*: \/masked\/open\/guarded\. .*nothing was written.*--source-auth/s);
  await withSession(t.context.b.connectString, async (s) => t.is(await s.exists('/masked'), null, 'nothing was created on the target'));

  const ok = await zkmig(['zk', 'copy', A(t, '/masked'), B(t, '/masked'), '--source-auth', alice, '--target-auth', alice]);
  t.is(ok.code, 0, ok.err);
  t.regex(ok.out, /Verify \(target\): OK, 3 nodes/);
  await withSession(t.context.b.connectString, async (s) => t.deepEqual(await aclOf(s, '/masked/open/guarded'), [worldRead, aliceAll]), alice);
});
