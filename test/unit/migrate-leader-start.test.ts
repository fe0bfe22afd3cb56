import * as net from 'node:net';
import test from 'ava';
import type { MetaHost } from '../../coordinator/lib/inventory';
import type { RunEnv } from '../../coordinator/lib/migrate/env';
import { watchLeaderStart } from '../../coordinator/lib/migrate/leader-start';
import type { ClusterInfo } from '../../coordinator/lib/shell/types';
import { waitFor } from '../harness/tmp';
import { freePort } from '../../shared/net';

/**
 * The new leader watched while its agent starts it (leader-start.ts): a real port that starts
 * listening, a scripted shell. The freeze ends at the first serving answer, not when the agent's
 * start grace is over.
 */

const NEW = { hosts: '127.0.0.1:3181', root: '/pegasus/c1' };

function leader(port: number): MetaHost {
  return { name: 'm1', address: '127.0.0.1', metaPort: port, metaAddress: `127.0.0.1:${port}`, agentPort: 2, agentAddress: '127.0.0.1:2', metaConfig: '/c.ini', metaService: 'pegasus-meta', tls: {} as MetaHost['tls'] };
}

function info(zk: { hosts: string; root: string }): ClusterInfo {
  return { primaryMetaServer: 'm1', zookeeperHosts: zk.hosts, zookeeperRoot: zk.root } as unknown as ClusterInfo;
}

const until = (cond: () => boolean): Promise<boolean> => waitFor('the condition', cond, 5000, 10);

test('the shell is asked only once the meta port answers; the first answer naming the new ensemble is the serving time, before the start returns', async (t) => {
  const port = await freePort();
  let calls = 0;
  let serving = false;
  const env = { shell: { clusterInfo: async () => (calls++, serving ? info(NEW) : info({ hosts: '127.0.0.1:2181', root: '/pegasus/c1' })) } } as unknown as RunEnv;
  const seen: number[] = [];
  const w = watchLeaderStart(env, leader(port), NEW, (_info, at) => void seen.push(at), { portPollMs: 10, shellPollMs: 10 });
  await new Promise((r) => setTimeout(r, 100));
  t.is(calls, 0, 'no shell call while nothing listens on the meta port');
  const srv = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', r));
  try {
    await until(() => calls >= 2);
    t.is(seen.length, 0, 'an answer naming the old ensemble is not serving');
    serving = true;
    await until(() => seen.length === 1);
    const times = await w.stop();
    t.truthy(times.upAt);
    t.is(times.servingAt, seen[0]);
    t.true(times.upAt! <= times.servingAt!);
    const after = calls;
    await new Promise((r) => setTimeout(r, 50));
    t.is(calls, after, 'no polling once it served');
  } finally {
    await new Promise<void>((r) => srv.close(() => r()));
  }
});

test('stop() returns at once while a shell call hangs, and reports what was seen (the port, no serving)', async (t) => {
  const port = await freePort();
  const srv = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', r));
  try {
    let asked = false;
    const env = { shell: { clusterInfo: () => ((asked = true), new Promise<ClusterInfo>(() => undefined)) } } as unknown as RunEnv;
    let served = false;
    const w = watchLeaderStart(env, leader(port), NEW, () => void (served = true), { portPollMs: 10, shellPollMs: 10 });
    await until(() => asked);
    const t0 = Date.now();
    const times = await w.stop();
    t.true(Date.now() - t0 < 500, 'stop does not wait for the hung shell call');
    t.truthy(times.upAt);
    t.is(times.servingAt, undefined);
    t.false(served);
  } finally {
    await new Promise<void>((r) => srv.close(() => r()));
  }
});
