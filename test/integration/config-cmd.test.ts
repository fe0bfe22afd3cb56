/**
 * `zkmig config get|set` against real agents over mutual TLS, managing copies of the real Pegasus
 * config.ini (test/fixtures/pegasus, placeholders rendered as a deployment tool would): check mode
 * leaves files untouched, a second identical set changes nothing, bad values change nothing
 * anywhere, an unreachable agent is reported without hiding the others, and the library API the
 * migration uses returns backups and hashes and honours expected sha256 per host.
 */
import anyTest, { TestFn } from 'ava';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setConfig } from '../../coordinator/lib/config-edit';
import { AgentPool } from '../../coordinator/lib/fleet';
import { loadInventory, selectCluster } from '../../coordinator/lib/inventory';
import { stopAllAgents, TestAgent } from '../harness/agent';
import { makeTestPki, TestPki } from '../harness/certs';
import { deadPort, runCli, simShell, startMetaAgents, writeInventory } from '../harness/fleet';
import { tempDir } from '../harness/tmp';
import { PEGASUS_CONFIG_FIXTURE } from '../harness/fixtures';

interface Ctx {
  pki: TestPki;
  dir: string;
  inventory: string;
  configs: string[];
  original: string;
  agents: TestAgent[];
  cleanups: (() => void | Promise<void>)[];
}
const test = anyTest as TestFn<Ctx>;

const FIXTURE = PEGASUS_CONFIG_FIXTURE;
const sha = (f: string): string => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
const read = (f: string): string => fs.readFileSync(f, 'utf8');

function render(template: string): string {
  const values: Record<string, string> = {
    'cluster.name': 'alpha',
    'meta.server.list': '127.0.0.1:34601,127.0.0.1:34602',
    'zk.server.list': '127.0.0.1:2181',
    'app.dir': '/home/work/app/pegasus/alpha/meta',
    'data.dirs': '/home/work/ssd1/pegasus',
    'home.dir': '/home/work',
    hdfs_service_args: '',
  };
  return template.replace(/%\{([^}]+)\}/g, (m, k: string) => values[k] ?? m);
}

test.before(async (t) => {
  const cleanups: (() => void | Promise<void>)[] = [];
  t.context = { cleanups } as Ctx;
  const pki = makeTestPki();
  cleanups.push(pki.cleanup);
  const tmp = tempDir('zkmig-config-cmd-');
  cleanups.push(tmp.cleanup);
  const dir = fs.realpathSync(tmp.dir);
  const fixture = FIXTURE;
  const original = render(read(fixture));
  const configs = [0, 1].map((i) => {
    const d = path.join(dir, `meta${i}`);
    fs.mkdirSync(d);
    const f = path.join(d, 'config.ini');
    fs.writeFileSync(f, original);
    return f;
  });
  const agents = await startMetaAgents(pki, configs.map((f, i) => ({ dir: path.join(dir, `agent${i}`), files: [f] })));
  const dead = await deadPort();
  const hosts = agents.map((a, i) => ({ name: `alpha-m${i}`, metaPort: 34601 + i, agentPort: a.port, metaConfig: configs[i]! }));
  const inventory = writeInventory(path.join(dir, 'inventory.yml'), pki, [
    { name: 'alpha', shell: simShell(), hosts },
    {
      // The same two agents under other aliases, plus a host whose agent is down.
      name: 'alpha3',
      shell: simShell(),
      hosts: [...hosts.map((h) => ({ ...h, name: `${h.name}-again`, address: 'localhost' })), { name: 'alpha-down', metaPort: 34603, agentPort: dead, metaConfig: '/etc/pegasus/config.ini' }],
    },
  ]);
  t.context = { pki, dir, inventory, configs, original, agents, cleanups };
});

test.after.always(async (t) => {
  // Agents first: their working directories are in the temporary directory removed below.
  await stopAllAgents();
  for (const c of (t.context.cleanups ?? []).reverse()) await c();
});

const cli = (t: { context: Ctx }, ...args: string[]) => runCli([...args, '-i', t.context.inventory]);

test.serial('config get prints the migration keys of every meta, as Pegasus reads them', async (t) => {
  const r = await cli(t, 'config', 'get', '--cluster', 'alpha');
  t.is(r.code, 0, r.err);
  t.regex(r.out, /zookeeper\.hosts_list\n {2}every host \(2\): 127\.0\.0\.1:2181/);
  t.regex(r.out, /meta_server\.cluster_root\n {2}every host \(2\): \/pegasus\/alpha/);
  t.regex(r.out, /meta_server\.recover_from_replica_server\n {2}every host \(2\): false/);
  t.regex(r.out, /alpha\/alpha-m0 +ok=1 +changed=0 +unreachable=0 +failed=0/);
  const j = JSON.parse((await cli(t, 'config', 'get', '--cluster', 'alpha', '--json', 'zookeeper.timeout_ms', '[apps.meta]ports')).out);
  t.deepEqual(j.keys, ['zookeeper.timeout_ms', 'apps.meta.ports']);
  t.deepEqual(j.hosts.map((h: { value: { values: Record<string, string> } }) => h.value.values['zookeeper.timeout_ms']), ['10000', '10000']);
  t.is(j.hosts[0].value.sha256, sha(t.context.configs[0]!));
  t.deepEqual(j.drift, []);
});

test.serial('config set --check --diff shows the change on every host and writes nothing', async (t) => {
  const before = t.context.configs.map(sha);
  const r = await cli(t, 'config', 'set', '--cluster', 'alpha', '--check', '--diff', 'zookeeper.hosts_list=10.0.0.1:2181,10.0.0.2:2181');
  t.is(r.code, 0, r.err);
  t.is((r.out.match(/^changed: \[alpha\/alpha-m\d\] .*\(check mode: not written\)$/gm) ?? []).length, 2, r.out);
  t.regex(r.out, /^ {2}- {2}hosts_list = 127\.0\.0\.1:2181$/m);
  t.regex(r.out, /^ {2}\+ {2}hosts_list = 10\.0\.0\.1:2181,10\.0\.0\.2:2181$/m);
  t.regex(r.out, /Check mode: no file was written/);
  t.deepEqual(t.context.configs.map(sha), before);
  t.deepEqual(fs.readdirSync(path.dirname(t.context.configs[0]!)), ['config.ini'], 'no backup either');
});

test.serial('config set applies once, keeps every other byte and a backup; the second run changes nothing', async (t) => {
  const { configs, original } = t.context;
  const r1 = await cli(t, 'config', 'set', '--cluster', 'alpha', '--json', 'zookeeper.hosts_list=10.0.0.1:2181,10.0.0.2:2181');
  t.is(r1.code, 0, r1.err);
  const j1 = JSON.parse(r1.out);
  t.deepEqual(j1.recap.totals, { ok: 2, changed: 2, unreachable: 0, failed: 0 });
  for (const [i, f] of configs.entries()) {
    const h = j1.hosts[i].value;
    t.true(h.changed);
    t.is(h.afterSha256, sha(f));
    t.is(read(h.backupFile), original, 'the backup holds the previous content');
    const a = original.split('\n');
    const b = read(f).split('\n');
    t.is(a.length, b.length);
    const diff = a.flatMap((l, n) => (l === b[n] ? [] : [[l, b[n]]]));
    t.deepEqual(diff, [['  hosts_list = 127.0.0.1:2181', '  hosts_list = 10.0.0.1:2181,10.0.0.2:2181']]);
  }
  const after = configs.map(sha);
  const r2 = await cli(t, 'config', 'set', '--cluster', 'alpha', 'zookeeper.hosts_list=10.0.0.1:2181,10.0.0.2:2181');
  t.is(r2.code, 0);
  t.is((r2.out.match(/^ok: \[alpha\/alpha-m\d\] .*: no change$/gm) ?? []).length, 2, r2.out);
  t.regex(r2.out, /alpha\/alpha-m1 +ok=1 +changed=0 +unreachable=0 +failed=0/);
  t.deepEqual(configs.map(sha), after);
  t.is(fs.readdirSync(path.dirname(configs[0]!)).length, 2, 'config.ini and one backup');
});

test.serial('bad edits are refused before any host is contacted', async (t) => {
  const before = t.context.configs.map(sha);
  for (const [arg, msg] of [
    ['meta_server.hosts_list=10.0.0.9:2181', /Pegasus never reads hosts_list from \[meta_server\].*set zookeeper\.hosts_list instead/],
    ['zookeeper.timeout_ms=ten', /"ten" is not a positive number/],
    ['meta_server.meta_function_level_on_start=frozen', /not one of stopped, blind, freezed, steady, lively/],
    ['zookeeper.hosts_list=zk1', /not host:port/],
    ['hosts_list=zk1:2181', /not SECTION\.KEY/],
  ] as const) {
    const r = await cli(t, 'config', 'set', '--cluster', 'alpha', arg);
    t.is(r.code, 2, arg);
    t.regex(r.err, msg);
    t.is(r.out, '');
  }
  t.deepEqual(t.context.configs.map(sha), before);
});

test.serial('--host limits the edit; --absent removes a key', async (t) => {
  const [c0, c1] = t.context.configs as [string, string];
  const before1 = sha(c1);
  const r = await cli(t, 'config', 'set', '--cluster', 'alpha', '--host', 'alpha-m0', '--absent', 'zookeeper.timeout_ms');
  t.is(r.code, 0, r.err);
  t.regex(r.out, /^changed: \[alpha\/alpha-m0\]/m);
  t.notRegex(r.out, /alpha-m1/);
  t.notRegex(read(c0), /timeout_ms = 10000/);
  t.is(sha(c1), before1);
  const g = await cli(t, 'config', 'get', '--cluster', 'alpha', 'zookeeper.timeout_ms');
  t.regex(g.out, /zookeeper\.timeout_ms {3}<- differs between hosts\n {2}alpha-m0: \(absent\)\n {2}alpha-m1: 10000/);
  const unknown = await cli(t, 'config', 'set', '--cluster', 'alpha', '--host', 'nope', 'zookeeper.timeout_ms=1');
  t.is(unknown.code, 2);
  t.regex(unknown.err, /cluster alpha has no host "nope"/);
});

test.serial('an unreachable agent is reported and the other hosts are still edited', async (t) => {
  const r = await cli(t, 'config', 'set', '--cluster', 'alpha3', 'zookeeper.timeout_ms=20000', '--timeout', '2s');
  t.is(r.code, 2);
  t.regex(r.out, /^unreachable: \[alpha3\/alpha-down\] agent 127\.0\.0\.1:\d+ EditConfig: UNAVAILABLE/m);
  t.is((r.out.match(/^changed: \[alpha3\/alpha-m\d-again\]/gm) ?? []).length, 2, r.out);
  t.regex(r.out, /alpha3\/alpha-down +ok=0 +changed=0 +unreachable=1 +failed=0/);
  for (const f of t.context.configs) t.regex(read(f), /^ {2}timeout_ms = 20000$/m);
});

test.serial('setConfig (the migration API): expected sha256 per host, backups and hashes per host', async (t) => {
  const inv = loadInventory({ file: t.context.inventory, env: {} });
  const cluster = selectCluster(inv, 'alpha');
  const pool = new AgentPool({ retry: { maxAttempts: 2 } });
  try {
    const [c0, c1] = t.context.configs as [string, string];
    const s0 = sha(c0);
    const s1 = sha(c1);
    const edits = [{ section: 'meta_server', key: 'recover_from_replica_server', value: 'true' }];
    const r = await setConfig({ pool, cluster, edits, expectedSha256: { 'alpha-m0': 'f'.repeat(64), 'alpha-m1': s1 } });
    const [h0, h1] = r.hosts;
    t.is(h0!.status, 'failed');
    t.is(h0!.error!.code, 'PRECONDITION');
    t.regex(h0!.error!.message, /changed: its sha256 is/);
    t.is(sha(c0), s0, 'a host whose file changed since the plan is not written');
    t.is(h1!.status, 'changed');
    t.is(h1!.value!.beforeSha256, s1);
    t.is(h1!.value!.afterSha256, sha(c1));
    t.true(fs.existsSync(h1!.value!.backupFile));
    t.deepEqual(h1!.value!.outcomes.map((o) => o.action), ['updated']);
    const again = await setConfig({ pool, cluster, edits: [{ section: 'meta_server', key: 'recover_from_replica_server', value: 'false' }], hosts: ['alpha-m1'], checkMode: true });
    t.is(again.hosts.length, 1);
    t.true(again.hosts[0]!.value!.checkMode);
    t.true(again.hosts[0]!.value!.changed);
    t.is(again.hosts[0]!.value!.backupFile, '');
    t.regex(read(c1), /recover_from_replica_server = true/);
    await t.throwsAsync(setConfig({ pool, cluster, edits, expectedSha256: { ghost: s0 } }), { message: /no host "ghost"/ });
  } finally {
    pool.close();
  }
});
