import anyTest, { TestFn } from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ZkSession } from '../../shared/zk/client';
import { tempDir, waitFor } from '../harness/tmp';
import { startZk, ZkEnsemble } from '../harness/zookeeper';
import { SimCluster } from '../../sim/cluster';
import { decodeAppInfo, decodePartition } from '../../sim/common/types';
import { STATE_FILE } from '../../sim/replica/replica-store';
import { appsPath, getText, nodeTriples } from '../../sim/testing';

/**
 * The recovery method of moving a cluster to a new ensemble (docs/pegasus-internals.md §1.2, §5), end to end through
 * the simulated shell: back up the node list, stop the metas, point meta 0 at the empty target with
 * recover_from_replica_server = true, `recover -f`, and wait until the tables are healthy again and the
 * node list matches the backup.
 */

interface Ctx {
  source: ZkEnsemble;
  target: ZkEnsemble;
  tmp: { dir: string; cleanup: () => void };
  /** Shared by the serial tests (an array: ava gives each test a shallow copy of the context). */
  clusters: SimCluster[];
  cleanups: (() => Promise<void>)[];
}
const test = anyTest as TestFn<Ctx>;

test.before(async (t) => {
  const [a, b] = await Promise.all([startZk(), startZk()]);
  t.context = { source: a.zk, target: b.zk, tmp: tempDir('zkmig-sim-'), clusters: [], cleanups: [a.cleanup, b.cleanup] };
});

test.after.always(async (t) => {
  for (const c of t.context.clusters ?? []) await c.close();
  for (const c of t.context.cleanups ?? []) await c();
  t.context.tmp?.cleanup();
});

test.serial('recover onto an empty ensemble: ERR_UNDER_RECOVERY, Recover result: ERR_OK, then fully healthy again', async (t) => {
  const base = path.join(t.context.tmp.dir, 'c');
  const c = await SimCluster.create({ baseDir: base, zkHosts: t.context.source.connectString, clusterName: 'mig' });
  t.context.clusters.push(c);
  c.startAll();
  await c.createTable('temp', 8, 3);
  await c.createTable('gone', 2, 3);
  await c.waitHealthy();
  const dropped = await c.shell('drop gone');
  t.regex(dropped.stdout, /^drop app gone succeed$/m);

  // The script's backups (run in the shell's cwd, the cluster's base dir).
  await c.shell(['ls -o mig.apps', 'nodes -d -o mig.nodes']);
  const backup = fs.readFileSync(path.join(base, 'mig.nodes'), 'utf8');
  t.true(backup.startsWith('[parameters]\nout_file  : mig.nodes\n\n[details]\n'));
  t.false(backup.includes('UNALIVE'));
  const alive = backup
    .split('\n')
    .filter((l) => l.includes(' ALIVE'))
    .map((l) => l.split(/\s+/)[0]!);
  t.is(alive.length, 3);
  fs.writeFileSync(path.join(base, 'mig.recover.nodes'), alive.join('\n') + '\n');

  // Stop every meta; the replicas lose their lease and turn INACTIVE.
  await Promise.all([c.stopMeta(0), c.stopMeta(1)]);
  await waitFor('every replica to notice the metas are gone', () => c.replicas.every((r) => /disconnected: no beacon ack for \d+ s, all replicas turn PS_INACTIVE/.test(c.log(r))), 15000);

  c.setMetaConfig('all', 'meta_server', 'recover_from_replica_server', 'true');
  c.setMetaConfig('all', 'zookeeper', 'hosts_list', t.context.target.connectString);
  c.startMeta(0);
  await waitFor('meta 0 to enter recovery mode', () => c.log(c.metas[0]!).includes('administrator should recover this cluster manually later'));
  const under = await c.shell(['cluster_info', 'ls', 'nodes -d', 'get_meta_level']);
  t.regex(under.stdout, /^get cluster info failed, error=ERR_UNDER_RECOVERY$/m);
  t.regex(under.stdout, /^list apps failed, error=ERR_UNDER_RECOVERY$/m);
  t.regex(under.stdout, /^list nodes failed, error=ERR_UNDER_RECOVERY$/m);
  t.regex(under.stdout, /^get meta level got error ERR_UNDER_RECOVERY$/m);
  t.regex(under.stdout, /^The cluster name is: unknown$/m, 'the banner falls back to the given name');

  // A node that does not answer makes recover fail (and stay in recovery) unless -b is given.
  const bad = await c.shell(`recover -s ${alive[0]},127.0.0.1:1 -w 10`);
  t.regex(bad.stdout, /^Recover result: ERR_TRY_AGAIN$/m);
  t.regex(bad.stdout, /^ERROR: collect app and replica info from node\(127\.0\.0\.1:1\) failed with err\(ERR_TIMEOUT\), you can skip it by set skip_bad_nodes option$/m);

  const rec = await c.shell('recover -f mig.recover.nodes');
  t.is(rec.stdout.split('\n').filter((l) => /Recover result: ERR_OK/.test(l)).length, 1, rec.stdout);
  t.true(rec.stdout.includes(`Wait seconds: 100\nSkip bad nodes: false\nSkip lost partitions: false\nNode list:\n=============================\n${alive.join('\n')}\n=============================\n`));

  // The new tree: written with the lock/unlock sequence, every partition with a primary and no
  // secondaries yet; the dropped table is back as a live one (drop state is lost, §5.3).
  const s = await ZkSession.connect(t.context.target.connectString, { sessionTimeoutMs: 10000 });
  try {
    t.is(await getText(s, appsPath(c)), 'unlock');
    t.deepEqual((await s.getChildren(appsPath(c))).sort(), ['1', '2', '3']);
    t.like(decodeAppInfo(await getText(s, `${appsPath(c)}/3`)), { app_name: 'gone', status: 'AS_AVAILABLE' });
  } finally {
    s.close();
  }

  await c.waitHealthy();
  const after = await c.shell(['nodes -d', 'cluster_info', 'ls']);
  // Every node is back with its replicas, plus the 2 of `gone` each: the dropped table came back as a
  // live one, so the reference script's "diff nodes until equal" loop would never end here.
  const plusGone = nodeTriples(backup).map((l) => l.replace(/ (\d+)$/, (_m, n: string) => ` ${Number(n) + 2}`));
  t.deepEqual(nodeTriples(after.stdout), plusGone, 'address, status and replica_count match the backup (+ the resurrected table)');
  t.regex(after.stdout, new RegExp(`^zookeeper_hosts +: ${t.context.target.connectString.replace(/\./g, '\\.')} *$`, 'm'));
  t.regex(after.stdout, /^3 +AVAILABLE +gone /m);

  // Recovery is done: a second recover is refused; the config goes back to normal for the next start.
  const again = await c.shell(`recover -s ${alive[0]} -w 5`);
  t.regex(again.stdout, /^Recover result: ERR_SERVICE_ALREADY_RUNNING$/m);
  c.setMetaConfig('all', 'meta_server', 'recover_from_replica_server', 'false');
  await c.stopMeta(0);
  c.startMeta(0);
  c.startMeta(1);
  await c.waitHealthy();
});

test.serial('partitions no listed node holds: ERR_TRY_AGAIN without -l, recovered as empty partitions with -l', async (t) => {
  const c = t.context.clusters[0]!;
  await Promise.all([...c.metas.map((_, i) => c.stopMeta(i)), ...c.replicas.map((_, i) => c.stopReplica(i))]);
  // Replica 2 keeps only its replica of partition 2.0 (table temp); the other nodes stay down (a live
  // node holding replicas the new tree does not know would crash the meta, see sim-crash).
  const file = path.join(c.replicas[2]!.dir, 'data', STATE_FILE);
  const state = JSON.parse(fs.readFileSync(file, 'utf8')) as { replicas: Record<string, unknown> };
  t.truthy(state.replicas['2.0']);
  state.replicas = { '2.0': state.replicas['2.0'] };
  fs.writeFileSync(file, JSON.stringify(state));
  c.startReplica(2);
  c.setMetaConfig('all', 'meta_server', 'cluster_root', '/pegasus/mig-partial');
  c.setMetaConfig('all', 'meta_server', 'recover_from_replica_server', 'true');
  c.startMeta(0);
  await waitFor('recovery mode', () => c.log(c.metas[0]!).split('administrator should recover this cluster manually later').length === 3);
  const r2 = c.replicas[2]!.address;

  const strict = await c.shell(`recover -s ${r2} -w 10`);
  t.regex(strict.stdout, /^Recover result: ERR_TRY_AGAIN$/m);
  t.regex(strict.stdout, /^ERROR: partition\(2\.1\) has no replica collected, you can force recover it by set skip_lost_partitions option$/m);

  const forced = await c.shell(`recover -s ${r2} -l -w 10`);
  t.regex(forced.stdout, /^Skip lost partitions: true$/m);
  t.regex(forced.stdout, /^Recover result: ERR_OK$/m);
  t.regex(forced.stdout, /^WARNING: partition\(2\.0\) only collects 1\/3 of replicas, may lost data$/m);
  t.regex(forced.stdout, /^WARNING: partition\(2\.7\) has no replica collected, force recover the lost partition to empty$/m);

  const s = await ZkSession.connect(t.context.target.connectString, { sessionTimeoutMs: 10000 });
  try {
    const root = '/pegasus/mig-partial/apps';
    t.like(decodeAppInfo(await getText(s, `${root}/1`)), { app_name: '__drop_holder__1', status: 'AS_DROPPED', partition_count: 1 });
    t.like(decodePartition(await getText(s, `${root}/2/0`)), { primary: r2, secondaries: [] });
    t.like(decodePartition(await getText(s, `${root}/2/1`)), { primary: 'invalid address', ballot: 0 });
  } finally {
    s.close();
  }
});
