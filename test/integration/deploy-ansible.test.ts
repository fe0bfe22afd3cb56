/**
 * deploy/ansible (issue 18): the real ansible-playbook installs zkmig-agent with the role on a
 * private-systemd "meta host" (test/harness/systemd.ts) from the packed artifact: the first run
 * changes things and the agents answer over mutual TLS; the second run reports changed=0; a changed
 * config restarts each agent exactly once. The artifact carries no journald binding, so the audit
 * reaches the journal as JSON lines on stderr, after one warning.
 */
import anyTest, { TestFn } from 'ava';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AgentClient } from '../../coordinator/lib/agent-client';
import { freePort } from '../../coordinator/lib/zk-server';
import { AnsibleHost, runPlaybook, writeAnsibleInventory } from '../harness/ansible';
import { packAgent } from '../harness/artifact';
import { makeTestPki, TestPki } from '../harness/certs';
import { PrivateSystemd } from '../harness/systemd';

interface Host {
  name: string;
  sd: PrivateSystemd;
  port: number;
  dir: string;
  metaConfig: string;
}
interface Ctx {
  runDir: string;
  pki: TestPki;
  hosts: Host[];
  inventory: string;
  artifact: string;
  cleanups: (() => Promise<void> | void)[];
}
const test = anyTest as TestFn<Ctx>;
const RUN_TIMEOUT_MS = 15 * 60000;

function client(t: { context: Ctx }, h: Host): AgentClient {
  const { pki } = t.context;
  return new AgentClient({ address: `127.0.0.1:${h.port}`, tls: { ca: pki.ca, cert: pki.coordinator.cert, key: pki.coordinator.key, serverName: 'localhost' }, coordinator: 'ansible-test' });
}

/** The agent's stderr lines in the host's journal, parsed (the bundled agent has no binding). */
async function agentLines(h: Host): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const e of await h.sd.journal('_SYSTEMD_UNIT=zkmig-agent.service')) {
    const m = typeof e.MESSAGE === 'string' ? e.MESSAGE : '';
    if (m.startsWith('{')) out.push(JSON.parse(m) as Record<string, unknown>);
  }
  return out;
}

const starts = async (h: Host): Promise<number> => (await agentLines(h)).filter((r) => r.event === 'lifecycle' && /^zkmig-agent \S+ starting/.test(String(r.msg))).length;

test.before(async (t) => {
  // ansible-playbook takes minutes on a loaded machine: more than ava's 3 min without a result.
  t.timeout(RUN_TIMEOUT_MS);
  const cleanups: (() => Promise<void> | void)[] = [];
  t.context = { cleanups } as unknown as Ctx;
  execFileSync('ansible-playbook', ['--version'], { stdio: 'ignore' }); // fails clearly when ansible is not installed (scripts/setup.sh installs it)
  fs.mkdirSync('/var/lib/zkmig-test', { recursive: true });
  const runDir = fs.mkdtempSync('/var/lib/zkmig-test/ansible-');
  cleanups.push(() => fs.rmSync(runDir, { recursive: true, force: true }));
  const pki = makeTestPki();
  cleanups.push(pki.cleanup);
  const artifact = packAgent(path.join(runDir, 'artifact')).artifact;
  const hosts: Host[] = [];
  // One host: Ansible runs hosts in parallel forks, and each private systemd costs the shared machine.
  for (const i of [1]) {
    const sd = await PrivateSystemd.boot();
    cleanups.push(() => sd.shutdown());
    const dir = path.join(runDir, `meta${i}`);
    const metaConfig = path.join(dir, 'pegasus', 'config.ini');
    fs.mkdirSync(path.dirname(metaConfig), { recursive: true });
    fs.writeFileSync(metaConfig, '[zookeeper]\n  hosts_list = old1:2181\n');
    hosts.push({ name: `meta${i}`, sd, port: await freePort(), dir, metaConfig });
  }
  // Per-host certificates under the names the role expects (<pki>/<inventory_hostname>.pem).
  const pkiDir = path.join(runDir, 'pki');
  fs.mkdirSync(pkiDir);
  fs.copyFileSync(pki.ca, path.join(pkiDir, 'ca.pem'));
  for (const h of hosts) {
    fs.copyFileSync(pki.agent.cert, path.join(pkiDir, `${h.name}.pem`));
    fs.copyFileSync(pki.agent.key, path.join(pkiDir, `${h.name}-key.pem`));
  }
  const ansibleHosts: AnsibleHost[] = hosts.map((h) => ({
    name: h.name,
    systemdPid: h.sd.pid,
    vars: {
      zkmig_agent_prefix: path.join(h.dir, 'opt'),
      zkmig_agent_config_dir: path.join(h.dir, 'etc'),
      zkmig_agent_state_dir: path.join(h.dir, 'state'),
      zkmig_agent_listen: `127.0.0.1:${h.port}`,
      zkmig_agent_files: [{ path: h.metaConfig }],
    },
  }));
  const inventory = writeAnsibleInventory(runDir, ansibleHosts, {
    zkmig_agent_artifact: artifact,
    zkmig_agent_pki_dir: pkiDir,
    zkmig_agent_node: process.execPath,
    // A private systemd's units live under its own /run: nothing is left in the machine's /etc.
    zkmig_agent_unit_dir: '/run/systemd/system',
    // The shared test machine can be slow to start node.
    zkmig_agent_wait_seconds: 300,
  });
  Object.assign(t.context, { runDir, pki, hosts, inventory, artifact });
});

test.after.always(async (t) => {
  for (const c of (t.context.cleanups ?? []).reverse()) {
    try {
      await c();
    } catch {
      /* keep tearing down */
    }
  }
});

test.serial('the role installs a running agent that answers over mTLS and audits to the journal', async (t) => {
  t.timeout(RUN_TIMEOUT_MS);
  const first = await runPlaybook(t.context.inventory, t.context.runDir);
  t.is(first.code, 0, `${first.failed.join('\n')}\n${first.stderr.slice(-3000)}`);
  for (const h of t.context.hosts) {
    t.true(first.stats[h.name]!.changed > 0);
    t.is(first.stats[h.name]!.failures, 0);
    t.is((await h.sd.show('zkmig-agent.service')).ActiveState, 'active');
    t.is((await h.sd.show('zkmig-agent.service')).ProtectSystem, 'strict');
    const c = client(t, h);
    try {
      const facts = await c.facts();
      t.true(facts.files.some((f) => f.path === h.metaConfig));
      const edit = await c.editConfig({ path: h.metaConfig, edits: [{ section: 'zookeeper', key: 'hosts_list', value: 'new1:2181' }] });
      t.true(edit.changed);
    } finally {
      c.close();
    }
    // Started once on the first run, not started and then restarted.
    t.is(await starts(h), 1);
    const lines = await agentLines(h);
    t.is(lines.filter((r) => r.event === 'warning' && /journald binding did not load/.test(String(r.msg))).length, 1);
    t.true(lines.some((r) => r.event === 'mutation' && r.target === h.metaConfig && r.result === 'ok'));
  }
});

test.serial('the second run of the role reports changed=0 and restarts nothing', async (t) => {
  t.timeout(RUN_TIMEOUT_MS);
  const second = await runPlaybook(t.context.inventory, t.context.runDir);
  t.is(second.code, 0, second.stderr);
  for (const h of t.context.hosts) {
    t.is(second.stats[h.name]!.changed, 0, `changed on the second run: ${JSON.stringify(second.changedTasks[h.name])}`);
    t.is(await starts(h), 1);
  }
});

test.serial('a changed config restarts each agent once, and the run after it changes nothing', async (t) => {
  t.timeout(RUN_TIMEOUT_MS);
  const before = await Promise.all(t.context.hosts.map(async (h) => ({ pid: (await h.sd.show('zkmig-agent.service')).MainPID, starts: await starts(h) })));
  const run = await runPlaybook(t.context.inventory, t.context.runDir, { zkmig_agent_extra_config: { drainTimeoutMs: 20000 } });
  t.is(run.code, 0, `${run.failed.join('\n')}\n${run.stderr.slice(-3000)}`);
  for (const [i, h] of t.context.hosts.entries()) {
    t.deepEqual(run.changedTasks[h.name], ['zkmig_agent : Write agent.yaml', 'zkmig_agent : Restart zkmig-agent']);
    t.regex(fs.readFileSync(path.join(h.dir, 'etc', 'agent.yaml'), 'utf8'), /drainTimeoutMs: 20000/);
    t.not((await h.sd.show('zkmig-agent.service')).MainPID, before[i]!.pid);
    t.is(await starts(h), before[i]!.starts + 1);
    const c = client(t, h);
    try {
      t.is(await c.health(), 'SERVING');
    } finally {
      c.close();
    }
  }
  const again = await runPlaybook(t.context.inventory, t.context.runDir, { zkmig_agent_extra_config: { drainTimeoutMs: 20000 } });
  for (const h of t.context.hosts) t.is(again.stats[h.name]!.changed, 0, JSON.stringify(again.changedTasks[h.name]));
});

test.serial('a config the agent would refuse is not installed and the agent keeps running', async (t) => {
  t.timeout(RUN_TIMEOUT_MS);
  const h = t.context.hosts[0]!;
  const pid = (await h.sd.show('zkmig-agent.service')).MainPID;
  const yaml = fs.readFileSync(path.join(h.dir, 'etc', 'agent.yaml'), 'utf8');
  const run = await runPlaybook(t.context.inventory, t.context.runDir, { zkmig_agent_extra_config: { drainTimeoutMs: 20000, limits: { maxConnections: -1 } } });
  t.not(run.code, 0);
  t.is(run.stats[h.name]!.failures, 1);
  t.regex(run.stdout, /maxConnections/);
  t.is(fs.readFileSync(path.join(h.dir, 'etc', 'agent.yaml'), 'utf8'), yaml);
  t.is((await h.sd.show('zkmig-agent.service')).MainPID, pid);
});
