import anyTest, { TestFn } from 'ava';
import { copyTree, CopySummary, diffTrees, seedNodes, seedPegasusTree } from '../../coordinator/lib/zk';
import { isTimeout, isZkError } from '../../shared/errors';
import { startZk, ZkEnsemble } from '../harness/zookeeper';
import { createRaw, withSession } from './zk-helpers';

/**
 * The copy when the target misbehaves: a quorum member (the leader) restarted mid-copy, a
 * standalone target killed and restarted mid-copy, a node the target cannot take. In each case the
 * outcome is never a silent half-copy: the copy finishes and verifies, or fails with a clear error,
 * and a rerun with --on-exists overwrite converges to a verified copy.
 */

const test = anyTest as TestFn<{ src: ZkEnsemble; bigSrc: ZkEnsemble; cleanups: (() => Promise<void>)[] }>;

const SPEC = { root: '/pegasus/r1', apps: 24, partitions: 500 };
const NODES = 2 + 24 * 501 + 3;

test.before(async (t) => {
  // The second source accepts requests up to 4 MB, so it can hold a node no default server takes.
  const [src, bigSrc] = await Promise.all([startZk(), startZk({ jvmArgs: ['-Xmx512m', '-XX:+UseSerialGC', '-Djute.maxbuffer=4194304'] })]);
  t.context = { src: src.zk, bigSrc: bigSrc.zk, cleanups: [src.cleanup, bigSrc.cleanup] };
  await seedPegasusTree(src.zk.connectString, SPEC);
});

test.after.always(async (t) => {
  for (const c of t.context.cleanups ?? []) await c();
});

/** Run a copy and, once `at` nodes went through, call `disrupt` (without awaiting it inside the copy). */
async function copyWithDisruption(
  source: string,
  target: string,
  at: number,
  disrupt: () => Promise<void>,
  retryTimeoutMs = 45000,
): Promise<{ result: CopySummary | undefined; error: unknown; disrupted: Promise<void> | undefined }> {
  let disrupted: Promise<void> | undefined;
  try {
    const result = await copyTree({
      source,
      target,
      retryTimeoutMs,
      onProgress: (p) => {
        if (!disrupted && p.phase === 'copy' && p.nodes >= at) disrupted = disrupt();
      },
    });
    return { result, error: undefined, disrupted };
  } catch (error) {
    return { result: undefined, error, disrupted };
  }
}

test.serial('the target quorum leader restarted mid-copy: the copy recovers or fails clearly, and a rerun converges and verifies', async (t) => {
  let t0 = Date.now();
  const lap = (what: string): void => {
    t.log(`${what}: ${Date.now() - t0} ms`);
    t0 = Date.now();
  };
  const { zk: q, cleanup } = await startZk({ members: 3 });
  lap('start quorum');
  try {
    const modes = await Promise.all([1, 2, 3].map((i) => q.mode(i)));
    const leader = modes.indexOf('leader') + 1;
    t.true(leader > 0);
    const source = `${t.context.src.connectString}${SPEC.root}`;
    const target = `${q.connectString}${SPEC.root}`;
    const first = await copyWithDisruption(source, target, 3000, async () => {
      await q.killMember(leader);
      await q.restartMember(leader);
    });
    lap('first copy');
    await first.disrupted;
    lap('restart finished');
    t.truthy(first.disrupted, 'the leader was restarted while the copy ran');
    if (first.error) {
      t.true(isZkError(first.error) || (first.error as Error).message.length > 0, String(first.error));
      t.log(`first run failed cleanly: ${(first.error as Error).message}`);
    } else {
      t.true(first.result!.verify!.ok, 'a copy that survived verified');
      t.log(`first run survived: ${first.result!.stats.recoveries} batch(es) re-read and recovered`);
    }
    const rerun = await copyTree({ source, target, onExists: 'overwrite' });
    lap('rerun');
    t.true(rerun.verify?.ok);
    t.is(rerun.nodes, NODES);
    t.is(rerun.verify?.count.extra, 0, 'nothing extra or duplicated');
    const d = await diffTrees({ a: source, b: target });
    lap('diff');
    t.true(d.equal);
    t.is(d.nodes.b, NODES);
  } finally {
    await cleanup();
    lap('cleanup');
  }
});

test.serial('a standalone target killed and restarted mid-copy: the copy waits, re-reads what was unanswered, and finishes verified', async (t) => {
  const { zk: s, cleanup } = await startZk();
  try {
    const source = `${t.context.src.connectString}${SPEC.root}`;
    const target = `${s.connectString}/restarted`;
    const first = await copyWithDisruption(source, target, 3000, async () => {
      await s.killMember(1);
      await s.restartMember(1);
    });
    await first.disrupted;
    if (first.error) {
      // Acceptable only as a clear error; the rerun below must then converge.
      t.log(`first run failed: ${(first.error as Error).message}`);
      t.regex((first.error as Error).message, /ZooKeeper|target/);
    } else {
      t.true(first.result!.verify!.ok);
      t.is(first.result!.created, NODES);
    }
    const rerun = await copyTree({ source, target, onExists: 'overwrite' });
    t.true(rerun.verify?.ok);
    t.true((await diffTrees({ a: source, b: target })).equal);
  } finally {
    await cleanup();
  }
});

test.serial('a target that stops answering (SIGSTOP) fails the copy after --retry-timeout instead of hanging', async (t) => {
  const { zk: s, cleanup } = await startZk();
  const pid = s.pids()[0]!;
  try {
    const t0 = Date.now();
    const first = await copyWithDisruption(`${t.context.src.connectString}${SPEC.root}`, `${s.connectString}/frozen`, 2000, async () => {
      process.kill(pid, 'SIGSTOP');
    }, 3000);
    t.truthy(first.error, 'the copy did not pretend to succeed');
    t.true(isTimeout(first.error), String(first.error));
    t.regex((first.error as Error).message, /did not answer/);
    t.true(Date.now() - t0 < 30000, 'it gave up within the deadline, not after a hang');
  } finally {
    process.kill(pid, 'SIGCONT');
    await cleanup();
  }
});

test.serial('the target session expires mid-copy (server frozen past the session timeout): a new session takes over and the copy finishes verified', async (t) => {
  const { zk: s, cleanup } = await startZk();
  const pid = s.pids()[0]!;
  try {
    // Whether the server expires the sessions when it runs again or first reads the client's queued
    // pings (which touch them) is a race inside ZooKeeper; a longer freeze makes the expiry likelier.
    // Each attempt copies to a fresh path; the assertions are on the attempt that saw an expiry.
    for (const [i, freezeMs] of [4000, 8000, 12000].entries()) {
      let stopped: Promise<void> | undefined;
      const target = `${s.connectString}/expired${i}`;
      const r = await copyTree({
        source: `${t.context.src.connectString}${SPEC.root}`,
        target,
        sessionTimeoutMs: 1500,
        retryTimeoutMs: 30000,
        onProgress: (p) => {
          if (stopped || p.phase !== 'copy' || p.nodes < 3000) return;
          process.kill(pid, 'SIGSTOP');
          stopped = new Promise((resolve) => setTimeout(resolve, freezeMs)).then(() => void process.kill(pid, 'SIGCONT'));
        },
      });
      await stopped;
      t.truthy(stopped);
      t.true(r.verify?.ok);
      t.is(r.created, NODES);
      t.true((await diffTrees({ a: `${t.context.src.connectString}${SPEC.root}`, b: target })).equal);
      if (r.stats.expiredSessions > 0) return;
      t.log(`frozen ${freezeMs} ms: the server read the queued pings before expiring the sessions; freezing longer`);
    }
    t.fail('the target sessions never expired: the expiry path was not exercised');
  } finally {
    process.kill(pid, 'SIGCONT');
    await cleanup();
  }
});

test.serial('a node larger than the target accepts is refused with an error naming it; excluding it, the rerun converges', async (t) => {
  const { zk: dst, cleanup } = await startZk();
  try {
    const src = t.context.bigSrc.connectString;
    await seedNodes(src, [
      { path: '/huge', data: Buffer.from('root') },
      { path: '/huge/a', data: Buffer.from('small') },
    ]);
    await withSession(src, async (s) => {
      await createRaw(s, '/huge/blob', Buffer.alloc(1_500_000, 7));
      await createRaw(s, '/huge/z', Buffer.from('after'));
    });
    const e = await t.throwsAsync(copyTree({ source: `${src}/huge`, target: `${dst.connectString}/huge` }));
    t.true(isZkError(e));
    t.regex(e!.message, /closed the connection each time zkmig tried to create \/huge\/blob \(1,500,000 bytes of data\).*jute\.maxbuffer/);
    const r = await copyTree({ source: `${src}/huge`, target: `${dst.connectString}/huge`, onExists: 'overwrite', excludes: ['blob'] });
    t.true(r.verify?.ok);
    t.is(r.nodes, 3);
    await withSession(dst.connectString, async (s) => t.deepEqual((await s.getChildren('/huge')).sort(), ['a', 'z']));
  } finally {
    await cleanup();
  }
});
