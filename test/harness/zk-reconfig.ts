import * as path from 'node:path';
import { DynamicEnsemble, DynamicEnsembleOptions } from '../../coordinator/lib/zk-dynamic';
import { tempDir } from './tmp';

export { DynamicEnsemble };

/** The digest super user the reconfig tests use (production ensembles have ACLs; skipACL is not assumed). */
export const SUPER = 'super:zkmig-test';

/**
 * Start a real ZooKeeper ensemble with dynamic reconfiguration on (Debian's 3.8, loopback ports)
 * for a test file; pair with `cleanup()` in `test.after.always`. A watchdog kills the servers if
 * the worker dies, and the posttest reaper sweeps the `-Dzkmig.owner` marker.
 */
export async function startReconfigZk(opts: Partial<DynamicEnsembleOptions> = {}): Promise<{ zk: DynamicEnsemble; cleanup: () => Promise<void> }> {
  const tmp = tempDir('zkmig-zkdyn-');
  const zk = await DynamicEnsemble.start({ baseDir: path.join(tmp.dir, 'zk'), marker: `pid-${process.pid}`, superUser: SUPER, ...opts });
  return {
    zk,
    cleanup: async () => {
      await zk.stop();
      tmp.cleanup();
    },
  };
}
