import * as net from 'node:net';
import test from 'ava';
import type { MetaHost } from '../../coordinator/lib/inventory';
import { finishStaysStopped, portAnswers, requireStaysStopped, startStaysStopped, unsupervisedBySystemd, watchStaysStopped } from '../../coordinator/lib/migrate/stay-stopped';
import type { RunEnv } from '../../coordinator/lib/migrate/env';
import type { StepContext } from '../../coordinator/lib/migrate/runner';
import { isUsageError, RestartedBySupervisorError } from '../../shared/errors';
import { resolveParams } from '../../coordinator/lib/migrate/params';

/**
 * The stays-stopped window's polling (stay-stopped.ts) on a fake clock and a scripted probe, the
 * port probe against a real listener, and the parameter's default and validation.
 */

const host = (name: string): MetaHost => ({ name, address: '127.0.0.1', metaPort: 1, metaAddress: '127.0.0.1:1', agentPort: 2, agentAddress: '127.0.0.1:2', metaConfig: '/c.ini', metaService: 'pegasus-meta', tls: {} as MetaHost['tls'] });

function clock(): { now: () => number; sleep: (ms: number) => Promise<void>; slept: number[] } {
  let t = 0;
  const slept: number[] = [];
  return { now: () => t, sleep: async (ms) => void (slept.push(ms), (t += ms)), slept };
}

test('a meta that stays down for the whole window passes; the probes run until the window ends', async (t) => {
  const c = clock();
  const seen: string[] = [];
  const r = await watchStaysStopped([host('m1'), host('m2')], 1000, async (h) => void seen.push(h.name), { pollMs: 250, ...c });
  t.is(r, undefined);
  t.deepEqual(c.slept, [250, 250, 250, 250]);
  t.is(seen.length, 10, 'both hosts probed at 0, 250, 500, 750 and 1000 ms');
});

test('the first meta found running again is named with why, as soon as it is seen', async (t) => {
  const c = clock();
  const r = await watchStaysStopped([host('m1'), host('m2')], 5000, async (h) => (h.name === 'm2' && c.now() >= 600 ? 'its meta port answers' : undefined), { pollMs: 250, ...c });
  t.is(r?.host.name, 'm2');
  t.is(r?.why, 'its meta port answers');
  t.is(c.now(), 750, 'found on the first round after the restart, not at the end of the window');
});

test('the last sleep is cut to the end of the window', async (t) => {
  const c = clock();
  t.is(await watchStaysStopped([host('m1')], 600, async () => undefined, { pollMs: 250, ...c }), undefined);
  t.deepEqual(c.slept, [250, 250, 100]);
});

test('portAnswers: true on a listening port, false once it is closed', async (t) => {
  const srv = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  t.true(await portAnswers('127.0.0.1', port));
  await new Promise<void>((r) => srv.close(() => r()));
  t.false(await portAnswers('127.0.0.1', port));
});

test('stayStoppedMs: 5 s by default, 0 allowed (watch off), negative refused naming it', (t) => {
  const base = { inventory: '/i.yml', cluster: 'c1', to: 'zk1:2181', method: 'copy' as const };
  t.is(resolveParams(base).stayStoppedMs, 5000);
  t.is(resolveParams({ ...base, stayStoppedMs: 0 }).stayStoppedMs, 0);
  const e = t.throws(() => resolveParams({ ...base, stayStoppedMs: -1 }));
  t.true(isUsageError(e));
  t.regex(e!.message, /stayStoppedMs must be >= 0/);
});

test('the leader stop starts the window without waiting; update-configs waits for the rest, or probes once on a resumed run', async (t) => {
  const env = { check: false, params: { stayStoppedMs: 300 } } as unknown as RunEnv;
  const results: string[] = [];
  const ctx = { progress: () => undefined, hostResult: (h: string, s: string) => void results.push(`${h} ${s}`) } as unknown as StepContext;
  let restartedAt = Infinity;
  const started = Date.now();
  const probe = async (h: MetaHost): Promise<string | undefined> => (h.name === 'lead' && Date.now() >= restartedAt ? 'its meta port answers' : undefined);
  // start returns at once; a restart seen during the window fails the finishing step.
  startStaysStopped(env, ctx, [host('lead')], probe);
  t.true(Date.now() - started < 100, 'the stop step did not wait for the window');
  restartedAt = Date.now() + 100;
  await t.throwsAsync(finishStaysStopped(env, ctx, [host('lead')], probe), { instanceOf: RestartedBySupervisorError, message: /lead: pegasus-meta runs again .*a supervisor restarted it/ });
  t.deepEqual(results, ['lead failed']);
  // No window started by this process (a resumed run): one round of probes, still caught.
  await t.throwsAsync(finishStaysStopped(env, ctx, [host('lead')], probe), { instanceOf: RestartedBySupervisorError });
  restartedAt = Infinity;
  await finishStaysStopped(env, ctx, [host('lead')], probe);
  t.pass();
});

test('metas run as systemd units get no window (systemctl stop is final); any other backend, or an agent that does not answer, does', async (t) => {
  const backends: Record<string, string | Error> = { sd: 'systemd', cmd: 'command', gone: new Error('UNAVAILABLE') };
  const pool = { client: (h: MetaHost) => ({ serviceStatus: async () => { const b = backends[h.name]!; if (b instanceof Error) throw b; return { backend: b, state: 'inactive' }; } }) };
  const env = { check: false, params: { stayStoppedMs: 200 }, pool } as unknown as RunEnv;
  const ctx = { progress: () => undefined, hostResult: () => undefined } as unknown as StepContext;
  t.deepEqual((await unsupervisedBySystemd(env, [host('sd'), host('cmd'), host('gone')])).map((h) => h.name), ['cmd', 'gone']);
  const probed = new Set<string>();
  await requireStaysStopped(env, ctx, [host('sd'), host('cmd')], async (h) => void probed.add(h.name));
  t.deepEqual([...probed], ['cmd']);
  probed.clear();
  const t0 = Date.now();
  await requireStaysStopped(env, ctx, [host('sd')], async (h) => void probed.add(h.name));
  t.is(probed.size, 0, 'a systemd-only set is not watched at all');
  t.true(Date.now() - t0 < 200);
});
