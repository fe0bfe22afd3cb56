/**
 * An agent at its connection limit (limits.maxConnections) refuses further connections before TLS;
 * the coordinator then sees only a TLS disconnect. The agent must say so in its audit log, so the
 * operator can tell "agent overloaded" from "wrong certificate", and the connections it already
 * holds keep working.
 */
import anyTest, { TestFn } from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AgentClient } from '../../coordinator/lib/agent-client';
import { AgentRpcError } from '../../shared/errors';
import { stopAllAgents, TestAgent } from '../harness/agent';
import { makeTestPki, TestPki } from '../harness/certs';
import { tempDir, waitFor } from '../harness/tmp';

interface Ctx {
  pki: TestPki;
  tmp: { dir: string; cleanup: () => void };
  agent: TestAgent;
  file: string;
}

const test = anyTest as TestFn<Ctx>;
const LIMIT = 2;

test.before(async (t) => {
  t.context.tmp = tempDir('zkmig-load-conn-');
  t.context.pki = makeTestPki();
  const dir = fs.realpathSync(t.context.tmp.dir);
  t.context.file = path.join(dir, 'config.ini');
  fs.writeFileSync(t.context.file, '[zookeeper]\nhosts_list = zk1:2181\n');
  t.context.agent = await TestAgent.start({ dir, pki: t.context.pki, files: [t.context.file], extra: { limits: { maxConnections: LIMIT } } });
});

test.after.always(async (t) => {
  await stopAllAgents();
  t.context.pki?.cleanup();
  t.context.tmp?.cleanup();
});

test('a connection over limits.maxConnections is refused and audited; open connections keep working', async (t) => {
  const { agent, file } = t.context;
  // The held ones may retry: the harness's own start-up health check connection may not have
  // closed on the agent's side yet. The extra one gets one attempt, so its refusal is seen as is.
  const clients: AgentClient[] = Array.from({ length: LIMIT + 1 }, (_, i) => agent.client({ retry: i < LIMIT ? { maxAttempts: 10, initialBackoffMs: 50, maxBackoffMs: 200 } : { maxAttempts: 1 } }));
  try {
    // The first LIMIT clients connect and stay connected (grpc keeps an idle channel open).
    for (const c of clients.slice(0, LIMIT)) t.truthy((await c.readConfig(file)).sha256);
    const err = await t.throwsAsync(clients[LIMIT]!.readConfig(file));
    t.true(err instanceof AgentRpcError && err.code === 'UNAVAILABLE', String(err));
    const rec = await waitFor('a connection-dropped audit record', () => agent.records().find((r) => r.event === 'connection-dropped'), 10000);
    t.is(rec.level, 'warning');
    t.is(rec.limit, LIMIT);
    t.regex(rec.msg, new RegExp(`dropped: limits\\.maxConnections \\(${LIMIT}\\) connections already open`));
    for (const c of clients.slice(0, LIMIT)) t.truthy((await c.readConfig(file)).sha256, 'held connections still serve');
  } finally {
    for (const c of clients) c.close();
  }
});
