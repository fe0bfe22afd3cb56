/**
 * A run lock released while the ZooKeeper server its session sits on has stopped answering (a hung
 * host; SIGSTOP here, so the kernel still holds the connection open). Found by the reconfig test
 * whose SIGSTOPped joiner carried the lock session: first the coordinator waited for ever; then,
 * with a bounded release, the lock outlived the run until its session expired, and the next test's
 * run was refused as "already being migrated".
 *   - a standalone server: the release gives up within its bounds and the process exits by itself;
 *   - a follower of a quorum: the session moves to another server and the lock is deleted there at
 *     once, not at session expiry.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { ZkSession } from '../../shared/zk/client';
import { startZk } from '../harness/zookeeper';

const LOCK = '/zkmig/locks/hung';
/** The lock session's timeout in run-lock-main.ts. */
const SESSION_MS = 10_000;

/** run-lock-main.ts on `hosts`: resolves with the port of the server its session sits on. */
function lockHolder(hosts: string): { held: Promise<number>; release: () => Promise<{ code: number | 'hung'; out: string }>; kill: () => void } {
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'harness', 'run-lock-main.js'), hosts], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const held = new Promise<number>((resolve, reject) => {
    child.stdout.on('data', () => {
      const m = /held (\d+)\n/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', () => reject(new Error(`exited before holding the lock: ${out}`)));
  });
  return {
    held,
    release: async () => {
      child.stdin.end('release\n');
      // The guard only turns a hang into a failure instead of the worker's 20-minute kill.
      const guard = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 60_000).unref());
      const code = await Promise.race([exited, guard]);
      return { code: code ?? -1, out };
    },
    kill: () => child.kill('SIGKILL'),
  };
}

test('a lock released against a SIGSTOPped server: release returns and the process exits on its own', async (t) => {
  const z = await startZk();
  const [pid] = z.zk.pids();
  t.truthy(pid);
  const h = lockHolder(z.zk.connectString);
  try {
    await h.held;
    process.kill(pid!, 'SIGSTOP');
    const r = await h.release();
    t.is(r.code, 0, r.out);
    t.regex(r.out, /released/);
  } finally {
    h.kill();
    process.kill(pid!, 'SIGCONT');
    await z.cleanup();
  }
});

test('a lock released against a SIGSTOPped follower of a quorum: the session moves to the other follower and the lock is deleted there at once', async (t) => {
  const z = await startZk({ members: 3 });
  const modes = await Promise.all(z.zk.members.map((m) => z.zk.mode(m.id)));
  const followers = z.zk.members.filter((_, i) => modes[i] === 'follower');
  const leader = z.zk.members.find((_, i) => modes[i] === 'leader');
  t.is(followers.length, 2, modes.join(','));
  // Only the followers in the connect string: stopping either leaves the quorum whole.
  const h = lockHolder(followers.map((m) => `127.0.0.1:${m.clientPort}`).join(','));
  let stopped: number | undefined;
  try {
    const port = await h.held;
    stopped = followers.find((m) => m.clientPort === port)?.proc?.pid;
    t.truthy(stopped, `the session sits on ${port}, one of the followers`);
    process.kill(stopped!, 'SIGSTOP');
    const t0 = Date.now();
    const r = await h.release();
    t.is(r.code, 0, r.out);
    const s = await ZkSession.connect(`127.0.0.1:${leader!.clientPort}`, { sessionTimeoutMs: 10000 });
    try {
      const left = await s.exists(LOCK);
      const ms = Date.now() - t0;
      t.true(ms < SESSION_MS - 1000, `released and checked within ${ms} ms: too slow to tell a delete from the session's expiry`);
      t.is(left, null, `the lock was still there ${ms} ms after the release started: left to expire with the session`);
    } finally {
      s.close();
    }
  } finally {
    h.kill();
    if (stopped) process.kill(stopped, 'SIGCONT');
    await z.cleanup();
  }
});
