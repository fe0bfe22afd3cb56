/**
 * The agent's Prometheus metrics (issue 18), scraped from a real agent process over HTTP and over
 * HTTPS: RPC counts and latencies by method and code, rejected connections by reason, service
 * states, managed-file hash age. The exposition text is checked by a strict parser.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { makeTestPki, TestPki } from '../harness/certs';
import { stopAllAgents, TestAgent } from '../harness/agent';
import { parseExposition, sampleValue } from '../harness/prom-text';
import { tempDir, waitFor } from '../harness/tmp';

let pki: TestPki;
test.before(() => {
  pki = makeTestPki();
});
test.after.always(async () => {
  await stopAllAgents();
  pki?.cleanup();
});

function metricsAddress(a: TestAgent): string {
  const rec = a.records().find((r) => r.event === 'lifecycle' && /^metrics on /.test(r.msg));
  if (!rec) throw new Error('no "metrics on" record');
  return String(rec.address);
}

async function scrapeHttp(address: string): Promise<{ status: number; type: string; text: string }> {
  const r = await fetch(`http://${address}/metrics`, { signal: AbortSignal.timeout(20000) });
  return { status: r.status, type: r.headers.get('content-type') ?? '', text: await r.text() };
}

test('a real agent serves its metrics: RPCs by method and code, rejected connections, service states, file hash age', async (t) => {
  const tmp = tempDir();
  t.teardown(tmp.cleanup);
  const ini = path.join(tmp.dir, 'config.ini');
  fs.writeFileSync(ini, '[zookeeper]\n  hosts_list = old:2181\n');
  fs.utimesSync(ini, new Date(Date.now() - 3600_000), new Date(Date.now() - 3600_000));
  const agent = await TestAgent.start({
    dir: tmp.dir,
    pki,
    files: [ini],
    services: [{ name: 'meta', backend: 'command', command: { start: ['/bin/sleep', '1000'] } }],
    allowedClients: ['coordinator'],
    extra: { metrics: { listen: '127.0.0.1:0' } },
  });
  const address = metricsAddress(agent);

  // Before anything: the file has had its hash for about an hour (its mtime), the service is down.
  let s = parseExposition((await scrapeHttp(address)).text);
  t.true(sampleValue(s, 'zkmig_agent_managed_file_hash_age_seconds', { path: ini })! >= 3500);
  t.is(sampleValue(s, 'zkmig_agent_managed_file_readable', { path: ini }), 1);
  t.is(sampleValue(s, "zkmig_agent_service_state", { service: "meta", state: "inactive" }), 1, JSON.stringify(s.filter((x) => x.name.includes("service"))));
  t.is(sampleValue(s, 'zkmig_agent_service_state', { service: 'meta', state: 'active' }), 0);
  t.is(sampleValue(s, 'zkmig_agent_lifecycle_state', { state: 'serving' }), 1);

  const c = agent.client();
  const auditor = agent.client({ cert: pki.auditor });
  const intruder = agent.client({ cert: pki.intruder, retry: { maxAttempts: 1, initialBackoffMs: 10, maxBackoffMs: 10 } });
  try {
    await c.facts();
    await c.facts();
    const edited = await c.editConfig({ path: ini, edits: [{ section: 'zookeeper', key: 'hosts_list', value: 'new:2181' }] });
    t.true(edited.changed, JSON.stringify(edited));
    await t.throwsAsync(() => c.editConfig({ path: path.join(tmp.dir, 'other.ini'), edits: [{ section: 'a', key: 'b', value: 'c' }] }));
    await t.throwsAsync(() => auditor.facts());
    await t.throwsAsync(() => intruder.facts());
  } finally {
    c.close();
    auditor.close();
    intruder.close();
  }
  // A TLS client without a certificate.
  await new Promise<void>((resolve) => {
    const sock = tls.connect({ host: '127.0.0.1', port: agent.port, ca: fs.readFileSync(pki.ca), servername: 'localhost', ALPNProtocols: ['h2'] });
    sock.on('error', () => resolve());
    sock.on('close', () => resolve());
  });

  const scrape = await scrapeHttp(address);
  t.is(scrape.status, 200);
  t.regex(scrape.type, /^text\/plain; version=0\.0\.4/);
  s = parseExposition(scrape.text);
  t.is(sampleValue(s, 'zkmig_agent_rpc_requests_total', { method: 'GetFacts', code: 'OK' }), 2);
  t.is(sampleValue(s, 'zkmig_agent_rpc_requests_total', { method: 'EditConfig', code: 'OK' }), 1);
  t.is(sampleValue(s, 'zkmig_agent_rpc_requests_total', { method: 'EditConfig', code: 'PERMISSION_DENIED' }), 1);
  t.is(sampleValue(s, 'zkmig_agent_rpc_requests_total', { method: 'GetFacts', code: 'PERMISSION_DENIED' }), 1);
  t.is(sampleValue(s, 'zkmig_agent_rpc_duration_seconds_count', { method: 'GetFacts', code: 'OK' }), 2);
  t.is(sampleValue(s, 'zkmig_agent_rpc_duration_seconds_bucket', { method: 'GetFacts', code: 'OK', le: '+Inf' }), 2);
  t.true(sampleValue(s, 'zkmig_agent_rpc_duration_seconds_sum', { method: 'EditConfig', code: 'OK' })! > 0);
  t.is(sampleValue(s, 'zkmig_agent_connections_rejected_total', { reason: 'NO_CLIENT_CERTIFICATE' }), 1, JSON.stringify(s.filter((x) => x.name === 'zkmig_agent_connections_rejected_total')));
  const otherCa = s.filter((x) => x.name === 'zkmig_agent_connections_rejected_total' && x.labels.reason !== 'NO_CLIENT_CERTIFICATE');
  t.true(otherCa.reduce((n, x) => n + x.value, 0) >= 1, JSON.stringify(otherCa));
  // The edit changed the hash: its age starts again.
  t.true(sampleValue(s, 'zkmig_agent_managed_file_hash_age_seconds', { path: ini })! < 600, JSON.stringify(s.filter((x) => x.name.startsWith('zkmig_agent_managed_file'))));
  t.truthy(s.find((x) => x.name === 'zkmig_agent_process_resident_memory_bytes'));

  // The service, started: its state follows.
  const c2 = agent.client();
  try {
    await c2.controlService('meta', 'start', { allowFailure: true });
  } finally {
    c2.close();
  }
  await waitFor('service_state active', async () => sampleValue(parseExposition((await scrapeHttp(address)).text), 'zkmig_agent_service_state', { service: 'meta', state: 'active' }) === 1, 20000, 100);
  const notFound = await fetch(`http://${address}/`, { signal: AbortSignal.timeout(20000) });
  t.is(notFound.status, 404);
  const c3 = agent.client();
  try {
    await c3.controlService('meta', 'stop', { allowFailure: true });
  } finally {
    c3.close();
  }
  t.is(await agent.stop(), 0);
});

test('metrics over HTTPS when metrics.tls is set; a bad metrics config is refused naming the key', async (t) => {
  const tmp = tempDir();
  t.teardown(tmp.cleanup);
  const agent = await TestAgent.start({ dir: tmp.dir, pki, extra: { metrics: { listen: '127.0.0.1:0', tls: { cert: pki.agent.cert, key: pki.agent.key } } } });
  const address = metricsAddress(agent);
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  const text = await new Promise<string>((resolve, reject) => {
    const req = https.get({ host, port, path: '/metrics', ca: fs.readFileSync(pki.ca), servername: 'localhost', timeout: 20000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
  });
  t.truthy(sampleValue(parseExposition(text), 'zkmig_agent_info', { version: JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')).version }));
  t.is(await agent.stop(), 0);

  fs.writeFileSync(path.join(tmp.dir, 'bad.yaml'), `tls: {ca: ${pki.ca}, cert: ${pki.agent.cert}, key: ${pki.agent.key}}\nmetrics: {listen: "nowhere"}\n`);
  const { main } = await import('../../agent/main.js');
  const out: string[] = [];
  const orig = process.stderr.write.bind(process.stderr);
  const err = await t.throwsAsync(() => main(['--config', path.join(tmp.dir, 'bad.yaml'), '--check-config']));
  process.stderr.write = orig;
  t.regex(String(err?.message), /metrics\.listen/);
  t.is(out.length, 0);
});
