/**
 * Security findings 3, 4 and 5 (docs/reliability.md), against a real agent process (root, real TLS):
 * an unprivileged local user (`nobody`) who can write a `command` service's pid file directory
 * must not be able to make the agent signal a process of its choosing (here a root process group),
 * nor make it write through planted symlinks, nor pass a look-alike process off as the service.
 */
import anyTest, { TestFn } from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AgentClient } from '../../coordinator/lib/agent-client';
import { stopAllAgents, TestAgent } from '../harness/agent';
import { makeTestPki, TestPki } from '../harness/certs';
import { waitFor } from '../harness/tmp';

const NOBODY = 65534;
const LOOKALIKE = ['/usr/bin/sleep', '100123'];

interface Ctx {
  pki: TestPki;
  base: string;
  pegdir: string;
  agent: TestAgent;
  client: AgentClient;
}
const test = anyTest as TestFn<Ctx>;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) [ZX] /.test(st);
  } catch {
    return false;
  }
};
const asNobody = (cmd: string): void => {
  const r = spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'bash', '-c', cmd], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`as nobody: ${cmd}: ${r.stderr}`);
};
const startTimeOf = (pid: number): string => {
  const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return s.slice(s.lastIndexOf(')') + 2).split(' ')[19] ?? '';
};

test.before(async (t) => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'zkmig-pidtrust-'));
  fs.chmodSync(base, 0o755);
  // The service user's tree, where a Pegasus start script writes its pid file: nobody's.
  const pegdir = path.join(base, 'pegdir');
  fs.mkdirSync(pegdir);
  fs.chownSync(pegdir, NOBODY, NOBODY);
  const pki = makeTestPki();
  const agent = await TestAgent.start({
    dir: base,
    pki,
    services: [
      { name: 'meta-pegpid', backend: 'command', command: { start: ['/usr/bin/sleep', '100456'], pidFile: path.join(pegdir, 'meta.pid'), logFile: path.join(pegdir, 'meta.out') }, graceMs: 200 },
      { name: 'meta-simple', backend: 'command', command: { start: LOOKALIKE }, graceMs: 200 },
    ],
  });
  t.context = { pki, base, pegdir, agent, client: agent.client() };
});

test.after.always(async (t) => {
  t.context.client?.close();
  await stopAllAgents();
  t.context.pki?.cleanup();
  if (t.context.base) fs.rmSync(t.context.base, { recursive: true, force: true });
});

test.serial('a pid (and a fake sidecar) planted in a writable pid file directory are never signalled', async (t) => {
  const { client, pegdir } = t.context;
  // The victim: a root process group (bash + sleep), as in the review.
  const victim = spawn('/bin/bash', ['-c', 'sleep 300 & sleep 300 & wait'], { detached: true, stdio: 'ignore' });
  const vpid = victim.pid as number;
  t.teardown(() => {
    try {
      process.kill(-vpid, 'SIGKILL');
    } catch {
      /* gone */
    }
  });
  await waitFor('the victim to run', () => alive(vpid), 5000);
  const pidFile = path.join(pegdir, 'meta.pid');
  asNobody(`echo ${vpid} > ${pidFile}; printf '%s' '{"pid":${vpid},"startTime":"${startTimeOf(vpid)}","argv":[],"startedAt":"x"}' > ${pidFile}.zkmig.json`);
  const s = await client.serviceStatus('meta-pegpid');
  t.not(s.state, 'active', JSON.stringify(s));
  t.not(s.main_pid, vpid);
  t.regex(s.detail, /was not started by this agent/);
  const stop = await client.controlService('meta-pegpid', 'stop');
  t.false(stop.changed, JSON.stringify(stop));
  await new Promise((r) => setTimeout(r, 500));
  t.true(alive(vpid), 'the victim group leader was not signalled');

  // pid 1 and a negative number are refused whatever the file's directory.
  for (const bad of ['1', '-1']) {
    asNobody(`echo ${bad} > ${pidFile}`);
    const st = await client.serviceStatus('meta-pegpid');
    t.not(st.state, 'active');
    t.not((await client.controlService('meta-pegpid', 'stop')).failed, true);
  }
  t.true(alive(vpid));
});

test.serial('the agent starts and stops its own process through an untrusted pid file, without following planted symlinks', async (t) => {
  const { client, pegdir, base } = t.context;
  // Root-only victims the planted links point at.
  const victimA = path.join(base, 'victim-a');
  const victimB = path.join(base, 'victim-b');
  for (const v of [victimA, victimB]) fs.writeFileSync(v, 'root-only secret content\n', { mode: 0o600 });
  asNobody(`rm -f ${pegdir}/meta.pid ${pegdir}/meta.pid.zkmig.json; ln -s ${victimB} ${pegdir}/meta.out; for i in $(seq 1 50); do ln -s ${victimA} ${pegdir}/meta.pid.tmp-$i; done`);
  // The log file is a symlink: the start is refused rather than appending to victim-b.
  const err = await t.throwsAsync(client.controlService('meta-pegpid', 'start'));
  t.regex(String(err?.message), /FAILED_PRECONDITION.*meta\.out is a symlink/);
  t.is(fs.readFileSync(victimB, 'utf8'), 'root-only secret content\n', 'victim-b untouched');
  t.is(fs.readFileSync(victimA, 'utf8'), 'root-only secret content\n', 'victim-a untouched');
  // Without the planted log link the agent starts and stops its own process normally.
  asNobody(`rm -f ${pegdir}/meta.out`);
  const ok = await client.controlService('meta-pegpid', 'start');
  t.like(ok, { failed: false, changed: true });
  const pid = ok.status?.main_pid ?? 0;
  t.true(pid > 1);
  t.is((await client.serviceStatus('meta-pegpid')).main_pid, pid, 'its own process, marked, is trusted from the untrusted file');
  t.true((await client.controlService('meta-pegpid', 'stop')).changed);
  await waitFor('the service to stop', () => !alive(pid), 10000);
  t.is(fs.readFileSync(victimA, 'utf8'), 'root-only secret content\n');
});

test.serial("another user's look-alike process (same argv and cwd) is reported as a conflict, never adopted or signalled", async (t) => {
  const { client } = t.context;
  const fake = spawn('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', ...LOOKALIKE], { cwd: '/', stdio: 'ignore' });
  t.teardown(() => fake.kill('SIGKILL'));
  const fpid = fake.pid as number;
  await waitFor('the look-alike to exec', () => fs.readFileSync(`/proc/${fpid}/cmdline`, 'utf8').replace(/\0$/, '') === LOOKALIKE.join('\0'), 5000);
  const s = await client.serviceStatus('meta-simple');
  t.not(s.state, 'active', JSON.stringify(s));
  t.not(s.main_pid, fpid);
  t.regex(s.detail, new RegExp(`conflict: pid ${fpid} \\(uid ${NOBODY}\\)`));
  // START is not fooled into "already active"; the agent's own copy runs and STOP stops only it.
  const start = await client.controlService('meta-simple', 'start');
  t.like(start, { failed: false, changed: true });
  const own = start.status?.main_pid ?? 0;
  t.not(own, fpid);
  const stop = await client.controlService('meta-simple', 'stop');
  t.true(stop.changed, JSON.stringify(stop));
  await waitFor('its own copy to stop', () => !alive(own), 10000);
  t.true(alive(fpid), 'the look-alike was not signalled');
});
