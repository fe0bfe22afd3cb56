/**
 * The load tests assert "every call succeeded first time" from each host outcome's `retries`;
 * this proves that count is real: a host that needed retries shows them (per task, also when the
 * pool reuses the client), a mutation shows none (never retried), a healthy agent shows zero.
 */
import anyTest, { TestFn } from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AgentPool, HostTarget } from '../../coordinator/lib/fleet';
import type { MetaHost } from '../../coordinator/lib/inventory';
import { stopAllAgents, TestAgent } from '../harness/agent';
import { deadPort } from '../harness/fleet';
import { makeTestPki, TestPki } from '../harness/certs';
import { tempDir } from '../harness/tmp';

interface Ctx {
  pki: TestPki;
  tmp: { dir: string; cleanup: () => void };
  agent: TestAgent;
  file: string;
  dead: number;
}

const test = anyTest as TestFn<Ctx>;

test.before(async (t) => {
  t.context.tmp = tempDir('zkmig-load-retries-');
  t.context.pki = makeTestPki();
  const dir = fs.realpathSync(t.context.tmp.dir);
  t.context.file = path.join(dir, 'config.ini');
  fs.writeFileSync(t.context.file, '[zookeeper]\nhosts_list = zk1:2181\n');
  t.context.agent = await TestAgent.start({ dir, pki: t.context.pki, files: [t.context.file] });
  t.context.dead = await deadPort();
});

test.after.always(async (t) => {
  await stopAllAgents();
  t.context.pki?.cleanup();
  t.context.tmp?.cleanup();
});

function target(t: { context: Ctx }, name: string, port: number): HostTarget {
  const { pki, file } = t.context;
  const host: MetaHost = {
    name,
    address: '127.0.0.1',
    metaPort: 34601,
    metaAddress: '127.0.0.1:34601',
    agentPort: port,
    agentAddress: `127.0.0.1:${port}`,
    metaConfig: file,
    metaService: 'pegasus-meta',
    tls: { caFile: pki.ca, certFile: pki.coordinator.cert, keyFile: pki.coordinator.key, serverName: 'localhost' },
  };
  return { cluster: 'c1', host };
}

test('outcomes count retries per task: 0 for a healthy agent, maxAttempts-1 for an unreachable one, 0 for a mutation', async (t) => {
  const pool = new AgentPool({ retry: { maxAttempts: 3, initialBackoffMs: 5, maxBackoffMs: 10 }, deadlines: { readMs: 2000, editMs: 2000 }, reuse: true });
  try {
    const live = target(t, 'live', t.context.agent.port);
    const dead = target(t, 'dead', t.context.dead);
    for (let round = 1; round <= 2; round++) {
      // Round 2 reuses both clients: the counts must be this task's, not the client's running total.
      const [a, b] = await pool.run([live, dead], (c) => c.facts());
      t.is(a!.status, 'ok', `round ${round}`);
      t.is(a!.retries, 0, `round ${round}: healthy agent, first attempt`);
      t.is(b!.status, 'unreachable', `round ${round}`);
      t.is(b!.retries, 2, `round ${round}: two retries after the first failure`);
    }
    const [m] = await pool.run([dead], (c) => c.editConfig({ path: t.context.file, edits: [{ section: 'zookeeper', key: 'hosts_list', value: 'zk2:2181' }] }));
    t.is(m!.status, 'unreachable');
    t.is(m!.retries, 0, 'a mutation is never retried');
    const [k] = await pool.run([dead], (c) => c.editConfig({ path: t.context.file, edits: [{ section: 'zookeeper', key: 'hosts_list', value: 'zk2:2181' }], checkMode: true }));
    t.is(k!.retries, 2, 'a check-mode edit is retried like a read');
  } finally {
    pool.close();
  }
});
