/**
 * A coordinator's run lock in a process of its own, for the test of a lock released against a server
 * that stopped answering (run-lock-hung.test.ts): takes the lock on argv[2], says "held", releases
 * it when a line arrives on stdin, says "released", and then must exit by itself (nothing calls
 * process.exit: a socket left open would keep it alive, which is what the test looks for).
 */
import { RunLock } from '../../coordinator/lib/migrate/run-lock';

async function main(): Promise<void> {
  const lock = await RunLock.acquire(process.argv[2]!, 'hung', 'run-hung', { sessionTimeoutMs: 10000 });
  process.stdout.write('held\n');
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  process.stdin.pause();
  await lock.release();
  process.stdout.write('released\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
