/**
 * Every rejection the agent must make, against a real agent process over TLS on loopback: each is
 * refused, audited, and leaves every file as it was.
 */
import anyTest, { TestFn } from 'ava';
import * as grpc from '@grpc/grpc-js';
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AgentClient } from '../../coordinator/lib/agent-client';
import { isPermissionDenied, isUnavailable } from '../../shared/errors';
import { loadProtos } from '../../shared/proto';
import { AGENT_MAIN, AuditRecord, TestAgent, stopAllAgents } from '../harness/agent';
import { makeTestPki, TestPki } from '../harness/certs';
import { tempDir, waitFor } from '../harness/tmp';
import { PEGASUS_CONFIG_FIXTURE } from '../harness/fixtures';

const FIXTURE = fs.readFileSync(PEGASUS_CONFIG_FIXTURE);
const TOKEN = 'correct-horse-battery-staple';
const sha = (f: string): string => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');

interface Ctx {
  pki: TestPki;
  dir: string;
  conf: string;
  conf2: string;
  outside: string;
  agent: TestAgent;
  cleanup: () => void;
}
const test = anyTest as TestFn<Ctx>;

test.before(async (t) => {
  const pki = makeTestPki();
  const tmp = tempDir('zkmig-agent-sec-');
  const dir = fs.realpathSync(tmp.dir);
  for (const d of ['conf', 'conf2', 'outside']) fs.mkdirSync(path.join(dir, d));
  const conf = path.join(dir, 'conf', 'config.ini');
  const conf2 = path.join(dir, 'conf2', 'config.ini');
  const outside = path.join(dir, 'outside', 'secret.ini');
  for (const f of [conf, conf2, outside]) fs.writeFileSync(f, FIXTURE);
  const agent = await TestAgent.start({
    dir,
    pki,
    files: [conf, conf2],
    token: TOKEN,
    allowedClients: ['coordinator'],
    services: [{ name: 'meta', backend: 'command', command: { start: [process.execPath, '-e', 'setInterval(() => {}, 1000)'] } }],
  });
  t.context = { pki, dir, conf, conf2, outside, agent, cleanup: () => (tmp.cleanup(), pki.cleanup()) };
});

test.after.always(async (t) => {
  await stopAllAgents();
  t.context.cleanup?.();
});

const EDIT = [{ section: 'zookeeper', key: 'hosts_list', value: 'attacker:2181' }];

/** Run `attempt`, then assert the files are unchanged and an audit record matching `match` appeared. */
async function rejected(
  t: { context: Ctx; is: (a: unknown, b: unknown, m?: string) => void },
  attempt: () => Promise<unknown>,
  match: (r: AuditRecord) => boolean,
): Promise<unknown> {
  const before = [t.context.conf, t.context.conf2, t.context.outside].map((f) => (fs.lstatSync(f).isSymbolicLink() ? 'link' : sha(f)));
  let err: unknown;
  try {
    await attempt();
  } catch (e) {
    err = e;
  }
  if (err === undefined) throw new Error('the call was not rejected');
  const after = [t.context.conf, t.context.conf2, t.context.outside].map((f) => (fs.lstatSync(f).isSymbolicLink() ? 'link' : sha(f)));
  t.is(JSON.stringify(after), JSON.stringify(before), 'nothing changed');
  await waitFor('the rejection in the audit log', () => t.context.agent.records().some(match), 5000);
  return err;
}

test.serial('a client without a certificate is dropped at the TLS handshake and audited', async (t) => {
  const { agent, pki, conf } = t.context;
  const Config = loadProtos().agent.ConfigService;
  const raw = new Config(agent.address, grpc.credentials.createSsl(fs.readFileSync(pki.ca)), { 'grpc.ssl_target_name_override': 'localhost' });
  t.teardown(() => raw.close());
  const err = await rejected(
    t,
    () =>
      new Promise((resolve, reject) => {
        const md = new grpc.Metadata();
        md.set('authorization', `Bearer ${TOKEN}`);
        raw.editConfig({ path: conf, edits: [{ section: 'zookeeper', key: 'hosts_list', value: 'x:1' }] }, md, { deadline: Date.now() + 5000 }, (e, r) => (e ? reject(e) : resolve(r)));
      }),
    (r) => r.event === 'tls-rejected' && r.reason === 'NO_CLIENT_CERTIFICATE',
  );
  t.is((err as grpc.ServiceError).code, grpc.status.UNAVAILABLE);
});

test.serial('a certificate from another CA is rejected and audited with its subject', async (t) => {
  const c = t.context.agent.client({ cert: t.context.pki.intruder });
  t.teardown(() => c.close());
  const err = await rejected(t, () => c.editConfig({ path: t.context.conf, edits: EDIT }), (r) => r.event === 'tls-rejected' && /UNABLE_TO_(VERIFY_LEAF_SIGNATURE|GET_ISSUER_CERT)/.test(String(r.reason)));
  t.true(isUnavailable(err));
});

test.serial('an expired certificate from the right CA is rejected and audited', async (t) => {
  const c = t.context.agent.client({ cert: t.context.pki.expired });
  t.teardown(() => c.close());
  await rejected(t, () => c.editConfig({ path: t.context.conf, edits: EDIT }), (r) => r.event === 'tls-rejected' && r.reason === 'CERT_HAS_EXPIRED');
  t.pass();
});

test.serial('an agent (serverAuth-only) certificate cannot be used as a client certificate', async (t) => {
  const c = t.context.agent.client({ cert: t.context.pki.agent });
  t.teardown(() => c.close());
  await rejected(t, () => c.editConfig({ path: t.context.conf, edits: EDIT }), (r) => r.event === 'tls-rejected' && r.reason === 'INVALID_PURPOSE');
  t.pass();
});

test.serial('a valid certificate whose CN is not in tls.allowedClients is PERMISSION_DENIED', async (t) => {
  const c = t.context.agent.client({ cert: t.context.pki.auditor });
  t.teardown(() => c.close());
  const err = await rejected(t, () => c.editConfig({ path: t.context.conf, edits: EDIT }), (r) => r.event === 'denied' && /CN "auditor" is not in tls.allowedClients/.test(r.msg));
  t.true(isPermissionDenied(err));
});

test.serial('a missing or wrong bearer token is UNAUTHENTICATED and audited', async (t) => {
  for (const token of [null, 'wrong-token']) {
    const c = t.context.agent.client({ token });
    t.teardown(() => c.close());
    const err = await rejected(t, () => c.editConfig({ path: t.context.conf, edits: EDIT }), (r) => r.event === 'denied' && r.result === 'UNAUTHENTICATED' && r.target === t.context.conf);
    t.is((err as { grpcCode?: number }).grpcCode, grpc.status.UNAUTHENTICATED);
  }
});

test.serial('a path outside the allowlist is PERMISSION_DENIED and audited', async (t) => {
  const c = t.context.agent.client();
  t.teardown(() => c.close());
  const err = await rejected(t, () => c.editConfig({ path: t.context.outside, edits: EDIT }), (r) => r.event === 'denied' && r.target === t.context.outside && r.method === 'EditConfig');
  t.true(isPermissionDenied(err));
  t.true(isPermissionDenied(await t.throwsAsync(c.readConfig('/etc/passwd'))));
});

test.serial('a ".." path is PERMISSION_DENIED even when it points back into the allowlist', async (t) => {
  const c = t.context.agent.client();
  t.teardown(() => c.close());
  for (const p of [`${path.dirname(t.context.conf)}/../outside/secret.ini`, `${path.dirname(t.context.conf)}/../conf/config.ini`]) {
    const err = await rejected(t, () => c.editConfig({ path: p, edits: EDIT }), (r) => r.event === 'denied' && r.target === p);
    t.true(isPermissionDenied(err));
    t.regex((err as Error).message, /contains "\.\."/);
  }
});

test.serial('a managed file replaced by a symlink leading out of the allowlist is PERMISSION_DENIED', async (t) => {
  const { conf2, outside } = t.context;
  fs.rmSync(conf2);
  fs.symlinkSync(outside, conf2);
  const c = t.context.agent.client();
  t.teardown(() => c.close());
  const err = await rejected(t, () => c.editConfig({ path: conf2, edits: EDIT }), (r) => r.event === 'denied' && r.target === conf2 && /symlink/.test(r.msg));
  t.true(isPermissionDenied(err));
  t.true(fs.readFileSync(outside).equals(FIXTURE));
  // The same through a symlinked directory.
  fs.rmSync(path.dirname(conf2), { recursive: true });
  fs.mkdirSync(path.join(t.context.dir, 'outside2'));
  fs.writeFileSync(path.join(t.context.dir, 'outside2', 'config.ini'), FIXTURE);
  fs.symlinkSync(path.join(t.context.dir, 'outside2'), path.dirname(conf2));
  const err2 = await rejected(t, () => c.editConfig({ path: conf2, edits: EDIT }), (r) => r.event === 'denied' && /symlinked directory/.test(r.msg));
  t.true(isPermissionDenied(err2));
  t.true(fs.readFileSync(path.join(t.context.dir, 'outside2', 'config.ini')).equals(FIXTURE));
});

test.serial('a service that is not in the allowlist is PERMISSION_DENIED', async (t) => {
  const c = t.context.agent.client();
  t.teardown(() => c.close());
  const err = await rejected(t, () => c.controlService('sshd', 'stop'), (r) => r.event === 'denied' && r.target === 'sshd');
  t.true(isPermissionDenied(err));
});

test.serial('requests over limits.maxRequestBytes are refused (RESOURCE_EXHAUSTED)', async (t) => {
  const c = t.context.agent.client();
  t.teardown(() => c.close());
  const err = await rejected(t, () => c.editConfig({ path: t.context.conf, edits: [{ section: 'zookeeper', key: 'hosts_list', value: 'x'.repeat(2 << 20) }] }), () => true);
  t.is((err as { grpcCode?: number }).grpcCode, grpc.status.RESOURCE_EXHAUSTED);
});

test.serial('the coordinator refuses an agent whose certificate its CA did not sign', async (t) => {
  const c = new AgentClient({
    address: t.context.agent.address,
    tls: { ca: t.context.pki.otherCa, cert: t.context.pki.coordinator.cert, key: t.context.pki.coordinator.key, serverName: 'localhost' },
    token: TOKEN,
    retry: { maxAttempts: 1 },
  });
  t.teardown(() => c.close());
  t.true(isUnavailable(await t.throwsAsync(c.facts())));
});

test('--insecure is refused on a non-loopback address: exit 2, nothing listens', (t) => {
  const cfg = path.join(t.context.dir, 'insecure.yaml');
  fs.writeFileSync(cfg, `listen: 0.0.0.0:0\nstateDir: ${t.context.dir}/state\n`);
  const r = spawnSync(process.execPath, [AGENT_MAIN, '--config', cfg, '--insecure'], { encoding: 'utf8', timeout: 20000 });
  t.is(r.status, 2);
  t.regex(r.stderr, /^Error: agent config .*: listen: --insecure is only allowed on a loopback address, not 0\.0\.0\.0/m);
});
