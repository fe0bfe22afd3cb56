/**
 * `zkmig health` on a simulated Pegasus cluster (2 metas, 3 replicas) on a real ZooKeeper, with
 * real agents over mutual TLS managing the metas' configs, in both shell formats (v2.5.0 text and
 * `--format master`): healthy; unhealthy (a replica down: the node and every table named; a
 * follower meta down: health counts the configured metas; a wrong
 * expected ZooKeeper; a config edited and not applied; meta level blind); could not tell (no meta
 * reachable); unreachable agents only a warning; --wait until healthy.
 */
import anyTest, { TestFn } from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkHealth, HealthReport } from '../../coordinator/lib/health';
import { loadInventory, selectCluster } from '../../coordinator/lib/inventory';
import { stopAllAgents } from '../harness/agent';
import { makeTestPki } from '../harness/certs';
import { deadPort, runCli, simShell, simShellWithConfig, startMetaAgents, writeInventory, writeShellConfig } from '../harness/fleet';
import { tempDir, waitFor } from '../harness/tmp';
import { startZk, ZkEnsemble } from '../harness/zookeeper';
import { SimCluster } from '../../sim/cluster';

interface Ctx {
  zk: ZkEnsemble;
  sim: SimCluster;
  inventory: string;
  cleanups: (() => void | Promise<void>)[];
}
const test = anyTest as TestFn<Ctx>;

const FORMATS = [
  { format: 'v2.5.0', cluster: 'hc', down: 'hc_down' },
  { format: 'master', cluster: 'hc_master', down: 'hc_down_master' },
] as const;

test.before(async (t) => {
  const cleanups: (() => void | Promise<void>)[] = [];
  t.context = { cleanups } as Ctx;
  const pki = makeTestPki();
  cleanups.push(pki.cleanup);
  const tmp = tempDir('zkmig-health-');
  cleanups.push(tmp.cleanup);
  const dir = fs.realpathSync(tmp.dir);
  const z = await startZk();
  cleanups.push(z.cleanup);
  const sim = await SimCluster.create({ baseDir: path.join(dir, 'sim'), zkHosts: z.zk.connectString, clusterName: 'hc' });
  cleanups.push(() => sim.close());
  sim.startAll();
  // Agents start while the cluster elects its leader.
  const [agents] = await Promise.all([
    startMetaAgents(pki, sim.metas.map((m, i) => ({ dir: path.join(dir, `agent${i}`), files: [m.configPath] }))),
    sim.waitForLeader().then(() => sim.createTable('temp', 4, 3)).then(() => sim.waitHealthy()),
  ]);
  const dead = await Promise.all([deadPort(), deadPort(), deadPort()]);
  const hosts = (address: string, prefix: string) =>
    sim.metas.map((m, i) => ({ name: `${prefix}-m${i}`, address, metaPort: m.port, agentPort: agents[i]!.port, metaConfig: m.configPath }));
  const downHosts = (prefix: string, address: string) => [0, 1].map((i) => ({ name: `${prefix}-m${i}`, address, metaPort: dead[i]!, agentPort: dead[2]!, metaConfig: '/etc/pegasus/config.ini' }));
  const downMetas = `127.0.0.1:${dead[0]},127.0.0.1:${dead[1]}`;
  const inventory = writeInventory(path.join(dir, 'inventory.yml'), pki, [
    { name: 'hc', shell: simShell('v2.5.0'), hosts: hosts('127.0.0.1', 'hc') },
    // master format, the metas named by host name, and the second agent unreachable.
    { name: 'hc_master', shell: simShell('master'), hosts: hosts('localhost', 'hcm').map((h, i) => (i === 1 ? { ...h, agentPort: dead[2]! } : h)) },
    { name: 'hc_down', shell: simShellWithConfig('hc_down', writeShellConfig(path.join(dir, 'down.ini'), 'hc_down', downMetas, 500), 'v2.5.0'), hosts: downHosts('down', '127.0.0.1') },
    { name: 'hc_down_master', shell: simShellWithConfig('hc_down_master', writeShellConfig(path.join(dir, 'down-m.ini'), 'hc_down_master', downMetas, 500), 'master'), hosts: downHosts('downm', 'localhost') },
  ]);
  t.context = { zk: z.zk, sim, inventory, cleanups };
});

test.after.always(async (t) => {
  // Agents first: their working directories are in the temporary directory removed below.
  await stopAllAgents();
  for (const c of (t.context.cleanups ?? []).reverse()) await c();
});

async function health(t: { context: Ctx }, ...args: string[]): Promise<{ code: number; out: string; err: string; report: HealthReport }> {
  const text = await runCli(['health', '-i', t.context.inventory, '--timeout', '2s', ...args]);
  const json = await runCli(['health', '-i', t.context.inventory, '--timeout', '2s', '--json', ...args]);
  let report: HealthReport;
  try {
    report = JSON.parse(json.out) as HealthReport;
  } catch {
    throw new Error(`health --json printed no JSON (exit ${json.code}): ${json.err}`);
  }
  if (json.code !== text.code) throw new Error(`exit codes differ between text (${text.code}) and --json (${json.code})`);
  return { ...text, report };
}

for (const { format, cluster } of FORMATS) {
  test.serial(`${format}: a healthy cluster exits 0 and reports leader, ZooKeeper, level, nodes and tables`, async (t) => {
    const { code, out, report } = await health(t, '--cluster', cluster);
    t.log(out);
    t.is(code, 0, out);
    t.is(report.verdict, 'healthy');
    t.true(report.checks.every((c) => c.status === 'pass'), JSON.stringify(report.checks));
    t.is(report.zookeeper!.hosts, t.context.zk.connectString);
    t.is(report.zookeeper!.root, '/pegasus/hc');
    t.is(report.expectedZookeeper!.source, 'meta-configs');
    t.deepEqual(report.level, { effective: 'steady' });
    t.deepEqual(report.nodes, { total: 3, alive: 3, notAlive: [] });
    t.deepEqual(report.tables, { total: 2, fullyHealthy: 2, notHealthy: [] });
    t.regex(out, /^Cluster \S+: HEALTHY \(leader \S+:\d+\)$/m);
    t.regex(out, /^ {2}nodes {6}ok {3}3 of 3 replica servers ALIVE$/m);
    t.is(report.checks.find((c) => c.name === 'metas')?.message, '2 of 2 configured metas answer');
    if (format === 'master') {
      // One agent down: a warning, not a failure; the other meta's config is still compared.
      t.true(report.warnings.some((w) => /could not read the config of hcm-m1 \(unreachable/.test(w)), report.warnings.join('\n'));
      t.regex(out, /^warning: could not read the config of hcm-m1/m);
      t.true(report.leader!.startsWith('localhost:'), report.leader!);
    } else {
      t.deepEqual(report.warnings, []);
    }
  });

  test.serial(`${format}: no reachable meta means "could not tell", exit 2`, async (t) => {
    const down = FORMATS.find((f) => f.format === format)!.down;
    const { code, out, report } = await health(t, '--cluster', down);
    t.log(out);
    t.is(code, 2, out);
    t.is(report.verdict, 'unknown');
    t.is(report.checks.find((c) => c.name === 'leader')!.status, 'unknown');
    t.regex(report.checks.find((c) => c.name === 'leader')!.message, /ERR_(TIMEOUT|NETWORK_FAILURE)/);
    // No configured meta answers: the inventory or the network may be wrong as much as the cluster.
    t.is(report.checks.find((c) => c.name === 'metas')!.status, 'unknown');
    t.regex(report.checks.find((c) => c.name === 'metas')!.message, /^2 of 2 configured metas do not answer: /);
    t.regex(out, /^Cluster hc_down\S*: UNKNOWN$/m);
  });
}

test.serial('--expect-zk: a different ensemble is unhealthy, the right one healthy without any agent', async (t) => {
  const wrong = await health(t, '--cluster', 'hc', '--expect-zk', '127.0.0.1:1/pegasus/hc');
  t.is(wrong.code, 1);
  t.regex(wrong.out, new RegExp(`zookeeper +FAIL +the leader uses ${t.context.zk.connectString.replace(/\./g, '\\.')}/pegasus/hc, expected 127\\.0\\.0\\.1:1/pegasus/hc`));
  const right = await health(t, '--cluster', 'hc_master', '--expect-zk', `${t.context.zk.connectString}/pegasus/hc/`);
  t.is(right.code, 0, right.out);
  t.is(right.report.expectedZookeeper!.source, 'expect-zk');
  t.deepEqual(right.report.warnings, [], 'no agent contacted');
  const bad = await runCli(['health', '-i', t.context.inventory, '--cluster', 'hc', '--expect-zk', 'zk1:2181']);
  t.is(bad.code, 2);
  t.regex(bad.err, /--expect-zk "zk1:2181" has no root/);
});

test.serial('a meta config edited and not applied makes the ZooKeeper check fail, naming the host', async (t) => {
  const { sim } = t.context;
  const original = fs.readFileSync(sim.metas[1]!.configPath, 'utf8');
  sim.setMetaConfig(1, 'zookeeper', 'hosts_list', '127.0.0.1:2999');
  try {
    const { code, report } = await health(t, '--cluster', 'hc');
    t.is(code, 1);
    t.regex(report.problems.join('\n'), /the config of hc-m1 says 127\.0\.0\.1:2999\/pegasus\/hc/);
    t.notRegex(report.problems.join('\n'), /hc-m0/);
  } finally {
    fs.writeFileSync(sim.metas[1]!.configPath, original);
  }
});

test.serial('meta level blind is unhealthy and says it was set, not an automatic freeze', async (t) => {
  const { sim } = t.context;
  await sim.shell('set_meta_level blind');
  try {
    const { code, report } = await health(t, '--cluster', 'hc', '--no-agents');
    t.is(code, 1);
    t.deepEqual(report.level, { effective: 'blind', stored: 'blind' });
    t.regex(report.problems.join('\n'), /effective meta level is blind, not steady or lively; set by set_meta_level/);
    t.true(report.warnings.some((w) => /ZooKeeper not compared/.test(w)));
  } finally {
    await sim.shell('set_meta_level steady');
  }
});

test.serial('a follower meta down: the cluster still serves, but health counts the configured metas and is unhealthy, naming it', async (t) => {
  const { sim } = t.context;
  const leader = await sim.waitForLeader();
  const i = sim.metas.findIndex((m) => !leader.endsWith(`:${m.port}`));
  await sim.stopMeta(i);
  try {
    const { code, out, report } = await health(t, '--cluster', 'hc');
    t.is(code, 1, out);
    t.is(report.verdict, 'unhealthy');
    t.is(report.checks.find((c) => c.name === 'leader')!.status, 'pass', 'the leader still serves');
    const metas = report.checks.find((c) => c.name === 'metas')!;
    t.is(metas.status, 'fail');
    t.regex(metas.message, new RegExp(`^1 of 2 configured metas do not answer: hc-m${i} 127\\.0\\.0\\.1:${sim.metas[i]!.port} \\(ECONNREFUSED\\)$`));
    t.regex(out, /metas +FAIL +1 of 2 configured metas do not answer/);
  } finally {
    sim.startMeta(i);
  }
  await waitFor('health again with both metas', async () => (await health(t, '--cluster', 'hc')).code === 0, 60_000, 500);
});

test.serial('a replica server down: every table and the node are named, in both formats; --wait returns once healthy again', async (t) => {
  const { sim, inventory } = t.context;
  const victim = sim.replicas[0]!;
  await sim.stopReplica(0);
  const cluster = selectCluster(loadInventory({ file: inventory, env: {} }), 'hc');
  await waitFor('the leader to see the replica server UNALIVE and the tables unhealthy', async () => {
    const r = await checkHealth({ cluster });
    return r.nodes?.notAlive.length === 1 && r.tables?.notHealthy.length === 2;
  }, 60_000, 500);
  for (const { format, cluster: name } of FORMATS) {
    const { code, out, report } = await health(t, '--cluster', name);
    t.log(out);
    t.is(code, 1, `${format}: ${out}`);
    t.is(report.verdict, 'unhealthy');
    const host = format === 'master' ? 'localhost' : '127.0.0.1';
    t.deepEqual(report.nodes!.notAlive, [{ address: `${host}:${victim.port}`, status: 'UNALIVE' }]);
    t.deepEqual(report.tables!.notHealthy.map((x) => x.name).sort(), ['stat', 'temp']);
    t.regex(out, new RegExp(`nodes +FAIL +1 of 3 replica servers not ALIVE: ${host.replace(/\./g, '\\.')}:${victim.port} \\(UNALIVE\\)`));
    t.regex(out, /tables +FAIL +2 of 2 tables not fully healthy: .*stat \(\d\/4 partitions fully healthy/);
    t.regex(out, /temp \(\d\/4 partitions fully healthy, \d unhealthy/);
  }
  const short = await runCli(['health', '-i', inventory, '--cluster', 'hc', '--wait', '1s', '--interval', '200ms']);
  t.is(short.code, 1);
  t.regex(short.out, /still unhealthy after \d+ s \(\d+ checks\)/);

  sim.startReplica(0);
  const waited = await runCli(['health', '-i', inventory, '--cluster', 'hc', '--json', '--wait', '90s', '--interval', '500ms']);
  const report = JSON.parse(waited.out) as HealthReport & { wait: { attempts: number; healthy: boolean } };
  t.is(waited.code, 0, waited.out);
  t.true(report.wait.healthy);
  t.true(report.wait.attempts >= 1);
  t.deepEqual(report.nodes!.notAlive, []);
});
