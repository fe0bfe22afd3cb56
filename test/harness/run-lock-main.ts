/**
 * A coordinator's run lock in a process of its own, for the test of a lock released against a server
 * that stopped answering (run-lock-hung.test.ts): takes the lock on argv[2], says "held PORT" (the
 * server its session sits on), releases
 * it when a line arrives on stdin, says "released", and then must exit by itself (nothing calls
 * process.exit: a socket left open would keep it alive, which is what the test looks for).
 */
import { RunLock } from '../../coordinator/lib/migrate/run-lock';
import { manager } from '../../shared/zk/client-internals';
import type { ZkSession } from '../../shared/zk/client';

async function main(): Promise<void> {
  const lock = await RunLock.acquire(process.argv[2]!, 'hung', 'run-hung', { sessionTimeoutMs: 10000 });
  // The server the lock's session sits on, for the test to stop that one.
  const session = (lock as unknown as { session: ZkSession }).session;
  process.stdout.write(`held ${manager(session.client)?.socket?.remotePort ?? 0}\n`);
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  process.stdin.pause();
  await lock.release();
  process.stdout.write('released\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
