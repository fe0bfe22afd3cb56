/**
 * A run lock released while the ZooKeeper server its session sits on has stopped answering (a hung
 * host; SIGSTOP here, so the kernel still holds the connection open): the release gives up on the
 * delete within its bound and the coordinator process still exits by itself. Found by the reconfig
 * test whose SIGSTOPped joiner carried the lock session: the coordinator waited for ever.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { startZk } from '../harness/zookeeper';

test('a lock released against a SIGSTOPped server: release returns and the process exits on its own', async (t) => {
  const z = await startZk();
  const [pid] = z.zk.pids();
  t.truthy(pid);
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'harness', 'run-lock-main.js'), z.zk.connectString], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', () => out.includes('held\n') && resolve());
      child.on('exit', () => reject(new Error(`exited before holding the lock: ${out}${err}`)));
    });
    process.kill(pid!, 'SIGSTOP');
    child.stdin.end('release\n');
    // Bounded by the release's own deadline (3 s) and the closed session's grace (3 s); the guard
    // only turns a hang into a failure instead of the worker's 20-minute kill.
    const guard = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 60_000).unref());
    const code = await Promise.race([exited, guard]);
    t.is(code, 0, `${out}${err}`);
    t.regex(out, /released/);
  } finally {
    child.kill('SIGKILL');
    process.kill(pid!, 'SIGCONT');
    await z.cleanup();
  }
});
