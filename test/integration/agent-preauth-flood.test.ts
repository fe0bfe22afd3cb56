/**
 * Security finding 1 (docs/reliability.md): a peer with no certificate must not be able to lock the coordinator out
 * of an agent by holding its connection slots. The attack runs against a real agent process over
 * real TLS: 200 idle plain TCP sockets and 200 half-done TLS handshakes (a real ClientHello, then
 * silence), each reopened as soon as the agent closes it. Meanwhile an authenticated coordinator
 * call must succeed on its first attempt, within its normal deadline. The failed handshakes must
 * also not flood the audit log (medium 7).
 */
import anyTest, { TestFn } from 'ava';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
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

test.before(async (t) => {
  t.context.tmp = tempDir('zkmig-preauth-');
  t.context.pki = makeTestPki();
  const dir = fs.realpathSync(t.context.tmp.dir);
  t.context.file = path.join(dir, 'config.ini');
  fs.writeFileSync(t.context.file, '[zookeeper]\nhosts_list = zk1:2181\n');
  // The production default limit (64), far below the 400 sockets of the attack.
  t.context.agent = await TestAgent.start({ dir, pki: t.context.pki, files: [t.context.file], token: 'tok', allowedClients: ['coordinator'] });
});

test.after.always(async (t) => {
  await stopAllAgents();
  t.context.pki?.cleanup();
  t.context.tmp?.cleanup();
});

/** The bytes of a real TLS ClientHello, as the coordinator's TLS stack would send them. */
async function clientHello(): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer((s) => {
      s.once('data', (d: Buffer) => {
        resolve(d);
        s.destroy();
        srv.close();
      });
    });
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      const c = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ALPNProtocols: ['h2'], rejectUnauthorized: false });
      c.on('error', () => undefined);
    });
    srv.on('error', reject);
  });
}

/** Keeps `n` connections open, reopening each one (after 20 ms) when the agent closes it. */
class Holder {
  private stopped = false;
  readonly open = new Set<net.Socket>();
  reopened = 0;
  constructor(
    private readonly port: number,
    private readonly n: number,
    private readonly hello: Buffer | null,
  ) {}
  start(): void {
    for (let i = 0; i < this.n; i++) this.one();
  }
  private one(): void {
    if (this.stopped) return;
    const s = net.connect({ host: '127.0.0.1', port: this.port });
    s.on('error', () => undefined);
    s.on('connect', () => {
      this.open.add(s);
      if (this.hello) s.write(this.hello);
    });
    s.on('close', () => {
      this.open.delete(s);
      if (this.stopped) return;
      this.reopened++;
      setTimeout(() => this.one(), 20);
    });
  }
  stop(): void {
    this.stopped = true;
    for (const s of this.open) s.destroy();
  }
}

test('400 unauthenticated connections do not lock the coordinator out, and do not flood the audit log', async (t) => {
  const { agent, file } = t.context;
  const hello = await clientHello();
  const plain = new Holder(agent.port, 200, null);
  const half = new Holder(agent.port, 200, hello);
  const auditFrom = fs.statSync(agent.stderrPath).size;
  const floodStart = Date.now();
  plain.start();
  half.start();
  try {
    // Wait until the attacker holds its 400 sockets (connected, from its side).
    const deadline = Date.now() + 30000;
    while (plain.open.size + half.open.size < 400 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    t.true(plain.open.size + half.open.size >= 390, `attacker holds ${plain.open.size + half.open.size} sockets`);
    // One attempt with the client's normal deadlines: no retry may paper over a refusal.
    for (let i = 0; i < 3; i++) {
      const c = agent.client({ retry: { maxAttempts: 1 } });
      try {
        const started = Date.now();
        t.truthy((await c.readConfig(file)).sha256, 'the authenticated call succeeds');
        t.log(`call ${i + 1} under attack: ${Date.now() - started} ms, attacker holding ${plain.open.size + half.open.size} sockets`);
      } finally {
        c.close();
      }
      // Keep the flood going across at least one handshake timeout, so reopened sockets count too.
      await new Promise((r) => setTimeout(r, 2000));
    }
    t.true(plain.reopened + half.reopened > 0, 'the agent closed idle unauthenticated sockets (the attacker had to reopen them)');
  } finally {
    plain.stop();
    half.stop();
  }
  const seconds = (Date.now() - floodStart) / 1000;
  await new Promise((r) => setTimeout(r, 1500)); // let the last aggregated record out
  const recs = agent.records(auditFrom).filter((r) => r.event === 'tls-rejected' || r.event === 'connection-dropped');
  const failed = plain.reopened + half.reopened;
  t.log(`${failed} handshakes failed in ${seconds.toFixed(1)} s; ${recs.length} audit records`);
  // Aggregated: about one record a second per kind, each with a count, instead of one per socket.
  t.true(recs.length <= 4 * (seconds + 3), `${recs.length} records for ${failed} failed handshakes`);
  t.true(recs.some((r) => typeof r.suppressed === 'number' && (r.suppressed as number) > 0), 'records say how many were aggregated');
});
