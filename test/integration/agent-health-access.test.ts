/**
 * Security finding 10 (docs/reliability.md): who may ask the health service, and what it tells them (decided in
 * agent/health.ts). Against a real agent with mutual TLS, a bearer token and
 * `tls.allowedClients: [coordinator]`:
 * - a CA-signed client whose CN is not allowed, without the token, gets the status from
 *   Health.Check and Health.Watch and nothing else: every method of every other service is
 *   PERMISSION_DENIED, and a health answer carries no field but `status`;
 * - the allowed CN without the token: the same status, UNAUTHENTICATED elsewhere;
 * - a client without a certificate, or with one from another CA, gets no TLS session at all.
 */
import anyTest, { TestFn } from 'ava';
import * as grpc from '@grpc/grpc-js';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadProtos, SERVICE_NAMES } from '../../shared/proto';
import { stopAllAgents, TestAgent } from '../harness/agent';
import { CertPair, makeTestPki, TestPki } from '../harness/certs';
import { tempDir } from '../harness/tmp';

interface Ctx {
  pki: TestPki;
  tmp: { dir: string; cleanup: () => void };
  agent: TestAgent;
}
const test = anyTest as TestFn<Ctx>;
const protos = loadProtos();
const DEADLINE_MS = 5000;

test.before(async (t) => {
  t.context.tmp = tempDir('zkmig-health-access-');
  t.context.pki = makeTestPki();
  const dir = fs.realpathSync(t.context.tmp.dir);
  const file = path.join(dir, 'config.ini');
  fs.writeFileSync(file, '[zookeeper]\nhosts_list = zk1:2181\n');
  t.context.agent = await TestAgent.start({ dir, pki: t.context.pki, files: [file], token: 'tok', allowedClients: ['coordinator'] });
});

test.after.always(async (t) => {
  await stopAllAgents();
  t.context.pki?.cleanup();
  t.context.tmp?.cleanup();
});

type Ctor = typeof grpc.Client;
const OPTS = { 'grpc.ssl_target_name_override': 'localhost' };

function creds(pki: TestPki, pair: CertPair | undefined): grpc.ChannelCredentials {
  const ca = fs.readFileSync(pki.ca);
  return pair ? grpc.credentials.createSsl(ca, fs.readFileSync(pair.key), fs.readFileSync(pair.cert)) : grpc.credentials.createSsl(ca);
}

/** One unary call with an empty request; resolves to the response or the status name. */
function unary(client: grpc.Client, method: string, req: object, md = new grpc.Metadata()): Promise<{ code: string; value?: Record<string, unknown> }> {
  return new Promise((resolve) => {
    const fn = (client as unknown as Record<string, (...a: unknown[]) => void>)[method]!.bind(client);
    fn(req, md, { deadline: Date.now() + DEADLINE_MS }, (e: grpc.ServiceError | null, v: Record<string, unknown>) =>
      resolve(e ? { code: grpc.status[e.code] ?? String(e.code) } : { code: 'OK', value: v }),
    );
  });
}

/** The first message of a Health.Watch stream (or its error), then cancel. */
function watchFirst(client: grpc.Client, service: string): Promise<{ code: string; value?: Record<string, unknown> }> {
  return new Promise((resolve) => {
    const s = (client as unknown as { Watch: (r: object, o: grpc.CallOptions) => grpc.ClientReadableStream<Record<string, unknown>> }).Watch({ service }, { deadline: Date.now() + DEADLINE_MS });
    s.once('data', (v) => {
      resolve({ code: 'OK', value: v });
      s.cancel();
    });
    s.on('error', (e: grpc.ServiceError) => resolve({ code: grpc.status[e.code] ?? String(e.code) }));
  });
}

/** Every method of the agent's own services (not health), by service. */
function agentMethods(): [string, Ctor, string[]][] {
  const a = protos.agent as unknown as Record<string, Ctor & { service: grpc.ServiceDefinition }>;
  return (['FactsService', 'ConfigService', 'ServiceControlService'] as const).map((name) => {
    const ctor = a[name]!;
    return [name, ctor, Object.entries(ctor.service).map(([k, d]) => (d.responseStream ? `stream:${k}` : k))];
  });
}

async function callEveryMethod(t: { context: Ctx }, pair: CertPair, md: () => grpc.Metadata): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [svc, Ctor, methods] of agentMethods()) {
    const c = new Ctor(t.context.agent.address, creds(t.context.pki, pair), OPTS);
    try {
      for (const m of methods) {
        if (m.startsWith('stream:')) {
          const name = m.slice('stream:'.length);
          out[`${svc}.${name}`] = await new Promise<string>((resolve) => {
            const s = (c as unknown as Record<string, (r: object, md: grpc.Metadata, o: grpc.CallOptions) => grpc.ClientReadableStream<unknown>>)[name]!.call(c, {}, md(), { deadline: Date.now() + DEADLINE_MS });
            s.on('data', () => resolve('DATA'));
            s.on('error', (e: grpc.ServiceError) => resolve(grpc.status[e.code] ?? String(e.code)));
            s.on('end', () => resolve('END'));
          });
        } else {
          out[`${svc}.${m}`] = (await unary(c, m, {}, md())).code;
        }
      }
    } finally {
      c.close();
    }
  }
  return out;
}

async function healthOnly(t: { context: Ctx } & import('ava').ExecutionContext<Ctx>, pair: CertPair | undefined): Promise<void> {
  const h = new protos.health.Health(t.context.agent.address, creds(t.context.pki, pair), OPTS);
  try {
    // Nothing but the status: no other field in the answer.
    t.deepEqual(await unary(h, 'Check', { service: '' }), { code: 'OK', value: { status: 'SERVING' } });
    t.deepEqual(await unary(h, 'Check', { service: SERVICE_NAMES.config }), { code: 'OK', value: { status: 'SERVING' } });
    t.is((await unary(h, 'Check', { service: 'pegasus-meta' })).code, 'NOT_FOUND', 'a managed service name is not a health service name');
    t.deepEqual(await watchFirst(h, ''), { code: 'OK', value: { status: 'SERVING' } });
  } finally {
    h.close();
  }
}

test('a CA-signed client not in tls.allowedClients, without the token, gets the health status and PERMISSION_DENIED on every other method', async (t) => {
  const { pki } = t.context;
  await healthOnly(t, pki.auditor);
  const codes = await callEveryMethod(t, pki.auditor, () => new grpc.Metadata());
  t.true(Object.keys(codes).length >= 5, JSON.stringify(codes));
  for (const [m, code] of Object.entries(codes)) t.is(code, 'PERMISSION_DENIED', m);
});

test('the allowed CN without the token gets the health status and UNAUTHENTICATED on every other method', async (t) => {
  const { pki } = t.context;
  await healthOnly(t, pki.coordinator);
  const codes = await callEveryMethod(t, pki.coordinator, () => new grpc.Metadata());
  for (const [m, code] of Object.entries(codes)) t.is(code, 'UNAUTHENTICATED', m);
  // (and with the token the same client is served: the denials above are about the token)
  const md = (): grpc.Metadata => {
    const x = new grpc.Metadata();
    x.set('authorization', 'Bearer tok');
    return x;
  };
  const facts = new protos.agent.FactsService(t.context.agent.address, creds(pki, pki.coordinator), OPTS);
  try {
    t.is((await unary(facts, 'GetFacts', { header: { request_id: 'health-access' } }, md())).code, 'OK');
  } finally {
    facts.close();
  }
});

test('a client without a CA-signed certificate gets no TLS session: health answers nothing', async (t) => {
  const { pki } = t.context;
  for (const pair of [undefined, pki.intruder]) {
    const h = new protos.health.Health(t.context.agent.address, creds(pki, pair), OPTS);
    try {
      t.is((await unary(h, 'Check', { service: '' })).code, 'UNAVAILABLE', pair ? 'certificate from another CA' : 'no certificate');
      t.is((await watchFirst(h, '')).code, 'UNAVAILABLE');
    } finally {
      h.close();
    }
  }
});
