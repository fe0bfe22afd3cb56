import * as path from 'node:path';
import { ZkEnsemble, ZkServerOptions } from '../../coordinator/lib/zk-server';
import { tempDir } from './tmp';

export { ZkEnsemble };

/**
 * Start a real ZooKeeper (Debian package) for a test file. Always pair with `ensemble.stop()` and
 * `cleanup()` in `test.after.always`; a watchdog kills the servers anyway if the worker dies, and
 * `npm test`'s posttest reaper (`reap.ts`) sweeps whatever is left.
 */
export async function startZk(opts: Partial<ZkServerOptions> = {}): Promise<{ zk: ZkEnsemble; cleanup: () => Promise<void> }> {
  const tmp = tempDir('zkmig-zk-');
  const zk = await ZkEnsemble.start({ baseDir: path.join(tmp.dir, 'zk'), marker: `pid-${process.pid}`, ...opts });
  return {
    zk,
    cleanup: async () => {
      await zk.stop();
      tmp.cleanup();
    },
  };
}
