import * as path from 'node:path';
import { simZkTest } from '../harness/sim-fixture';
import { waitFor } from '../harness/tmp';
import { SimCluster } from '../../sim/cluster';
import { appInfoCompatibleEqual, defaultAppInfo } from '../../sim/common/types';

/**
 * Dropped tables as Pegasus keeps them (src/meta/server_state.cpp on_config_sync): their replicas stay
 * on disk until expire_second has passed AND the level is above steady; then the meta tells the replica
 * servers to garbage-collect them. `recover` compares app_infos with app_info_compatible_equal
 * (src/meta/server_state.h), which ignores envs, duplicating, init_partition_count, is_bulk_loading.
 */

const test = simZkTest();

test.serial('replicas of a dropped table survive expire_second at steady and are deleted only above steady', async (t) => {
  const c = await SimCluster.create({ baseDir: path.join(t.context.tmp.dir, 'dr'), zkHosts: t.context.zk.connectString, clusterName: 'dr' });
  t.context.clusters.push(c);
  c.startAll();
  await c.createTable('temp', 2, 3);
  await c.waitHealthy();
  const held = (): boolean => c.replicas.some((_, i) => [...c.replicaState(i).keys()].some((pid) => pid.startsWith('2.')));
  t.true(held());
  const drop = await c.shell('drop temp -r 1');
  t.regex(drop.stdout, /drop app temp succeed/);
  // Expired, but the level is steady: kept, and the meta says why.
  const metaLogs = (): string => c.metas.map((m) => c.log(m)).join('\n');
  await waitFor('the meta to keep the expired replicas at steady', () => /is of dropped and expired table, but current function level is fl_steady, do not delete it for safety reason/.test(metaLogs()), 60000);
  t.true(held(), 'dropped replicas stay on disk at steady');
  // Above steady they go.
  t.regex((await c.shell('set_meta_level lively')).stdout, /control meta level ok/);
  await waitFor('the dropped replicas to be garbage-collected', () => !held(), 60000);
  t.regex(metaLogs(), /notify node\(\S+\) to gc replica\(2\.\d\) coz the app is dropped and expired/);
  t.true([...c.replicaState(0).keys()].some((pid) => pid.startsWith('1.')), 'other tables are untouched');
});

test('app_info_compatible_equal compares only the fields server_state.h names', (t) => {
  const a = { ...defaultAppInfo(), status: 'AS_AVAILABLE' as const, app_type: 'pegasus', app_name: 'x', app_id: 3, partition_count: 8, is_stateful: true, max_replica_count: 3, create_second: 100 };
  t.true(appInfoCompatibleEqual(a, { ...a, envs: { 'replica.deny_client_request': 'timeout*all' }, duplicating: true, init_partition_count: 4, is_bulk_loading: true }));
  for (const k of ['max_replica_count', 'partition_count', 'expire_second', 'create_second', 'drop_second', 'app_id'] as const) {
    t.false(appInfoCompatibleEqual(a, { ...a, [k]: (a[k] as number) + 1 }), k);
  }
  t.false(appInfoCompatibleEqual(a, { ...a, app_name: 'y' }));
  t.false(appInfoCompatibleEqual(a, { ...a, status: 'AS_DROPPED' }));
});
