import anyTest, { TestFn } from 'ava';
import { ZkSession } from '../../shared/zk/client';
import { SimCluster } from '../../sim/cluster';
import { tempDir } from './tmp';
import { startZk, ZkEnsemble } from './zookeeper';

/** Context of a simulator test file: one ZooKeeper, a session on it, a temp dir, and the clusters it made. */
export interface SimZkContext {
  zk: ZkEnsemble;
  s: ZkSession;
  tmp: { dir: string; cleanup: () => void };
  /** Push every SimCluster here: the file's teardown closes them. */
  clusters: SimCluster[];
  cleanup: () => Promise<void>;
}

/** The typed `test` of such a file, with its before / after.always hooks registered. */
export function simZkTest(): TestFn<SimZkContext> {
  const test = anyTest as TestFn<SimZkContext>;
  test.before(async (t) => {
    const z = await startZk();
    const s = await ZkSession.connect(z.zk.connectString, { sessionTimeoutMs: 10000 });
    t.context = { zk: z.zk, s, tmp: tempDir('zkmig-sim-'), clusters: [], cleanup: z.cleanup };
  });
  test.after.always(async (t) => {
    for (const c of t.context.clusters ?? []) await c.close();
    t.context.s?.close();
    await t.context.cleanup?.();
    t.context.tmp?.cleanup();
  });
  return test;
}
