/**
 * AgentPool with an injected client factory: TLS files read once per path, per-host failures
 * (unreadable key, empty token) as outcomes, `changed` from the caller's predicate, clients closed
 * after each host when not reused, concurrency bounded across clusters.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AgentClient, AgentClientOptions } from '../../coordinator/lib/agent-client';
import { AgentPool, targetsOf } from '../../coordinator/lib/fleet';
import type { MetaHost, PegasusCluster } from '../../coordinator/lib/inventory';
import { tempDir } from '../harness/tmp';

function files(): { dir: string; ca: string; cert: string; key: string; token: string; cleanup: () => void } {
  const t = tempDir('zkmig-pool-');
  const w = (n: string, s: string): string => {
    const f = path.join(t.dir, n);
    fs.writeFileSync(f, s);
    return f;
  };
  const pem = '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n';
  return { dir: t.dir, ca: w('ca.pem', pem), cert: w('c.pem', pem), key: w('k.pem', pem), token: w('token', ' s3cret \n'), cleanup: t.cleanup };
}

function host(name: string, port: number, tls: { ca: string; cert: string; key: string; token?: string }): MetaHost {
  return {
    name,
    address: '127.0.0.1',
    metaPort: 34601,
    metaAddress: `127.0.0.1:${34601 + port}`,
    agentPort: port,
    agentAddress: `127.0.0.1:${port}`,
    metaConfig: '/etc/pegasus/config.ini',
    metaService: 'pegasus-meta',
    tls: { caFile: tls.ca, certFile: tls.cert, keyFile: tls.key, serverName: 'meta', ...(tls.token ? { tokenFile: tls.token } : {}) },
  };
}

const cluster = (name: string, metas: MetaHost[]): PegasusCluster => ({ name, metas, metaServers: '', shell: { template: 'x', argv: ['x'] } });

test('TLS files are read once for the whole fleet; clients are closed per host when not reused', async (t) => {
  const f = files();
  t.teardown(f.cleanup);
  const made: AgentClientOptions[] = [];
  let closed = 0;
  const pool = new AgentPool({ reuse: false, concurrency: 3, connect: (o) => (made.push(o), { address: o.address, close: () => void closed++ }) as unknown as AgentClient });
  const c1 = cluster('c1', [1, 2, 3].map((i) => host(`a${i}`, 7000 + i, { ...f })));
  const c2 = cluster('c2', [4, 5].map((i) => host(`b${i}`, 7000 + i, { ...f })));
  let inFlight = 0;
  let peak = 0;
  const out = await pool.run(targetsOf([c1, c2]), async (client, tg) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((r) => setImmediate(r));
    inFlight--;
    return `${tg.cluster}:${client.address}`;
  }, { changed: (v) => v.endsWith('7002') });
  t.deepEqual(out.map((o) => [o.cluster, o.host, o.status, o.value]), [
    ['c1', 'a1', 'ok', 'c1:127.0.0.1:7001'],
    ['c1', 'a2', 'changed', 'c1:127.0.0.1:7002'],
    ['c1', 'a3', 'ok', 'c1:127.0.0.1:7003'],
    ['c2', 'b4', 'ok', 'c2:127.0.0.1:7004'],
    ['c2', 'b5', 'ok', 'c2:127.0.0.1:7005'],
  ]);
  t.is(peak, 3);
  t.is(made.length, 5);
  t.is(closed, 5);
  // One Buffer per file, shared by every client.
  t.true(made.every((o) => o.tls!.ca === made[0]!.tls!.ca && o.tls!.key === made[0]!.tls!.key));
  t.is(made[0]!.tls!.serverName, 'meta');
});

test('a host whose key cannot be read, or whose token file is empty, fails alone', async (t) => {
  const f = files();
  t.teardown(f.cleanup);
  fs.writeFileSync(path.join(f.dir, 'empty-token'), '\n');
  const pool = new AgentPool({ connect: (o) => ({ address: o.address, token: o.token, close: () => undefined }) as unknown as AgentClient });
  const c = cluster('c', [
    host('good', 7001, { ...f, token: f.token }),
    host('nokey', 7002, { ...f, key: path.join(f.dir, 'missing.pem') }),
    host('notoken', 7003, { ...f, token: path.join(f.dir, 'empty-token') }),
  ]);
  const out = await pool.run(targetsOf([c]), async (client) => (client as unknown as { token: string }).token);
  t.deepEqual(out.map((o) => o.status), ['ok', 'failed', 'failed']);
  t.is(out[0]!.value, 's3cret');
  t.regex(out[1]!.error!.message, /agent_key_file of host "nokey": cannot read .*missing\.pem: ENOENT/);
  t.regex(out[2]!.error!.message, /agent_token_file of host "notoken": .*empty-token is empty/);
  // Reused clients: one per host, however many runs.
  t.is(pool.client(c.metas[0]!), pool.client(c.metas[0]!));
  pool.close();
  t.throws(() => pool.client(c.metas[0]!), { message: /closed/ });
  t.throws(() => new AgentPool({ concurrency: 0 }), { message: /positive integer/ });
});

test('targetsOf keeps inventory order and filters by host name', (t) => {
  const f = { ca: '/ca', cert: '/c', key: '/k' };
  const c = cluster('c', [host('m1', 1, f), host('m2', 2, f)]);
  t.deepEqual(targetsOf([c], ['m2']).map((x) => x.host.name), ['m2']);
  t.deepEqual(targetsOf([c]).map((x) => `${x.cluster}/${x.host.name}`), ['c/m1', 'c/m2']);
});
