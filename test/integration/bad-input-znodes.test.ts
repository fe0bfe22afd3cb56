/**
 * ZooKeeper data as bad input to `zkmig zk copy` (issue 9), through the CLI against real servers:
 * binary data (not bad input, but it must copy byte for byte), and a node larger than the target
 * accepts (the target runs with a smaller jute.maxbuffer): exit 2 with an error naming the znode,
 * the source unchanged, and on the target only complete, correct nodes (no half-written node).
 * The copy engine's library tests (zk-copy.test.ts, zk-resilience.test.ts) cover the rerun.
 */
import anyTest, { TestFn } from 'ava';
import * as crypto from 'node:crypto';
import { fingerprint } from '../../coordinator/lib/zk/tree-read';
import { startZk, ZkEnsemble } from '../harness/zookeeper';
import { createRaw, getRaw, listAll, withSession, zkmig } from './zk-helpers';

interface Ctx {
  src: ZkEnsemble;
  /** A target that refuses requests over 600,000 bytes. */
  small: ZkEnsemble;
  cleanups: (() => Promise<void>)[];
}
const test = anyTest as TestFn<Ctx>;
const SMALL_MAXBUFFER = 600_000;

test.before(async (t) => {
  const [src, small] = await Promise.all([startZk(), startZk({ jvmArgs: ['-Xmx256m', '-XX:+UseSerialGC', `-Djute.maxbuffer=${SMALL_MAXBUFFER}`] })]);
  t.context = { src: src.zk, small: small.zk, cleanups: [src.cleanup, small.cleanup] };
});

test.after.always(async (t) => {
  for (const c of t.context.cleanups ?? []) await c();
});

test.serial('binary znode data (every byte value, invalid UTF-8, NULs, random) is copied byte-exactly by zkmig zk copy', async (t) => {
  const src = t.context.src.connectString;
  const rnd = crypto.randomBytes(70_000);
  const blobs: Record<string, Buffer | null> = {
    '/bin/all-bytes': Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i)),
    '/bin/not-utf8': Buffer.from([0xff, 0xfe, 0xc0, 0x80, 0xed, 0xa0, 0x80]),
    '/bin/nuls': Buffer.alloc(100),
    '/bin/random': rnd,
    '/bin/null': null,
    '/bin/empty': Buffer.alloc(0),
  };
  await withSession(src, async (s) => {
    await s.mkdirp('/bin');
    for (const [p, d] of Object.entries(blobs)) await createRaw(s, p, d);
  });
  const r = await zkmig(['zk', 'copy', `${src}/bin`, `${src}/bin-copy`]);
  t.is(r.code, 0, r.err);
  await withSession(src, async (s) => {
    for (const [p, d] of Object.entries(blobs)) {
      const got = (await getRaw(s, p.replace('/bin/', '/bin-copy/'))).data;
      if (d === null) t.is(got, null, p);
      else t.true(got !== null && got.equals(d), p);
    }
  });
  const diff = await zkmig(['zk', 'diff', `${src}/bin`, `${src}/bin-copy`]);
  t.is(diff.code, 0, diff.out);
});

test.serial('a znode bigger than the target accepts: exit 2 naming it, source unchanged, no half-written node on the target', async (t) => {
  const src = t.context.src.connectString;
  const dst = t.context.small.connectString;
  const big = Buffer.alloc(700_000, 0xab);
  await withSession(src, async (s) => {
    await s.mkdirp('/app/a');
    await s.create('/app/a/small', Buffer.from('fits'));
    await createRaw(s, '/app/huge', big);
    await s.create('/app/z', Buffer.from('after the big one'));
  });
  const before = await fingerprint(src, '/app');
  const r = await zkmig(['zk', 'copy', `${src}/app`, `${dst}/app`, '--retry-timeout', '15000']);
  t.is(r.code, 2, r.out);
  t.regex(r.err, /^Error: the target .* closed the connection each time zkmig tried to create \/app\/huge \(700,000 bytes of data\)\..*jute\.maxbuffer/);
  const after = await fingerprint(src, '/app');
  t.is(after.digest, before.digest, 'source tree unchanged');
  t.is(after.maxMzxid, before.maxMzxid, 'nothing written to the source');
  // The target keeps what was written before the failure (documented: rerun with --on-exists
  // overwrite, e.g. with --exclude huge), and every node on it is a complete copy of the source's.
  await withSession(dst, async (d) => {
    const exists = await d.exists('/app');
    if (!exists) return t.pass();
    const paths = await listAll(d, '/app');
    t.log(`target after the failure: ${paths.join(' ')}; ${r.err.trim()}`);
    t.false(paths.includes('/app/huge'), 'the oversized node was not created');
    await withSession(src, async (s) => {
      for (const p of paths) {
        const a = (await getRaw(s, p)).data;
        const b = (await getRaw(d, p)).data;
        t.true(a === b || (a !== null && b !== null && a.equals(b)), `${p} on the target equals the source`);
      }
    });
  });
});
