/**
 * The shell driver and parsers on the simulated Pegasus shell's real output (sim),
 * in both output styles (`--format v2.5.0` and `--format master`), tabular and `-j`, against a
 * simulated cluster (2 metas, 3 replicas) on a real ZooKeeper. The shell command line comes from
 * an inventory file, as it will in production.
 */
import anyTest, { TestFn } from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hasCode, ShellCommandError } from '../../shared/errors';
import { loadInventory } from '../../coordinator/lib/inventory';
import { formatArgv, parseClusterInfo, parseSetMetaLevel, PegasusShell } from '../../coordinator/lib/shell';
import { SIM_BIN, SimCluster } from '../../sim/cluster';
import { tempDir } from '../harness/tmp';
import { startZk, ZkEnsemble } from '../harness/zookeeper';

interface Ctx {
  zk: ZkEnsemble;
  cluster: SimCluster;
  dir: string;
  cleanups: (() => void | Promise<void>)[];
  shell: (format: 'v2.5.0' | 'master') => PegasusShell;
}
const test = anyTest as TestFn<Ctx>;

test.before(async (t) => {
  const cleanups: (() => void | Promise<void>)[] = [];
  t.context = { cleanups } as unknown as Ctx;
  const z = await startZk();
  cleanups.push(z.cleanup);
  const tmp = tempDir('zkmig-shell-sim-');
  cleanups.push(tmp.cleanup);
  const cluster = await SimCluster.create({ baseDir: path.join(tmp.dir, 'sim'), zkHosts: z.zk.connectString });
  cleanups.unshift(() => cluster.close());
  cluster.startAll();
  await cluster.waitForLeader();
  await cluster.createTable('temp', 4, 3);
  await cluster.waitHealthy();

  // The production path: inventory → cluster → argv of the shell.
  const inv = path.join(tmp.dir, 'inventory.ini');
  const shellLine = (format: string): string => `${formatArgv([process.execPath, SIM_BIN.shell])} --cluster {meta_servers} --format ${format}`;
  fs.writeFileSync(
    inv,
    [
      '[all:vars]',
      'meta_config=/unused/config.ini',
      'agent_ca_file=/unused/ca.pem',
      'agent_cert_file=/unused/c.pem',
      'agent_key_file=/unused/c.key',
      '[sim_v25:vars]',
      `pegasus_shell=${JSON.stringify(shellLine('v2.5.0'))}`,
      '[sim_master:vars]',
      `pegasus_shell=${JSON.stringify(shellLine('master'))}`,
      '[sim_v25]',
      ...cluster.metas.map((m, i) => `v25-meta${i} ansible_host=127.0.0.1 meta_port=${m.port}`),
      '[sim_master]',
      ...cluster.metas.map((m, i) => `master-meta${i} ansible_host=localhost meta_port=${m.port}`),
    ].join('\n'),
  );
  const clusters = loadInventory({ file: inv, env: {}, checkFiles: false }).clusters;
  const byFormat = { 'v2.5.0': clusters.find((c) => c.name === 'sim_v25')!, master: clusters.find((c) => c.name === 'sim_master')! };
  t.context = { zk: z.zk, cluster, dir: tmp.dir, cleanups, shell: (format) => PegasusShell.forCluster(byFormat[format], { timeoutMs: 60_000 }) };
});

test.after.always(async (t) => {
  for (const c of t.context.cleanups ?? []) await c();
});

const ports = (c: SimCluster, kind: 'metas' | 'replicas'): number[] => c[kind].map((n) => n.port).sort((a, b) => a - b);
const portOf = (address: string): number => Number(address.slice(address.lastIndexOf(':') + 1));

for (const format of ['v2.5.0', 'master'] as const) {
  const host = format === 'master' ? 'localhost' : '127.0.0.1';

  test(`${format}: cluster_info, tabular and -j`, async (t) => {
    const { cluster, zk } = t.context;
    const shell = t.context.shell(format);
    const text = await shell.clusterInfo();
    t.is(text.format, 'text');
    t.deepEqual(text.metaServers.map(portOf).sort(), ports(cluster, 'metas'));
    t.true(text.primaryMetaServer.startsWith(`${host}:`), text.primaryMetaServer);
    t.true(ports(cluster, 'metas').includes(portOf(text.primaryMetaServer)));
    t.is(text.zookeeperHosts, zk.connectString);
    t.is(text.zookeeperRoot, '/pegasus/simcluster');
    t.is(text.metaFunctionLevel, 'steady');
    t.is(text.balanceOperationCount.total, 0);
    t.is(text.clusterName, 'simcluster');
    t.deepEqual(text.extra, {});
    const json = await shell.clusterInfo({ json: true });
    t.is(json.format, 'json');
    t.deepEqual({ ...json, format: 'text' }, text);
  });

  test(`${format}: ls -d, tabular and -j, and ls -a`, async (t) => {
    const shell = t.context.shell(format);
    const text = await shell.listApps({ detailed: true });
    t.deepEqual(text.apps.map((a) => [a.appName, a.status, a.partitionCount, a.replicaCount]).sort(), [
      ['stat', 'AVAILABLE', 4, 3],
      ['temp', 'AVAILABLE', 4, 3],
    ]);
    t.is(text.apps[0]!.atomicIdempotent === undefined, format === 'v2.5.0');
    t.true(text.health!.every((h) => h.fullyHealthy === h.partitionCount && h.unhealthy === 0));
    t.deepEqual(text.summary, { totalAppCount: 2, fullyHealthyAppCount: 2, unhealthyAppCount: 0, writeUnhealthyAppCount: 0, readUnhealthyAppCount: 0 });
    const json = await shell.listApps({ detailed: true, json: true });
    t.deepEqual({ ...json, format: 'text' }, text);
    const all = await shell.listApps({ all: true });
    t.is(all.summary.totalAppCount, 2);
    t.is(all.health, undefined);
  });

  test(`${format}: nodes -d, tabular and -j, and nodes`, async (t) => {
    const { cluster } = t.context;
    const shell = t.context.shell(format);
    const text = await shell.listNodes({ detailed: true });
    t.deepEqual(text.nodes.map((n) => portOf(n.address)).sort(), ports(cluster, 'replicas'));
    t.true(text.nodes.every((n) => n.status === 'ALIVE' && n.address.startsWith(`${host}:`)));
    t.is(
      text.nodes.reduce((s, n) => s + n.replicaCount!, 0),
      2 * 4 * 3,
    );
    t.deepEqual(text.summary, { totalNodeCount: 3, aliveNodeCount: 3, unaliveNodeCount: 0 });
    const json = await shell.listNodes({ detailed: true, json: true });
    t.deepEqual({ ...json, format: 'text' }, text);
    const plain = await shell.listNodes();
    t.is(plain.nodes[0]!.replicaCount, undefined);
  });

  test(`${format}: server_info`, async (t) => {
    const r = await t.context.shell(format).serverInfo();
    t.is(r.format, format === 'master' ? 'json' : 'text');
    t.is(r.servers.filter((s) => s.role === 'meta-server').length, 2);
    t.is(r.servers.filter((s) => s.role === 'replica-server').length, 3);
    t.true(r.servers.every((s) => s.ok && s.version === (format === 'master' ? '2.6.0-SNAPSHOT' : '2.5.0') && /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(s.startTime!)));
    t.is(r.succeedCount, 5);
  });

  test(`${format}: recover on a meta that is not in recovery mode is ERR_SERVICE_ALREADY_RUNNING`, async (t) => {
    const nodes = t.context.cluster.replicas.map((r) => r.address);
    const e = (await t.throwsAsync(t.context.shell(format).recover({ nodes, waitSeconds: 5 }), { instanceOf: ShellCommandError })) as ShellCommandError;
    t.is(e.errorCode, 'ERR_SERVICE_ALREADY_RUNNING');
    t.regex(e.command, /^recover -s /);
  });

  test(`${format}: an unknown command and a bad level are usage errors`, async (t) => {
    const shell = t.context.shell(format);
    const unknown = await shell.exec('frobnicate');
    const e = t.throws(() => parseClusterInfo(unknown.text, 'frobnicate'), { instanceOf: ShellCommandError }) as ShellCommandError;
    t.is(e.errorCode, 'SHELL_UNKNOWN_COMMAND');
    const bad = await shell.exec('set_meta_level frozen');
    const u = t.throws(() => parseSetMetaLevel(bad.text, 'set_meta_level frozen'), { instanceOf: ShellCommandError }) as ShellCommandError;
    t.is(u.errorCode, 'SHELL_USAGE');
  });
}

test.serial('meta levels: get, set and set back, in both formats', async (t) => {
  for (const format of ['v2.5.0', 'master'] as const) {
    const shell = t.context.shell(format);
    t.is(await shell.getMetaLevel(), 'steady');
    t.deepEqual(await shell.setMetaLevel('blind'), { level: 'blind', oldLevel: 'steady', changed: true });
    t.is(await shell.getMetaLevel(), 'blind');
    t.is((await shell.clusterInfo()).metaFunctionLevel, 'blind');
    t.deepEqual(await shell.setMetaLevel('steady'), { level: 'steady', oldLevel: 'blind', changed: true });
    t.deepEqual(await shell.setMetaLevel('steady'), { level: 'steady', oldLevel: 'steady', changed: false });
  }
});

test('no reachable meta: ERR_TIMEOUT or a network error, as UNAVAILABLE', async (t) => {
  const config = t.context.cluster.writeShellConfig(500, '127.0.0.1:1');
  const shell = new PegasusShell({ argv: [process.execPath, SIM_BIN.shell, '-n', 'simcluster', '-c', config], timeoutMs: 30_000 });
  const e = (await t.throwsAsync(shell.clusterInfo(), { instanceOf: ShellCommandError })) as ShellCommandError;
  t.regex(e.errorCode, /^ERR_(TIMEOUT|NETWORK_FAILURE)$/);
  t.true(hasCode(e, 'UNAVAILABLE'));
});
