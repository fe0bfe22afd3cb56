/**
 * Security finding 12 (docs/reliability.md), against a real agent process (run as root): a `command` service with
 * `user: nobody` runs as nobody, not as root; an unknown user stops the agent at start with a
 * config error naming the key.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { AGENT_MAIN, agentNodeFlags, stopAllAgents, TestAgent } from '../harness/agent';
import { makeTestPki } from '../harness/certs';
import { tempDir, waitFor } from '../harness/tmp';

test.after.always(stopAllAgents);

const idsOf = (pid: number): { uid: string; gid: string } => {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return { uid: /^Uid:\s+(\d+)/m.exec(s)?.[1] ?? '', gid: /^Gid:\s+(\d+)/m.exec(s)?.[1] ?? '' };
};

test('a command service with user: nobody runs as nobody (uid and gid), and stops', async (t) => {
  if (process.getuid?.() !== 0) return t.fail('this test needs root (the agent must be able to change uid)');
  const tmp = tempDir('zkmig-agent-user-');
  const pki = makeTestPki();
  t.teardown(() => (tmp.cleanup(), pki.cleanup()));
  const dir = fs.realpathSync(tmp.dir);
  fs.chmodSync(dir, 0o755);
  const nobody = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim();
  const nobodyGid = spawnSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).stdout.trim();
  const agent = await TestAgent.start({
    dir,
    pki,
    token: 'tok',
    services: [{ name: 'meta', backend: 'command', command: { start: ['/usr/bin/sleep', '100789'], user: 'nobody' }, graceMs: 200 }],
  });
  const c = agent.client();
  t.teardown(() => c.close());
  await c.controlService('meta', 'start');
  const st = await waitFor('the service to be active', async () => {
    const s = await c.serviceStatus('meta');
    return s.state === 'active' ? s : undefined;
  }, 10000);
  t.deepEqual(idsOf(st.main_pid), { uid: nobody, gid: nobodyGid });
  await c.controlService('meta', 'stop');
  t.is((await c.serviceStatus('meta')).state, 'inactive');
});

test('an unknown user: or group: is a config error naming the key', (t) => {
  const tmp = tempDir('zkmig-agent-user-bad-');
  t.teardown(tmp.cleanup);
  for (const [cmd, key] of [
    [{ start: ['/usr/bin/sleep', '1'], user: 'no-such-user-zkmig' }, 'services[0].command.user'],
    [{ start: ['/usr/bin/sleep', '1'], group: 'no-such-group-zkmig' }, 'services[0].command.group'],
  ] as const) {
    const conf = path.join(tmp.dir, 'agent.yaml');
    fs.writeFileSync(conf, YAML.stringify({ listen: '127.0.0.1:0', stateDir: path.join(tmp.dir, 'state'), services: [{ name: 'meta', backend: 'command', command: cmd }] }));
    const r = spawnSync(process.execPath, [...agentNodeFlags(), AGENT_MAIN, '--config', conf, '--insecure', '--check-config'], { encoding: 'utf8' });
    t.is(r.status, 2, r.stdout + r.stderr);
    t.true(r.stderr.includes(key), r.stderr);
    t.regex(r.stderr, /is not a (user|group) on this host/);
  }
});

test('user: without CAP_SETUID/CAP_SETGID (the unit leaves them out) is refused at load with the drop-in to add', (t) => {
  const tmp = tempDir('zkmig-agent-user-cap-');
  t.teardown(tmp.cleanup);
  const conf = path.join(tmp.dir, 'agent.yaml');
  fs.writeFileSync(conf, YAML.stringify({ listen: '127.0.0.1:0', stateDir: path.join(tmp.dir, 'state'), services: [{ name: 'meta', backend: 'command', command: { start: ['/usr/bin/sleep', '1'], user: 'nobody' } }] }));
  const args = [...agentNodeFlags(), AGENT_MAIN, '--config', conf, '--insecure', '--check-config'];
  // As the unit runs it: root, without the two capabilities in its bounding set.
  const r = spawnSync('setpriv', ['--bounding-set=-setuid,-setgid', '--', process.execPath, ...args], { encoding: 'utf8' });
  t.is(r.status, 2, r.stdout + r.stderr);
  t.true(r.stderr.includes('services[0].command.user'), r.stderr);
  t.regex(r.stderr, /needs CAP_SETUID and CAP_SETGID.*CapabilityBoundingSet=CAP_SETUID CAP_SETGID/);
  // With them, the same config loads.
  t.is(spawnSync(process.execPath, args, { encoding: 'utf8' }).status, 0);
});
