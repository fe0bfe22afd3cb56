import * as path from 'node:path';
import { simZkTest } from '../harness/sim-fixture';
import { waitFor } from '../harness/tmp';
import { SimCluster } from '../../sim/cluster';
import { decodeAppInfo } from '../../sim/common/types';
import { appsPath, getText, mzxid } from '../../sim/testing';

/**
 * Writes that `blind` does not stop: duplication progress nodes, bulk load (which sets the level to
 * steady) and cold backup policies, started with the real shell commands.
 */

const test = simZkTest();

test.serial('add_dup progress nodes keep being written at blind; start_bulk_load lifts blind to steady; add_backup_policy writes backup/ when enabled', async (t) => {
  const c = await SimCluster.create({
    baseDir: path.join(t.context.tmp.dir, 'wr'),
    zkHosts: t.context.zk.connectString,
    clusterName: 'wr',
    extraKeys: [
      { section: 'replication', key: 'duplication_sync_period_second', value: '1' },
      { section: 'meta_server', key: 'cold_backup_disabled', value: 'false' },
    ],
  });
  t.context.clusters.push(c);
  const s = t.context.s;
  c.startAll();
  await c.createTable('temp', 2, 3);
  await c.waitHealthy();

  const dup = await c.shell('add_dup temp remote_cluster');
  const m = /^adding duplication succeed \[app: temp, remote: remote_cluster, appid: 2, dupid: (\d+)\], checkpoint: false$/m.exec(dup.stdout);
  t.truthy(m, dup.stdout + dup.stderr);
  const dupPath = `${appsPath(c)}/2/duplication/${m![1]!}`;
  t.like(JSON.parse(await getText(s, dupPath)), { remote: 'remote_cluster', status: 'DS_LOG' });
  t.true(decodeAppInfo(await getText(s, `${appsPath(c)}/2`))!.duplicating);
  await waitFor('progress nodes', async () => (await s.exists(`${dupPath}/1`)) !== null, 30000);

  // At blind the progress nodes keep moving.
  t.regex((await c.shell('set_meta_level blind')).stdout, /control meta level ok/);
  const z0 = await mzxid(s, `${dupPath}/0`);
  await waitFor('a progress write at blind', async () => (await mzxid(s, `${dupPath}/0`)) > z0, 30000);
  t.regex((await c.shell('get_meta_level')).stdout, /fl_blind/);

  // Bulk load sets the level to steady and writes bulk_load/<app_id>.
  const bl = await c.shell('start_bulk_load -a temp -c remote_cluster -p local_service -r /bulk');
  t.regex(bl.stdout, /^start bulk load succeed$/m);
  t.regex((await c.shell('get_meta_level')).stdout, /^current meta level is fl_steady$/m);
  t.like(JSON.parse(await getText(s, `${c.opts.clusterRoot}/bulk_load/2`)), { app_name: 'temp', cluster_name: 'remote_cluster' });
  t.true(decodeAppInfo(await getText(s, `${appsPath(c)}/2`))!.is_bulk_loading);

  // Backup policies live under backup/.
  await c.shell('set_meta_level blind');
  const bp = await c.shell('add_backup_policy -p daily -b local_service -a 2 -i 86400 -s 01:00 -c 3');
  t.regex(bp.stdout, /^add backup policy succeed, policy_name = daily$/m);
  t.like(JSON.parse(await getText(s, `${c.opts.clusterRoot}/backup/daily`)), { policy_name: 'daily', app_ids: [2] });
});

test.serial('add_backup_policy is refused while cold_backup_disabled = true (the code default; the config template sets false)', async (t) => {
  const c = await SimCluster.create({ baseDir: path.join(t.context.tmp.dir, 'nb'), zkHosts: t.context.zk.connectString, clusterName: 'nb', extraKeys: [{ section: 'meta_server', key: 'cold_backup_disabled', value: 'true' }] });
  t.context.clusters.push(c);
  c.startAll();
  await c.waitForLeader();
  const bp = await c.shell('add_backup_policy -p daily -b local_service -a 1 -i 86400 -s 01:00 -c 3', { rpcTimeoutMs: 5000 });
  t.regex(bp.stdout, /add backup policy failed, err = ERR_SERVICE_NOT_ACTIVE/);
  t.is(await t.context.s.exists(`${c.opts.clusterRoot}/backup/daily`), null);
});
