/**
 * One measured load of the sim-load benchmark, in a fresh process as a meta that just became leader
 * (cold JIT, one ZooKeeper session):
 *   node dist/bench/_sim-load-child.js '{"hosts": ..., "appsRoot": ..., "window": 128 | "all", "fastReplies": true}'
 * Prints one JSON line: AppStore.loadStats plus the apps and partitions loaded.
 */
import { ZkSession } from '../shared/zk/client';
import { Logger } from '../sim/common/log';
import { AppStore } from '../sim/meta/app-store';

interface Args {
  hosts: string;
  appsRoot: string;
  window: number | 'all';
  fastReplies: boolean;
  /** @default true */
  multiRead?: boolean;
}

async function main(a: Args): Promise<void> {
  const s = await ZkSession.connect(a.hosts, { sessionTimeoutMs: 30000, fastReplies: a.fastReplies });
  try {
    const crash = (m: string, msg: string): never => {
      throw new Error(`${m}: ${msg}`);
    };
    const store = new AppStore(s, a.appsRoot, new Logger('bench'), crash, a.window === 'all' ? Infinity : a.window, a.multiRead !== false);
    const apps = await store.load();
    const partitions = [...(apps?.values() ?? [])].reduce((n, app) => n + app.partitions.length, 0);
    process.stdout.write(JSON.stringify({ ...store.loadStats, apps: apps?.size ?? 0, partitions }) + '\n');
  } finally {
    s.close();
  }
}

main(JSON.parse(process.argv[2] ?? '{}') as Args).catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
