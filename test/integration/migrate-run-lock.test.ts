import anyTest, { TestFn } from 'ava';
import { isPrecondition } from '../../shared/errors';
import { RunLock } from '../../coordinator/lib/migrate/run-lock';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { startZk, ZkEnsemble } from '../harness/zookeeper';
import { waitFor } from '../harness/tmp';

const test = anyTest as TestFn<{ zk: ZkEnsemble; cleanup: () => Promise<void> }>;
test.before(async (t) => {
  t.context = await startZk();
});
test.after.always(async (t) => t.context.cleanup?.());

test('a second coordinator is refused while the first holds the lock, and may take it after release', async (t) => {
  const a = await RunLock.acquire(t.context.zk.connectString, 'c1', 'run-a');
  const err = await t.throwsAsync(() => RunLock.acquire(t.context.zk.connectString, 'c1', 'run-b'));
  t.true(isPrecondition(err));
  t.regex(err!.message, /already being migrated by run run-a \(pid \d+/);
  const other = await RunLock.acquire(t.context.zk.connectString, 'c2', 'run-c');
  await other.release();
  await a.release();
  const b = await RunLock.acquire(t.context.zk.connectString, 'c1', 'run-b');
  await b.release();
});

test('the lock of a coordinator killed with SIGKILL frees itself when its session expires', async (t) => {
  const mod = path.join(__dirname, '../../coordinator/lib/migrate/run-lock.js');
  const script = `require(${JSON.stringify(mod)}).RunLock.acquire(process.argv[1], 'c3', 'run-killed', { sessionTimeoutMs: 1000 }).then(() => { console.log('held'); setInterval(() => {}, 1e9); })`;
  const child = spawn(process.execPath, ['-e', script, t.context.zk.connectString], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d) => String(d).includes('held') && resolve());
    child.on('exit', (c) => reject(new Error(`lock holder exited ${c}`)));
  });
  await t.throwsAsync(() => RunLock.acquire(t.context.zk.connectString, 'c3', 'run-b'), { message: /run-killed/ });
  child.kill('SIGKILL');
  const b = await waitFor(
    'the lock to be free again',
    async () => {
      try {
        return await RunLock.acquire(t.context.zk.connectString, 'c3', 'run-b');
      } catch {
        return undefined;
      }
    },
    15000,
  );
  await b.release();
  t.pass();
});
