/**
 * Security findings 6 and 7 (docs/reliability.md): a client whose certificate the CA signed but whose CN is not
 * in tls.allowedClients, with no token, floods a real agent with 400 concurrent 1 MB EditConfig
 * requests and 20,000 Health.Watch streams. The agent must stay under 150 MB (VmHWM, the peak
 * resident set, from /proc), keep serving the coordinator, and not write a record per denied call
 * or a record the size of the client's request_id.
 */
import anyTest, { TestFn } from 'ava';
import * as grpc from '@grpc/grpc-js';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadProtos } from '../../shared/proto';
import { stopAllAgents, TestAgent } from '../harness/agent';
import { makeTestPki, TestPki } from '../harness/certs';
import { tempDir } from '../harness/tmp';

interface Ctx {
  pki: TestPki;
  tmp: { dir: string; cleanup: () => void };
  agent: TestAgent;
  file: string;
}
const test = anyTest as TestFn<Ctx>;
const LIMIT_MB = 150;

test.before(async (t) => {
  t.context.tmp = tempDir('zkmig-memflood-');
  t.context.pki = makeTestPki();
  const dir = fs.realpathSync(t.context.tmp.dir);
  t.context.file = path.join(dir, 'config.ini');
  fs.writeFileSync(t.context.file, '[zookeeper]\nhosts_list = zk1:2181\n');
  t.context.agent = await TestAgent.start({ dir, pki: t.context.pki, files: [t.context.file], token: 'tok', allowedClients: ['coordinator'] });
});

test.after.always(async (t) => {
  await stopAllAgents();
  t.context.pki?.cleanup();
  t.context.tmp?.cleanup();
});

function memMb(pid: number): { rss: number; hwm: number } {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

test('an unauthorised CA-signed client cannot drive the agent over 150 MB, and it keeps serving', async (t) => {
  const { agent, pki, file } = t.context;
  const pid = agent.proc?.pid as number;
  const before = memMb(pid);
  const creds = () => grpc.credentials.createSsl(fs.readFileSync(pki.ca), fs.readFileSync(pki.auditor.key), fs.readFileSync(pki.auditor.cert));
  const { agent: A } = loadProtos();
  const auditFrom = fs.statSync(agent.stderrPath).size;
  const floodStart = Date.now();

  // 400 concurrent ~1 MB requests over 4 connections, each with a 900 KB request_id.
  const big = 'x'.repeat(900 * 1024);
  const configs = Array.from({ length: 4 }, (_, i) => new A.ConfigService(agent.address, creds(), { 'grpc.ssl_target_name_override': 'localhost', 'grpc.max_send_message_length': 8 << 20, [`test.channel${i}`]: i }));
  const calls = Array.from({ length: 400 }, (_, i) =>
    new Promise<string>((resolve) => {
      configs[i % 4]!.editConfig(
        { header: { request_id: big, coordinator: 'root@admin-host' }, path: file, edits: [{ section: 'zookeeper', key: 'hosts_list', value: 'y'.repeat(100 * 1024) }] },
        new grpc.Metadata(),
        { deadline: Date.now() + 60000 },
        (e) => resolve(e ? grpc.status[(e as grpc.ServiceError).code] ?? 'ERR' : 'OK'),
      );
    }),
  );
  const outcomes = await Promise.all(calls);
  t.false(outcomes.includes('OK'), 'nothing was accepted');
  t.log(`1 MB requests: ${JSON.stringify(Object.fromEntries([...new Set(outcomes)].map((o) => [o, outcomes.filter((x) => x === o).length])))}`);
  const afterUnary = memMb(pid);
  for (const c of configs) c.close();

  // 20,000 Health.Watch streams over 2 connections, from a separate attacker process (so that the
  // attacker's own event loop does not slow the coordinator's call below).
  const script = path.join(t.context.tmp.dir, 'watch-flood.js');
  fs.writeFileSync(
    script,
    `const grpc = require(${JSON.stringify(require.resolve('@grpc/grpc-js'))});
const { loadProtos } = require(${JSON.stringify(path.resolve(__dirname, '../../shared/proto.js'))});
const fs = require('fs');
const [addr, ca, key, cert] = process.argv.slice(2);
const H = loadProtos().health.Health;
const hs = [0, 1].map((i) => new H(addr, grpc.credentials.createSsl(fs.readFileSync(ca), fs.readFileSync(key), fs.readFileSync(cert)), { 'grpc.ssl_target_name_override': 'localhost', ['test.h' + i]: i }));
let opened = 0;
(function more() {
  for (let j = 0; j < 1000 && opened < 20000; j++, opened++) {
    const s = hs[opened % 2].watch({ service: '' });
    s.on('error', () => {});
    s.on('data', () => {});
  }
  if (opened < 20000) setImmediate(more);
  else console.log('opened');
})();
setInterval(() => {}, 1000);
`,
  );
  const { spawn } = await import('node:child_process');
  const flood = spawn(process.execPath, [script, agent.address, pki.ca, pki.auditor.key, pki.auditor.cert], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => flood.kill('SIGKILL'));
  await new Promise<void>((resolve) => flood.stdout.on('data', (d: Buffer) => d.toString().includes('opened') && resolve()));
  await new Promise((r) => setTimeout(r, 5000));
  const afterWatch = memMb(pid);
  t.log(`agent memory MB: before ${JSON.stringify(before)}, after 400 x 1 MB ${JSON.stringify(afterUnary)}, with 20000 watches ${JSON.stringify(afterWatch)}`);

  // The coordinator is served meanwhile, on its first attempt.
  const c = agent.client({ retry: { maxAttempts: 1 } });
  try {
    t.truthy((await c.readConfig(file)).sha256);
  } finally {
    c.close();
  }
  flood.kill('SIGKILL');

  t.true(afterWatch.hwm < LIMIT_MB, `peak RSS ${afterWatch.hwm.toFixed(0)} MB`);
  // Medium 7: denied calls are aggregated, and no record carries the 900 KB request_id.
  const text = fs.readFileSync(agent.stderrPath, 'utf8').slice(auditFrom);
  const lines = text.split('\n').filter((l) => l.startsWith('{'));
  const longest = Math.max(...lines.map((l) => l.length));
  t.true(longest < 8192, `longest audit line ${longest} bytes`);
  const denied = lines.filter((l) => l.includes('"event":"denied"')).length;
  t.log(`${denied} denied records for ${outcomes.length} denied calls; longest line ${longest} bytes`);
  // About 20 a second at most (burst), plus the aggregated summaries, for 20,400 denied calls.
  const seconds = (Date.now() - floodStart) / 1000;
  t.true(denied <= 25 * (seconds + 2), `${denied} denied records in ${seconds.toFixed(1)} s`);
});
