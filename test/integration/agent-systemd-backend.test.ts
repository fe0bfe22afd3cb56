/**
 * The `systemd` backend against a real systemd: a private systemd (PID 1 of its own namespaces,
 * test/harness/systemd.ts) runs the agent as a transient unit, and the agent drives real units
 * there over `systemctl`. The test talks to the agent from outside over mutual TLS (the network
 * namespace is shared). Also proves the audit goes to journald, with fields, when the socket exists.
 */
import anyTest, { TestFn } from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AgentClient } from '../../coordinator/lib/agent-client';
import { freePort } from '../../coordinator/lib/zk-server';
import { isNotFound, ServiceFailedError } from '../../shared/errors';
import { AGENT_MAIN } from '../harness/agent';
import { makeTestPki, TestPki } from '../harness/certs';
import { PrivateSystemd } from '../harness/systemd';
import { waitFor } from '../harness/tmp';

interface Ctx {
  sd: PrivateSystemd;
  pki: TestPki;
  dir: string;
  client: AgentClient;
}
const test = anyTest as TestFn<Ctx>;

const UNITS: Record<string, string> = {
  'zk-good.service': '[Service]\nType=simple\nExecStart=/bin/sleep 1000\n',
  // Type=simple: `systemctl start` returns 0, then the process dies (ansible/ansible#24450).
  'zk-crash.service': '[Service]\nType=simple\nExecStart=/bin/sh -c "echo cannot bind 34601 >&2; sleep 1; exit 3"\n',
  'zk-loop.service': '[Service]\nType=simple\nExecStart=/bin/sh -c "sleep 0.3; exit 1"\nRestart=on-failure\nRestartSec=100ms\n',
};

test.before(async (t) => {
  fs.mkdirSync('/var/lib/zkmig-test', { recursive: true });
  const dir = fs.mkdtempSync('/var/lib/zkmig-test/agent-systemd-');
  const pki = makeTestPki(dir);
  const sd = await PrivateSystemd.boot();
  t.context = { sd, pki, dir, client: undefined as never };
  for (const [name, body] of Object.entries(UNITS)) fs.writeFileSync(path.join(dir, name), body);
  const r = await sd.exec(['sh', '-c', `cp ${dir}/*.service /run/systemd/system/ && systemctl daemon-reload`]);
  if (r.code !== 0) throw new Error(r.stderr);
  const port = await freePort();
  const services = Object.keys(UNITS)
    .map((u) => `  - name: ${u.replace('.service', '')}\n    backend: systemd\n    unit: ${u}\n    graceMs: ${u === 'zk-crash.service' ? 5000 : 2500}\n    startTimeoutMs: 10000\n    stopTimeoutMs: 10000\n`)
    .join('');
  fs.writeFileSync(
    path.join(dir, 'agent.yaml'),
    `listen: 127.0.0.1:${port}\ntls:\n  ca: ${t.context.pki.ca}\n  cert: ${pki.agent.cert}\n  key: ${pki.agent.key}\nstateDir: ${dir}/state\nservices:\n${services}  - name: ghost\n    backend: systemd\n    unit: no-such-unit.service\n`,
  );
  const run = await sd.exec(['systemd-run', '--unit=zkmig-agent-test', '-p', 'KillMode=process', process.execPath, AGENT_MAIN, '--config', path.join(dir, 'agent.yaml')]);
  if (run.code !== 0) throw new Error(run.stderr);
  const client = new AgentClient({
    address: `127.0.0.1:${port}`,
    tls: { ca: pki.ca, cert: pki.coordinator.cert, key: pki.coordinator.key, serverName: 'localhost' },
    retry: { maxAttempts: 1 },
  });
  t.context.client = client;
  await waitFor('the agent inside the private systemd to serve', async () => (await client.health()) === 'SERVING', 30000, 100);
});

test.after.always(async (t) => {
  t.context.client?.close();
  await t.context.sd?.shutdown();
  if (t.context.dir) fs.rmSync(t.context.dir, { recursive: true, force: true });
});

test.serial('start waits for active, watches the grace period, and is idempotent; stop too', async (t) => {
  const c = t.context.client;
  const dry = await c.controlService('zk-good', 'start', { checkMode: true });
  t.like(dry, { changed: true, failed: false });
  t.is((await t.context.sd.show('zk-good.service')).ActiveState, 'inactive', 'check mode started nothing');
  const r = await c.controlService('zk-good', 'start');
  t.like(r, { changed: true, failed: false });
  t.like(r.status, { backend: 'systemd', state: 'active', sub_state: 'running' });
  t.is(String(r.status?.main_pid), (await t.context.sd.show('zk-good.service')).MainPID ?? 'missing');
  t.false((await c.controlService('zk-good', 'start')).changed);
  const s = await c.controlService('zk-good', 'stop');
  t.like(s, { changed: true, failed: false });
  t.is(s.status?.state, 'inactive');
  t.false((await c.controlService('zk-good', 'stop')).changed);
});

test.serial('a unit that dies one second after a successful systemctl start is reported as failed', async (t) => {
  const c = t.context.client;
  const e = await t.throwsAsync(c.controlService('zk-crash', 'start'));
  t.true(e instanceof ServiceFailedError);
  const r = (e as ServiceFailedError).result as { msg: string; status: { state: string; exec_main_status: number }; log_tail: string };
  t.regex(r.msg, /zk-crash died \d+\.\d s after start, within its \d+ ms grace period \(exit status 3\)/);
  t.like(r.status, { state: 'failed', exec_main_status: 3 });
  t.regex(r.log_tail, /cannot bind 34601/);
});

test.serial('a unit in a restart loop (NRestarts grows during the grace period) is reported as failed', async (t) => {
  const r = await t.context.client.controlService('zk-loop', 'start', { allowFailure: true });
  t.true(r.failed);
  t.regex(r.msg, /zk-loop (died|failed|did not become active)/);
  t.true((r.status?.n_restarts ?? 0) > 0 || r.status?.state !== 'active', `not reported as a healthy start: ${r.msg}`);
  await t.context.client.controlService('zk-loop', 'stop');
});

test.serial('an allowlisted service whose unit does not exist is NOT_FOUND', async (t) => {
  t.true(isNotFound(await t.throwsAsync(t.context.client.serviceStatus('ghost'))));
});

test.serial('with the journal socket present the audit goes to journald with ZKMIG_* fields', async (t) => {
  const entries = await waitFor(
    'mutation records in the journal',
    async () => {
      const j = await t.context.sd.journal('ZKMIG_EVENT=mutation');
      return j.length >= 3 ? j : undefined;
    },
    10000,
  );
  const started = entries.find((e) => e.ZKMIG_TARGET === 'zk-good start');
  t.truthy(started);
  t.like(started, { SYSLOG_IDENTIFIER: 'zkmig-agent', ZKMIG_METHOD: 'ControlService', ZKMIG_CLIENT: 'O=zkmig/CN=coordinator', ZKMIG_RESULT: 'ok' });
  const failed = entries.find((e) => e.ZKMIG_TARGET === 'zk-crash start');
  t.is(failed?.ZKMIG_RESULT, 'failed');
  t.is(failed?.PRIORITY, '4', 'a failed start is logged at warning level');
});
