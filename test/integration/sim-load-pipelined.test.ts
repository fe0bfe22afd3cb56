import { simZkTest } from '../harness/sim-fixture';
import { AppStore, READ_WINDOW } from '../../sim/meta/app-store';
import { Logger } from '../../sim/common/log';
import { seedApp, seedTree } from '../../sim/testing';

/**
 * The leader's load of `<cluster_root>/apps` is pipelined as in src/meta/server_state.cpp,
 * server_state::sync_apps_from_remote_storage (every get_data issued asynchronously, then a wait for
 * all), within a bounded window. The storage layer counts its reads in flight; no timing is asserted.
 */

const test = simZkTest();

const crash = (module: string, msg: string): never => {
  throw new Error(`crash in ${module}: ${msg}`);
};

test.serial('the tree load keeps several reads in flight, never more than its window, and reads every node once', async (t) => {
  const root = '/pegasus/pipe';
  const apps = [seedApp(1, 'a', 16), seedApp(2, 'b', 8), { ...seedApp(3, 'c', 8) }];
  apps[2]!.info.status = 'AS_DROPPED';
  // One partition node missing below init_partition_count: re-created, as Pegasus does ("may half create before").
  await seedTree(t.context.s, root, apps, { skip: [`${root}/apps/2/5`] });
  const store = new AppStore(t.context.s, `${root}/apps`, new Logger('test'), crash, 8);
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
  t.true(READ_WINDOW > 1 && READ_WINDOW <= 1000, 'the default window is bounded');

  // Window 1 is the node-by-node load (what the bench compares against).
  const serial = new AppStore(t.context.s, `${root}/apps`, new Logger('test'), crash, 1);
  t.is((await serial.load())!.size, 3);
  t.is(serial.loadStats.maxOutstanding, 1);
});

test.serial('a bad partition node still crashes the pipelined load with the path named', async (t) => {
  const root = '/pegasus/pipe-bad';
  const apps = [seedApp(1, 'a', 4), seedApp(2, 'b', 4)];
  await seedTree(t.context.s, root, apps, { raw: { [`${root}/apps/2/3`]: '{"pid":"2.1","ballot":1}' } });
  const store = new AppStore(t.context.s, `${root}/apps`, new Logger('test'), crash);
  await t.throwsAsync(() => store.load(), { message: /invalid partition config \(\/pegasus\/pipe-bad\/apps\/2\/3 holds pid 2\.1\)/ });
});
