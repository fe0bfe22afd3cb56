/**
 * The real deployment path (issue 8): three meta-server "hosts", each a private systemd with
 * zkmig-agent installed by deploy/install-agent.sh (hardened unit, systemd backend) and the
 * simulated meta server as `pegasus-meta@N.service`; replica servers and two real ZooKeeper
 * servers outside; `zkmig migrate --method copy` driven from outside through these agents.
 * If the machine does not allow the namespace boot, `before` fails and says why.
 */
import anyTest, { TestFn } from 'ava';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AgentClient } from '../../coordinator/lib/agent-client';
import { freePort } from '../../coordinator/lib/zk-server';
import { isPermissionDenied } from '../../shared/errors';
import { SimCluster } from '../../sim/cluster';
import { makeTestPki, REPO_ROOT, TestPki } from '../harness/certs';
import { simShell, writeInventory } from '../harness/fleet';
import { SystemdHost } from '../harness/systemd-host';
import { waitFor } from '../harness/tmp';
import { startZk, ZkEnsemble } from '../harness/zookeeper';

interface Ctx {
  runDir: string;
  pki: TestPki;
  oldZk: ZkEnsemble;
  newZk: ZkEnsemble;
  cluster: SimCluster;
  hosts: SystemdHost[];
  inventory: string;
  firstInstall: { code: number; stdout: string; stderr: string }[];
  cleanups: (() => Promise<void> | void)[];
}
const test = anyTest as TestFn<Ctx>;
const CLI = path.join(REPO_ROOT, 'dist', 'coordinator', 'cli.js');
const CLUSTER = 'deploy';

function zkmig(args: string[], timeoutMs = 240000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

function client(t: { context: Ctx }, h: SystemdHost): AgentClient {
  const { pki } = t.context;
  return new AgentClient({ address: `127.0.0.1:${h.spec.agentPort}`, tls: { ca: pki.ca, cert: pki.coordinator.cert, key: pki.coordinator.key, serverName: 'localhost' } });
}

test.before(async (t) => {
  const cleanups: (() => Promise<void> | void)[] = [];
  t.context = { cleanups } as unknown as Ctx;
  fs.mkdirSync('/var/lib/zkmig-test', { recursive: true });
  const runDir = fs.mkdtempSync('/var/lib/zkmig-test/deploy-');
  cleanups.push(() => fs.rmSync(runDir, { recursive: true, force: true }));
  const pki = makeTestPki();
  cleanups.push(pki.cleanup);
  const [a, b] = await Promise.all([startZk(), startZk()]);
  cleanups.push(a!.cleanup, b!.cleanup);
  const cluster = await SimCluster.create({ baseDir: path.join(runDir, 'sim'), zkHosts: a!.zk.connectString, clusterName: CLUSTER, metaCount: 3, replicaCount: 3 });
  cleanups.push(() => cluster.close());
  const ports = [await freePort(), await freePort(), await freePort()];
  // Hosts boot in parallel; each gets its own systemd.
  const booted = await Promise.allSettled(
    [0, 1, 2].map((i) => SystemdHost.boot({ index: i + 1, runDir, agentPort: ports[i]!, metaConfigSource: cluster.metas[i]!.configPath, pki })),
  );
  const hosts = booted.filter((r): r is PromiseFulfilledResult<SystemdHost> => r.status === 'fulfilled').map((r) => r.value);
  for (const h of hosts) cleanups.push(() => h.shutdown());
  const failed = booted.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
  if (failed) throw new Error(`this machine cannot run the systemd deployment tests: ${(failed.reason as Error).message}`);
  const firstInstall = await Promise.all(hosts.map((h) => h.install()));
  for (const [i, r] of firstInstall.entries()) {
    if (r.code !== 0) throw new Error(`install-agent.sh failed on host${i + 1} (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  // Metas under systemd, replicas as plain processes, one table; wait for a healthy cluster.
  for (const h of hosts) {
    const r = await h.sd.systemctl('start', h.metaUnit);
    if (r.code !== 0) throw new Error(`start ${h.metaUnit}: ${r.stderr}`);
  }
  cluster.startReplicas();
  await cluster.waitForLeader(60000);
  await cluster.createTable('t1', 4, 3);
  await cluster.waitHealthy(60000);
  const inventory = writeInventory(path.join(runDir, 'inventory.yaml'), pki, [
    {
      name: CLUSTER,
      shell: simShell(),
      hosts: hosts.map((h, i) => ({ name: `meta${i + 1}`, metaPort: cluster.metas[i]!.port, agentPort: h.spec.agentPort, metaConfig: h.metaConfig, metaService: 'pegasus-meta' })),
    },
  ]);
  Object.assign(t.context, { runDir, pki, oldZk: a!.zk, newZk: b!.zk, cluster, hosts, inventory, firstInstall });
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

test.serial('install-agent.sh installs a running hardened agent, and a second run changes nothing', async (t) => {
  for (const r of t.context.firstInstall) t.regex(r.stdout, /install-agent: changed\s*$/);
  for (const h of t.context.hosts) {
    const st = await h.sd.show('zkmig-agent.service');
    t.is(st.ActiveState, 'active');
    t.is(st.NoNewPrivileges, 'yes');
    t.is(st.ProtectSystem, 'strict');
    const again = await h.install();
    t.is(again.code, 0, again.stderr);
    t.regex(again.stdout, /install-agent: unchanged\s*$/, again.stdout);
    t.notRegex(again.stdout, /installed|wrote|enabled|started|restarted/);
  }
});

// The README's exposure figure, measured on the installed unit by the host's own systemd (not
// `--offline` on the file): the live analysis also sees the drop-ins and the manager's defaults.
const EXPOSURE_MAX = 2.5;

test.serial('systemd-analyze security rates the installed, running agent at most 2.5 while it serves', async (t) => {
  for (const h of t.context.hosts) {
    t.is((await h.sd.show('zkmig-agent.service')).ActiveState, 'active');
    const r = await h.sd.exec(['systemd-analyze', 'security', '--no-pager', 'zkmig-agent.service']);
    t.is(r.code, 0, r.stderr);
    const m = /Overall exposure level for zkmig-agent\.service: (\d+(?:\.\d+)?)/.exec(r.stdout);
    t.truthy(m, r.stdout.slice(-400));
    const exposure = Number(m?.[1]);
    t.log(`host${h.spec.index}: exposure ${exposure}`);
    t.true(exposure <= EXPOSURE_MAX, `host${h.spec.index}: exposure ${exposure} > ${EXPOSURE_MAX}:\n${r.stdout}`);
    // ... while it serves the coordinator.
    const c = client(t, h);
    try {
      t.regex((await c.readConfig(h.metaConfig)).sha256, /^[0-9a-f]{64}$/);
    } finally {
      c.close();
    }
  }
});

test.serial('a unit that exits one second after start is reported as failed, not started', async (t) => {
  const h = t.context.hosts[0]!;
  const c = client(t, h);
  try {
    const r = await c.controlService('crashy', 'start', { allowFailure: true });
    t.true(r.failed, r.msg);
    t.regex(r.msg, /exit|fail|crash|inactive|dead/i);
    t.not((await h.sd.show('crashy.service')).ActiveState, 'active');
  } finally {
    c.close();
  }
});

test.serial('the hardened agent edits only its allowlisted config: the allowlist and the OS both refuse another path', async (t) => {
  const h = t.context.hosts[1]!;
  const c = client(t, h);
  const before = fs.readFileSync(h.forbidden);
  try {
    const err = await t.throwsAsync(() => c.editConfig({ path: h.forbidden, edits: [{ section: 'zookeeper', key: 'hosts_list', value: 'evil:2181' }] }));
    t.true(isPermissionDenied(err), String(err));
    // Inside the agent's own mount namespace: its meta dir is writable, the rest read-only.
    const ok = await h.inAgentSandbox(`touch ${path.dirname(h.metaConfig)}/.probe && rm ${path.dirname(h.metaConfig)}/.probe && echo writable`);
    t.regex(ok.stdout, /writable/, ok.stderr);
    const denied = await h.inAgentSandbox(`echo x >> ${h.forbidden}`);
    t.not(denied.code, 0);
    t.regex(denied.stderr, /Read-only file system/);
    t.deepEqual(fs.readFileSync(h.forbidden), before);
  } finally {
    c.close();
  }
});

test.serial('zkmig migrate --method copy through the systemd-managed agents: healthy on the new ensemble, audited in the journal', async (t) => {
  const { inventory, newZk, hosts, cluster } = t.context;
  const stateDir = path.join(t.context.runDir, 'state');
  const r = await zkmig(['migrate', '-i', inventory, '--cluster', CLUSTER, '--to', newZk.connectString, '--method', 'copy', '--yes', '--state-dir', stateDir]);
  t.is(r.code, 0, `${r.stdout}\n${r.stderr}`);
  const health = await zkmig(['health', '-i', inventory, '--cluster', CLUSTER, '--expect-zk', `${newZk.connectString}/pegasus/${CLUSTER}`, '--wait', '60s', '--json']);
  t.is(health.code, 0, `${health.stdout}\n${health.stderr}`);
  for (const h of hosts) {
    t.regex(fs.readFileSync(h.metaConfig, 'utf8'), new RegExp(`^\\s*hosts_list\\s*=\\s*${newZk.connectString.replace(/\./g, '\\.')}\\s*$`, 'm'));
    t.is((await h.sd.show(h.metaUnit)).ActiveState, 'active');
  }
  t.truthy(await cluster.leader());

  // Every config edit and service action is in the journal with structured fields.
  await waitFor('audit records of every host', async () => (await Promise.all(hosts.map((h) => h.auditRecords()))).every((recs) => recs.some((e) => e.ZKMIG_EVENT === 'mutation')), 20000);
  for (const h of hosts) {
    const recs = (await h.auditRecords()).filter((e) => e.ZKMIG_EVENT === 'mutation' && e.ZKMIG_CHECK_MODE !== 'true');
    const edits = recs.filter((e) => e.ZKMIG_TARGET === h.metaConfig && e.ZKMIG_CHANGED === 'true');
    t.true(edits.length >= 1, `host${h.spec.index}: no config edit in the journal: ${JSON.stringify(recs)}`);
    for (const e of edits) {
      t.regex(String(e.ZKMIG_CLIENT), /CN=coordinator/);
      t.regex(String(e.ZKMIG_BEFORE_SHA256), /^[0-9a-f]{64}$/);
      t.regex(String(e.ZKMIG_AFTER_SHA256), /^[0-9a-f]{64}$/);
      t.not(e.ZKMIG_BEFORE_SHA256, e.ZKMIG_AFTER_SHA256);
    }
    // The leader is restarted, the followers stopped and started again: every host has actions.
    const actions = recs.filter((e) => /^pegasus-meta (start|stop|restart)$/.test(String(e.ZKMIG_TARGET)));
    t.true(actions.length >= 1, `host${h.spec.index}: no service action in the journal: ${JSON.stringify(recs.map((e) => e.ZKMIG_TARGET))}`);
    for (const e of actions) {
      t.regex(String(e.ZKMIG_METHOD), /ControlService/);
      t.regex(String(e.ZKMIG_CLIENT), /CN=coordinator/);
      t.is(e.ZKMIG_RESULT, 'ok');
    }
  }
});
