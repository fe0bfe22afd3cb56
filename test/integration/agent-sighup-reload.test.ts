/**
 * Security finding 11 (docs/reliability.md), against a real agent process: SIGHUP applies a rotated bearer token and
 * a list of revoked certificate serials (tls.deniedSerials) at once, open connections included.
 */
import anyTest, { TestFn } from 'ava';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import YAML from 'yaml';
import { stopAllAgents, TestAgent } from '../harness/agent';
import { makeTestPki, TestPki } from '../harness/certs';
import { PEGASUS_CONFIG_FIXTURE } from '../harness/fixtures';
import { tempDir, waitFor } from '../harness/tmp';

const test = anyTest.serial as TestFn<{ agent: TestAgent; pki: TestPki; conf: string; cleanup: () => void }>;

test.before(async (t) => {
  const tmp = tempDir('zkmig-agent-hup-');
  const pki = makeTestPki();
  const dir = fs.realpathSync(tmp.dir);
  const conf = `${dir}/config.ini`;
  fs.copyFileSync(PEGASUS_CONFIG_FIXTURE, conf);
  // Both coordinator and auditor are allowed: only the denied serial must make the difference.
  const agent = await TestAgent.start({ dir, pki, files: [conf], token: 'old-token', allowedClients: ['coordinator', 'auditor'] });
  t.context = { agent, pki, conf, cleanup: () => (tmp.cleanup(), pki.cleanup()) };
});
test.after.always(async (t) => {
  await stopAllAgents();
  t.context.cleanup?.();
});

/** SIGHUP the agent and wait for its reload record (from `from` on). */
async function hup(agent: TestAgent): Promise<string> {
  const from = fs.statSync(agent.stderrPath).size;
  agent.proc?.kill('SIGHUP');
  const r = await waitFor('the SIGHUP reload record', () => agent.records(from).find((x) => /reload/.test(x.msg)), 5000);
  return r.msg;
}

test('a token rotated by SIGHUP: the old token is refused at once, the new one accepted', async (t) => {
  const { agent, conf } = t.context;
  const old = agent.client({ token: 'old-token', retry: { maxAttempts: 1 } });
  t.teardown(() => old.close());
  t.is((await old.readConfig(conf)).path, conf);
  fs.writeFileSync(`${agent.spec.dir}/token`, 'new-token\n');
  t.regex(await hup(agent), /reloaded .*bearer token/);
  // The same connection, still open: refused with the old token.
  const e = await t.throwsAsync(old.readConfig(conf));
  t.regex(e?.message ?? '', /UNAUTHENTICATED: missing or wrong bearer token/);
  const fresh = agent.client({ token: 'new-token', retry: { maxAttempts: 1 } });
  t.teardown(() => fresh.close());
  t.is((await fresh.readConfig(conf)).path, conf);
  // An empty token file is refused, and the agent keeps the current token.
  fs.writeFileSync(`${agent.spec.dir}/token`, '\n');
  t.regex(await hup(agent), /reload failed.*is empty/);
  t.is((await fresh.readConfig(conf)).path, conf);
  fs.writeFileSync(`${agent.spec.dir}/token`, 'new-token\n');
});

test('a certificate serial denied by SIGHUP is refused at once, on open and on new connections; others still work', async (t) => {
  const { agent, pki, conf } = t.context;
  const serial = new crypto.X509Certificate(fs.readFileSync(pki.coordinator.cert)).serialNumber;
  const open = agent.client({ token: 'new-token', retry: { maxAttempts: 1 } });
  t.teardown(() => open.close());
  t.is((await open.readConfig(conf)).path, conf);
  t.is(await open.health(), 'SERVING');
  const cfg = YAML.parse(fs.readFileSync(agent.configPath, 'utf8')) as { tls: Record<string, unknown> };
  // As `openssl x509 -noout -serial` prints it, in lower case with colons: normalised by the agent.
  cfg.tls.deniedSerials = [serial.toLowerCase().match(/../g)?.join(':')];
  fs.writeFileSync(agent.configPath, YAML.stringify(cfg));
  t.regex(await hup(agent), /tls\.deniedSerials \(1 serial/);
  const e1 = await t.throwsAsync(open.readConfig(conf));
  t.regex(e1?.message ?? '', /PERMISSION_DENIED: client certificate serial [0-9A-F]+ is in tls\.deniedSerials/);
  // Not even the health status (health.ts).
  const e2 = await t.throwsAsync(open.health());
  t.regex(e2?.message ?? '', /PERMISSION_DENIED: client certificate serial is in tls\.deniedSerials/);
  const fresh = agent.client({ token: 'new-token', retry: { maxAttempts: 1 }, deadlines: { readMs: 3000 } });
  t.teardown(() => fresh.close());
  await t.throwsAsync(fresh.readConfig(conf));
  await waitFor('the tls-rejected record', () => agent.records().some((r) => r.event === 'tls-rejected' && r.reason === 'DENIED_SERIAL'), 5000);
  const auditor = agent.client({ cert: pki.auditor, token: 'new-token', retry: { maxAttempts: 1 } });
  t.teardown(() => auditor.close());
  t.is((await auditor.readConfig(conf)).path, conf);
  // A malformed list is a reload error naming the key; the denial stays in force.
  cfg.tls.deniedSerials = ['not-hex'];
  fs.writeFileSync(agent.configPath, YAML.stringify(cfg));
  t.regex(await hup(agent), /reload failed.*tls\.deniedSerials/);
  await t.throwsAsync(open.readConfig(conf));
});
