import * as net from 'node:net';
import test from 'ava';
import type { MetaHost } from '../../coordinator/lib/inventory';
import { checkStaysStopped, closeStaysStopped, endStaysStopped, portAnswers, requireStaysStopped, settleStaysStopped, startStaysStopped, unsupervisedBySystemd, watchStaysStopped } from '../../coordinator/lib/migrate/stay-stopped';
import type { RunEnv } from '../../coordinator/lib/migrate/env';
import type { StepContext } from '../../coordinator/lib/migrate/runner';
import { isUsageError, RestartedBySupervisorError } from '../../shared/errors';
import { resolveParams } from '../../coordinator/lib/migrate/params';
import { waitFor } from '../harness/tmp';

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

const until = (cond: () => boolean): Promise<boolean> => waitFor('the condition', cond, 5000, 10);

test('the freeze does not wait for a window: the background watch is looked at by finalize, after the edits, and once the leader serves', async (t) => {
  const env = { check: false, params: { stayStoppedMs: 5000 } } as unknown as RunEnv;
  const results: string[] = [];
  const ctx = { progress: () => undefined, hostResult: (h: string, s: string) => void results.push(`${h} ${s}`) } as unknown as StepContext;
  const up = new Set<string>();
  const probed: string[] = [];
  const probe = async (h: MetaHost): Promise<string | undefined> => (probed.push(h.name), up.has(h.name) ? 'its meta port answers' : undefined);
  const started = Date.now();
  await startStaysStopped(env, ctx, [host('f1')], probe, 10);
  await startStaysStopped(env, ctx, [host('f1'), host('lead')], probe, 10);
  t.true(Date.now() - started < 1000, 'starting the watch does not wait for the 5 s window');
  await until(() => probed.includes('lead'));
  checkStaysStopped(env, ctx);
  // After the edits: one more probe, then the leader leaves the watch; its own start is not a restart.
  const t0 = Date.now();
  await settleStaysStopped(env, ctx, [host('f1'), host('lead')], 'lead', probe);
  t.true(Date.now() - t0 < 1000, 'settling does not wait for the rest of the window');
  up.add('lead');
  const before = probed.length;
  await until(() => probed.length > before + 2);
  t.false(probed.slice(before).includes('lead'), 'the leader is no longer probed once settled');
  // A follower a supervisor brings back while the leader starts: found when the leader serves.
  up.add('f1');
  await until(() => {
    try {
      checkStaysStopped(env, ctx);
      return false;
    } catch (e) {
      return e instanceof RestartedBySupervisorError;
    }
  });
  await t.throwsAsync(endStaysStopped(env, ctx), { instanceOf: RestartedBySupervisorError, message: /f1: pegasus-meta runs again .*a supervisor restarted it/ });
  t.true(results.includes('f1 failed'));
  // The watch ended: nothing more is probed, and ending again finds nothing.
  const after = probed.length;
  await new Promise((r) => setTimeout(r, 50));
  t.is(probed.length, after);
  await endStaysStopped(env, ctx);
});

test('a meta back before the edits fails settle; a resumed run (no watch) still gets one round of probes', async (t) => {
  const env = { check: false, params: { stayStoppedMs: 5000 } } as unknown as RunEnv;
  const ctx = { progress: () => undefined, hostResult: () => undefined } as unknown as StepContext;
  let leadUp = false;
  const probe = async (h: MetaHost): Promise<string | undefined> => (h.name === 'lead' && leadUp ? 'its meta port answers' : undefined);
  await settleStaysStopped(env, ctx, [host('lead')], 'lead', probe);
  leadUp = true;
  await t.throwsAsync(settleStaysStopped(env, ctx, [host('lead')], 'lead', probe), { instanceOf: RestartedBySupervisorError, message: /lead: pegasus-meta runs again/ });
  // With a watch that saw it first.
  leadUp = false;
  await startStaysStopped(env, ctx, [host('lead')], probe, 10);
  leadUp = true;
  await t.throwsAsync(settleStaysStopped(env, ctx, [host('lead')], 'lead', probe), { instanceOf: RestartedBySupervisorError });
  await closeStaysStopped(env);
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
