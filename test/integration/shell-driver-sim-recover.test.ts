/**
 * `recover` through the shell driver on the simulated cluster: the metadata is rebuilt from the
 * replica servers under a new cluster_root, the way a migration by recovery does it
 * (docs/pegasus-internals.md §1.2, §5). Covers the ERR_TRY_AGAIN refusal with its ERROR hint, the retry with
 * skip_bad_nodes and its WARNING hint, the success output, and a second recover being refused.
 */
import anyTest, { TestFn } from 'ava';
import * as path from 'node:path';
import { ShellCommandError } from '../../shared/errors';
import { PegasusShell } from '../../coordinator/lib/shell';
import { SIM_BIN, SimCluster } from '../../sim/cluster';
import { tempDir, waitFor } from '../harness/tmp';
import { startZk } from '../harness/zookeeper';

const test = anyTest as TestFn<{ cluster: SimCluster; cleanups: (() => void | Promise<void>)[] }>;

test.before(async (t) => {
  const cleanups: (() => void | Promise<void>)[] = [];
  t.context = { cleanups } as never;
  const z = await startZk();
  cleanups.push(z.cleanup);
  const tmp = tempDir('zkmig-shell-recover-');
  cleanups.push(tmp.cleanup);
  const cluster = await SimCluster.create({ baseDir: path.join(tmp.dir, 'sim'), zkHosts: z.zk.connectString });
  cleanups.unshift(() => cluster.close());
  t.context = { cluster, cleanups };
  cluster.startAll();
  await cluster.waitForLeader();
  await cluster.createTable('temp', 4, 3);
  await cluster.waitHealthy();
});

test.after.always(async (t) => {
  for (const c of t.context.cleanups ?? []) await c();
});

test('recover rebuilds the tables from the replicas; hints and refusals are typed', async (t) => {
  const { cluster } = t.context;
  const shell = (format: 'v2.5.0' | 'master'): PegasusShell =>
    new PegasusShell({ argv: [process.execPath, SIM_BIN.shell, '--cluster', cluster.metaList, '--format', format], timeoutMs: 60_000 });

  // Stop every meta, point them at an empty root in recovery mode, start the first one.
  await Promise.all(cluster.metas.map((_, i) => cluster.stopMeta(i)));
  cluster.setMetaConfig('all', 'meta_server', 'cluster_root', '/pegasus/recovered');
  cluster.setMetaConfig('all', 'meta_server', 'recover_from_replica_server', 'true');
  await new Promise((r) => setTimeout(r, (cluster.timing.fdGraceSeconds + 1) * 1000));
  cluster.startMeta(0);
  await waitFor('the meta to be in recovery mode', async () => {
    const e = await shell('v2.5.0')
      .clusterInfo()
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    return e instanceof ShellCommandError && e.errorCode === 'ERR_UNDER_RECOVERY';
  });

  const replicas = cluster.replicas.map((r) => r.address);
  const bad = '127.0.0.1:1';
  const refused = (await t.throwsAsync(shell('v2.5.0').recover({ nodes: [...replicas, bad], waitSeconds: 30 }), { instanceOf: ShellCommandError })) as ShellCommandError;
  t.is(refused.errorCode, 'ERR_TRY_AGAIN');
  t.regex(refused.message, /collect app and replica info from node\(127\.0\.0\.1:1\) failed .*skip_bad_nodes/);

  const ok = await shell('master').recover({ nodes: [...replicas, bad], waitSeconds: 30, skipBadNodes: true });
  t.is(ok.result, 'ERR_OK');
  t.true(ok.skipBadNodes);
  // master prints host:port, so the loopback replicas come back as localhost:<port>.
  t.deepEqual(ok.nodes, [...replicas, bad].map((a) => a.replace('127.0.0.1', 'localhost')));
  t.true(ok.hints.some((h) => h.level === 'WARNING' && /node\((127\.0\.0\.1|localhost):1\).*skip the bad node/.test(h.message)), JSON.stringify(ok.hints));
  t.false(ok.hints.some((h) => h.level === 'ERROR'));

  const apps = await shell('v2.5.0').listApps();
  t.deepEqual(apps.apps.map((a) => a.appName).sort(), ['stat', 'temp']);
  const again = (await t.throwsAsync(shell('v2.5.0').recover({ nodes: replicas, waitSeconds: 10 }), { instanceOf: ShellCommandError })) as ShellCommandError;
  t.is(again.errorCode, 'ERR_SERVICE_ALREADY_RUNNING');
});
