import type { ExecutionContext } from 'ava';
import { SimZkContext, simZkTest } from '../harness/sim-fixture';
import { AppInfo, PartitionConfig } from '../../sim/common/types';
import { AppStore, READ_WINDOW } from '../../sim/meta/app-store';
import { Logger } from '../../sim/common/log';
import { seedApp, seedTree } from '../../sim/testing';

/**
 * The leader's load of `<cluster_root>/apps` is pipelined as in src/meta/server_state.cpp,
 * server_state::sync_apps_from_remote_storage (every get_data issued asynchronously, then a wait for
 * all), within a bounded window, its getData batched into multiRead requests on ZooKeeper 3.6+ or
 * sent one by one. The storage layer counts its reads in flight and the requests they took; no
 * timing is asserted.
 */

const test = simZkTest();

const crash = (module: string, msg: string): never => {
  throw new Error(`crash in ${module}: ${msg}`);
};

async function pipelineTree(t: ExecutionContext<SimZkContext>, root: string): Promise<{ info: AppInfo; parts: PartitionConfig[] }[]> {
  const apps = [seedApp(1, 'a', 16), seedApp(2, 'b', 8), { ...seedApp(3, 'c', 8) }];
  apps[2]!.info.status = 'AS_DROPPED';
  // One partition node missing below init_partition_count: re-created, as Pegasus does ("may half create before").
  await seedTree(t.context.s, root, apps, { skip: [`${root}/apps/2/5`] });
  return apps;
}

for (const multiRead of [true, false]) {
  test.serial(`the tree load (${multiRead ? 'multiRead batches' : 'one getData a node'}) keeps several reads in flight, never more than its window, and reads every node once`, async (t) => {
    const root = `/pegasus/pipe-${multiRead ? 'multi' : 'single'}`;
    const apps = await pipelineTree(t, root);
    const store = new AppStore(t.context.s, `${root}/apps`, new Logger('test'), crash, 8, multiRead);
    const loaded = await store.load();
    t.truthy(loaded);
    t.deepEqual([...loaded!.keys()].sort(), [1, 2, 3]);
    t.deepEqual(
      [...loaded!.values()].map((a) => [a.info.app_name, a.info.status, a.partitions.map((p) => p.pid).join(',')]),
      apps.map((a) => [a.info.app_name, a.info.status === 'AS_AVAILABLE' ? 'AS_CREATING' : 'AS_DROPPING', a.parts.map((p) => p.pid).join(',')]),
    );
    t.not(await t.context.s.exists(`${root}/apps/2/5`), null, 'the missing partition node was re-created');
    t.is(store.loadStats.reads, 3 + 16 + 8 + 8, 'one get_data per app and partition node');
    t.true(store.loadStats.maxOutstanding > 1, `reads were pipelined (at most ${store.loadStats.maxOutstanding} in flight)`);
    t.true(store.loadStats.maxOutstanding <= 8, 'never more than the window in flight');
    // ZooKeeper 3.8 answers multiRead: 3 app reads in one request, 32 partition reads in 4 of 8.
    if (multiRead) t.is(store.loadStats.requests, 1 + 4, 'the reads went in multiRead batches of at most the window');
    else t.is(store.loadStats.requests, store.loadStats.reads, 'one request per read');
    t.true(READ_WINDOW > 1 && READ_WINDOW <= 1000, 'the default window is bounded');

    // Window 1 is the node-by-node load (what the bench compares against).
    const serial = new AppStore(t.context.s, `${root}/apps`, new Logger('test'), crash, 1, multiRead);
    t.is((await serial.load())!.size, 3);
    t.is(serial.loadStats.maxOutstanding, 1);
    t.is(serial.loadStats.requests, serial.loadStats.reads);
  });
}

for (const multiRead of [true, false]) {
  test.serial(`a bad partition node still crashes the pipelined load with the path named (${multiRead ? 'multiRead' : 'getData'})`, async (t) => {
    const root = `/pegasus/pipe-bad-${multiRead ? 'multi' : 'single'}`;
    const apps = [seedApp(1, 'a', 4), seedApp(2, 'b', 4)];
    await seedTree(t.context.s, root, apps, { raw: { [`${root}/apps/2/3`]: '{"pid":"2.1","ballot":1}' } });
    const store = new AppStore(t.context.s, `${root}/apps`, new Logger('test'), crash, READ_WINDOW, multiRead);
    await t.throwsAsync(() => store.load(), { message: new RegExp(`invalid partition config \\(${root}/apps/2/3 holds pid 2\\.1\\)`) });
  });
}
