/**
 * `zkmig agents` against real agents over mutual TLS: versions, services and managed files per
 * host; an agent that does not manage the inventory's meta_config or meta_service is flagged; an
 * unreachable agent is reported with the others still listed; wrong client credentials are
 * `unreachable`/`failed`, never a crash.
 */
import anyTest, { TestFn } from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PingResult } from '../../coordinator/lib/fleet';
import { VERSION } from '../../shared/version';
import { stopAllAgents, TestAgent } from '../harness/agent';
import { makeTestPki, TestPki } from '../harness/certs';
import { deadPort, runCli, simShell, startMetaAgents, writeInventory } from '../harness/fleet';
import { tempDir } from '../harness/tmp';

interface Ctx {
  pki: TestPki;
  dir: string;
  inventory: string;
  agents: TestAgent[];
  configs: string[];
  cleanups: (() => void | Promise<void>)[];
}
const test = anyTest as TestFn<Ctx>;

test.before(async (t) => {
  const cleanups: (() => void | Promise<void>)[] = [];
  t.context = { cleanups } as Ctx;
  const pki = makeTestPki();
  cleanups.push(pki.cleanup);
  const tmp = tempDir('zkmig-agents-');
  cleanups.push(tmp.cleanup);
  const dir = fs.realpathSync(tmp.dir);
  const configs = [0, 1].map((i) => {
    fs.mkdirSync(path.join(dir, `meta${i}`));
    const f = path.join(dir, `meta${i}`, 'config.ini');
    fs.writeFileSync(f, `[meta_server]\n  server_list = 127.0.0.1:34601,127.0.0.1:34602\n  cluster_root = /pegasus/ok\n\n[zookeeper]\n  hosts_list = zk${i}:2181\n`);
    return f;
  });
  const agents = await startMetaAgents(pki, configs.map((f, i) => ({ dir: path.join(dir, `agent${i}`), files: [f] })));
  const dead = await deadPort();
  const inventory = writeInventory(path.join(dir, 'inventory.yml'), pki, [
    { name: 'ok', shell: simShell(), hosts: agents.map((a, i) => ({ name: `ok-m${i}`, metaPort: 34601 + i, agentPort: a.port, metaConfig: configs[i]! })) },
    {
      name: 'odd',
      shell: simShell(),
      hosts: [
        { name: 'odd-m0', address: 'localhost', metaPort: 34601, agentPort: agents[0]!.port, metaConfig: '/etc/pegasus/other.ini', metaService: 'pegasus-meta-2' },
        { name: 'odd-m1', address: 'localhost', metaPort: 34602, agentPort: dead, metaConfig: configs[1]! },
      ],
    },
  ]);
  t.context = { pki, dir, inventory, agents, configs, cleanups };
});

test.after.always(async (t) => {
  // Agents first: their working directories are in the temporary directory removed below.
  await stopAllAgents();
  for (const c of (t.context.cleanups ?? []).reverse()) await c();
});

test('every agent of a cluster answers: version, state, service and file facts, exit 0', async (t) => {
  const r = await runCli(['agents', '-i', t.context.inventory, '--cluster', 'ok']);
  t.log(r.out);
  t.is(r.code, 0, r.out + r.err);
  t.is((r.out.match(new RegExp(`^ok: \\[ok/ok-m\\d\\] 127\\.0\\.0\\.1:\\d+: zkmig-agent ${VERSION.replace(/\./g, '\\.')} on \\S+ \\(pid \\d+\\), serving, up \\d+s$`, 'gm')) ?? []).length, 2);
  t.regex(r.out, /^ {4}service pegasus-meta \(command .*\): inactive/m);
  t.regex(r.out, new RegExp(`^ {4}file ${t.context.configs[0]!.replace(/\./g, '\\.')}: \\d+ bytes, sha256 [0-9a-f]{12}, zookeeper zk0:2181 root /pegasus/ok$`, 'm'));
  const j = JSON.parse((await runCli(['agents', '-i', t.context.inventory, '--cluster', 'ok', '--json'])).out) as PingResult;
  t.deepEqual(j.hosts.map((h) => [h.host, h.status, h.value?.health, h.value?.state]), [
    ['ok-m0', 'ok', 'SERVING', 'serving'],
    ['ok-m1', 'ok', 'SERVING', 'serving'],
  ]);
  t.is(j.hosts[1]!.value!.files[0]!.zookeeper!.hosts, 'zk1:2181');
  t.deepEqual(j.recap.totals, { ok: 2, changed: 0, unreachable: 0, failed: 0 });
});

test('an unreachable agent and an agent lacking the inventory\'s file and service are reported; the rest still listed', async (t) => {
  const r = await runCli(['agents', '-i', t.context.inventory, '--timeout', '2s']);
  t.log(r.out);
  t.is(r.code, 2);
  t.regex(r.out, /^unreachable: \[odd\/odd-m1\] localhost:\d+: agent localhost:\d+ GetFacts: UNAVAILABLE|^unreachable: \[odd\/odd-m1\] localhost:\d+: agent localhost:\d+ Health\.Check: UNAVAILABLE/m);
  t.regex(r.out, /^ok: \[odd\/odd-m0\]/m);
  t.regex(r.out, /warning: the agent does not manage meta_config \/etc\/pegasus\/other\.ini/);
  t.regex(r.out, /warning: the agent manages no service "pegasus-meta-2" \(meta_service\)/);
  t.is((r.out.match(/^ok: \[ok\/ok-m\d\]/gm) ?? []).length, 2);
  t.regex(r.out, /odd\/odd-m1 +ok=0 +changed=0 +unreachable=1 +failed=0/);
  const mismatchOnly = await runCli(['agents', '-i', t.context.inventory, '--cluster', 'ok', '--cluster', 'odd', '--timeout', '2s', '--json']);
  const j = JSON.parse(mismatchOnly.out) as PingResult;
  t.is(j.warned, 1);
});

test('a client certificate the agents do not trust is reported per host, not a crash', async (t) => {
  const { pki, dir } = t.context;
  const inv = fs.readFileSync(t.context.inventory, 'utf8').replace(pki.coordinator.cert, pki.intruder.cert).replace(pki.coordinator.key, pki.intruder.key);
  const file = path.join(dir, 'intruder.yml');
  fs.writeFileSync(file, inv);
  const r = await runCli(['agents', '-i', file, '--cluster', 'ok', '--timeout', '2s']);
  t.is(r.code, 2);
  t.is((r.out.match(/^(unreachable|failed): \[ok\/ok-m\d\]/gm) ?? []).length, 2, r.out);
  const missing = fs.readFileSync(t.context.inventory, 'utf8').replace(pki.coordinator.key, path.join(dir, 'no-such-key.pem'));
  fs.writeFileSync(file, missing);
  const m = await runCli(['agents', '-i', file, '--cluster', 'ok']);
  t.is(m.code, 2);
  t.regex(m.out, /^failed: \[ok\/ok-m0\] .*agent_key_file of host "ok-m0": cannot read .*no-such-key\.pem: ENOENT/m);
});
