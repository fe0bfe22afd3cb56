/**
 * The agent process's lifecycle: health reporting, SIGTERM drain (calls in flight finish, new ones
 * are refused, exit 0), config validation at start, --check-config, and --insecure on loopback.
 */
import anyTest, { TestFn } from 'ava';
import * as grpc from '@grpc/grpc-js';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isUnavailable } from '../../shared/errors';
import { loadProtos } from '../../shared/proto';
import { AGENT_MAIN, TestAgent, stopAllAgents } from '../harness/agent';
import { makeTestPki, TestPki } from '../harness/certs';
import { tempDir, waitFor } from '../harness/tmp';

interface Ctx {
  pki: TestPki;
  dir: string;
  cleanup: () => void;
}
const test = anyTest as TestFn<Ctx>;

test.before((t) => {
  const pki = makeTestPki();
  const tmp = tempDir('zkmig-agent-life-');
  t.context = { pki, dir: fs.realpathSync(tmp.dir), cleanup: () => (tmp.cleanup(), pki.cleanup()) };
});

test.after.always(async (t) => {
  await stopAllAgents();
  // Services the drain test started.
  const pidFile = path.join(t.context.dir ?? '/nonexistent', 'drain', 'state', 'services', 'slow.pid');
  if (fs.existsSync(pidFile)) {
    try {
      process.kill(-Number(fs.readFileSync(pidFile, 'utf8')), 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  t.context.cleanup?.();
});

function subdir(t: { context: Ctx }, name: string): string {
  const d = path.join(t.context.dir, name);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

test('SIGTERM drains: the call in flight completes, health goes NOT_SERVING, new calls are refused, exit 0', async (t) => {
  const dir = subdir(t, 'drain');
  const agent = await TestAgent.start({
    dir,
    pki: t.context.pki,
    services: [{ name: 'slow', backend: 'command', graceMs: 2000, command: { start: [process.execPath, '-e', 'setInterval(() => {}, 1000)'] } }],
  });
  // Watch health over its own connection: SERVING now, NOT_SERVING once draining.
  const Health = loadProtos().health.Health;
  const pki = t.context.pki;
  const h = new Health(agent.address, grpc.credentials.createSsl(fs.readFileSync(pki.ca), fs.readFileSync(pki.coordinator.key), fs.readFileSync(pki.coordinator.cert)), { 'grpc.ssl_target_name_override': 'localhost' });
  t.teardown(() => h.close());
  const seen: string[] = [];
  const watch = h.watch({ service: '' });
  watch.on('data', (m: { status: string }) => seen.push(m.status));
  watch.on('error', () => undefined);
  await waitFor('the first health status', () => seen.length > 0, 5000);
  t.deepEqual(seen, ['SERVING']);

  const c = agent.client();
  t.teardown(() => c.close());
  const started = c.controlService('slow', 'start');
  // The start is in its 2 s grace period once the pid file exists: stop the agent now.
  const pidFile = path.join(dir, 'state', 'services', 'slow.pid');
  await waitFor('the service to be launched', () => fs.existsSync(pidFile), 5000, 10);
  agent.sigterm();
  await waitFor('NOT_SERVING on the health watch', () => seen.includes('NOT_SERVING'), 5000, 10);
  const late = agent.client({ retry: { maxAttempts: 1 } });
  t.teardown(() => late.close());
  t.true(isUnavailable(await t.throwsAsync(late.facts())), 'a call after SIGTERM is refused as UNAVAILABLE');
  const r = await started;
  t.like(r, { changed: true, failed: false });
  t.is(await agent.stop(), 0);
  const states = agent.records().filter((x) => x.event === 'lifecycle').map((x) => x.state);
  t.deepEqual(states.slice(-3), ['serving', 'draining', 'stopped']);
  const draining = agent.records().find((x) => x.state === 'draining');
  t.regex(draining?.msg ?? '', /received SIGTERM: draining 1 call\(s\) in flight/);
  t.regex(agent.records().find((x) => x.state === 'stopped')?.msg ?? '', /stopped cleanly/);
  process.kill(-Number(fs.readFileSync(pidFile, 'utf8')), 'SIGKILL');
});

test('an invalid config stops the agent at start with exit 2 and an error naming the key', (t) => {
  const dir = subdir(t, 'invalid');
  const cfg = path.join(dir, 'agent.yaml');
  fs.writeFileSync(cfg, ['listen: 127.0.0.1:0', 'services:', '  - name: meta', '    backend: command', '    command:', '      start: "node meta.js --config /x"', ''].join('\n'));
  const r = spawnSync(process.execPath, [AGENT_MAIN, '--config', cfg, '--insecure'], { encoding: 'utf8', timeout: 20000 });
  t.is(r.status, 2);
  t.regex(r.stderr, /^Error: agent config .*agent\.yaml: services\[0\]\.command\.start: must be a non-empty list of strings/m);
  fs.writeFileSync(cfg, 'listen: [1, 2\n');
  const y = spawnSync(process.execPath, [AGENT_MAIN, '--config', cfg], { encoding: 'utf8', timeout: 20000 });
  t.is(y.status, 2);
  t.regex(y.stderr, /not valid YAML/);
});

test('--check-config validates without listening; --help documents purpose, permissions and signals', (t) => {
  const dir = subdir(t, 'check');
  const cfg = path.join(dir, 'agent.yaml');
  const pki = t.context.pki;
  fs.writeFileSync(cfg, `listen: 127.0.0.1:1\ntls:\n  ca: ${pki.ca}\n  cert: ${pki.agent.cert}\n  key: ${pki.agent.key}\n`);
  const r = spawnSync(process.execPath, [AGENT_MAIN, '--config', cfg, '--check-config'], { encoding: 'utf8', timeout: 20000 });
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /OK \(0 file\(s\), 0 service\(s\), mutual TLS\)/);
  const h = spawnSync(process.execPath, [AGENT_MAIN, '--help'], { encoding: 'utf8', timeout: 20000 });
  t.is(h.status, 0);
  for (const re of [/When not to use it/, /Permissions:/, /SIGTERM/, /Exit codes/, /--insecure/]) t.regex(h.stdout, re);
});

test('--insecure on loopback serves plain gRPC (for tests and sandboxes only)', async (t) => {
  const dir = subdir(t, 'insecure');
  const conf = path.join(dir, 'config.ini');
  fs.writeFileSync(conf, '[zookeeper]\n  hosts_list = a:2181\n');
  const agent = await TestAgent.start({ dir, insecure: true, files: [conf] });
  const c = agent.client();
  t.teardown(() => c.close());
  const f = await c.facts();
  t.is(f.files[0]?.pegasus?.zk_hosts_list, 'a:2181');
  t.is(await c.health(), 'SERVING');
  t.regex(agent.records().find((r) => r.event === 'lifecycle' && /listening/.test(r.msg))?.msg ?? '', /WITHOUT TLS/);
  t.is(await agent.stop(), 0);
});

test('SIGHUP reloads the TLS files: new connections are verified against the new client CA', async (t) => {
  const dir = subdir(t, 'reload');
  const pki = t.context.pki;
  const clientCa = path.join(dir, 'client-ca.pem');
  fs.copyFileSync(pki.ca, clientCa);
  const agent = await TestAgent.start({ dir, pki, clientCa });
  const before = agent.client({ cert: pki.intruder, retry: { maxAttempts: 1 } });
  t.teardown(() => before.close());
  t.true(isUnavailable(await t.throwsAsync(before.facts())), 'the other CA\'s client is refused at first');
  fs.copyFileSync(pki.otherCa, clientCa);
  agent.proc?.kill('SIGHUP');
  await waitFor('the reload in the audit log', () => agent.records().some((r) => /reloaded TLS certificate files/.test(r.msg)), 5000);
  const after = agent.client({ cert: pki.intruder });
  t.teardown(() => after.close());
  t.is((await after.facts()).agent_state, 'serving');
  const old = agent.client({ cert: pki.coordinator, retry: { maxAttempts: 1 } });
  t.teardown(() => old.close());
  t.true(isUnavailable(await t.throwsAsync(old.facts())), 'the old CA\'s client is refused after the reload');
  t.is(await agent.stop(), 0);
});
