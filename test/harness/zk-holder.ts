/**
 * A process that starts a standalone ZooKeeper with the harness, prints the server's pid and waits
 * forever. The harness test SIGKILLs it to prove the watchdog takes the server down with it.
 */
import { startZk } from './zookeeper';

startZk().then(
  ({ zk }) => {
    process.stdout.write(`${zk.pids()[0]}\n`);
    setInterval(() => undefined, 1 << 30);
  },
  (e: unknown) => {
    process.stderr.write(`${String(e)}\n`);
    process.exit(1);
  },
);
