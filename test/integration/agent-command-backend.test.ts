/**
 * The `command` service backend through a real agent over TLS: real processes started detached,
 * stopped by signal or by a stop command, a crash one second after start reported as a failure,
 * a `forking` script that writes its own pid file, and processes that outlive an agent restart.
 */
import anyTest, { TestFn } from 'ava';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AgentClient } from '../../coordinator/lib/agent-client';
import { ServiceFailedError } from '../../shared/errors';
import { TestAgent, stopAllAgents } from '../harness/agent';
import { makeTestPki, TestPki } from '../harness/certs';
import { tempDir, waitFor } from '../harness/tmp';
import { portAnswers } from '../../coordinator/lib/migrate/stay-stopped';
import { isAlive } from '../../shared/process';

interface Ctx {
  pki: TestPki;
  dir: string;
  agent: TestAgent;
  client: AgentClient;
  cleanup: () => void;
}
const test = anyTest as TestFn<Ctx>;

const NODE = process.execPath;
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    const state = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== 'Z';
  } catch {
    return false;
  }
};

test.before(async (t) => {
  const pki = makeTestPki();
  const tmp = tempDir('zkmig-agent-cmd-');
  const dir = fs.realpathSync(tmp.dir);
  const run = path.join(dir, 'run');
  fs.mkdirSync(run);
  const flag = path.join(run, 'scripted.up');
  const agent = await TestAgent.start({
    dir,
    pki,
    services: [
      {
        name: 'sleeper',
        backend: 'command',
        graceMs: 800,
        command: { start: [NODE, '-e', "console.log('sleeper up'); setInterval(() => {}, 1000)"], logFile: path.join(run, 'sleeper.log') },
      },
      {
        // Node with a large heap and a listening port: on SIGTERM its main thread turns zombie tens of
        // ms before the last thread releases the heap and the port (shared/process.ts isAlive).
        name: 'heavy',
        backend: 'command',
        graceMs: 300,
        command: {
          start: [
            NODE,
            '-e',
            "const a = []; for (let i = 0; i < 3e6; i++) a.push({ k: 'x' + i, v: [i, i + 1] }); require('net').createServer(() => {}).listen(0, '127.0.0.1', function () { require('fs').writeFileSync(process.env.PORT_FILE, String(this.address().port)); }); setInterval(() => a.length, 1000);",
          ],
          env: { PORT_FILE: path.join(run, 'heavy.port') },
        },
      },
      {
        name: 'crasher',
        backend: 'command',
        // Long, so that "reported when it died, not when the grace period ended" is visible even on
        // a machine so loaded that node takes seconds to start.
        graceMs: 8000,
        command: { start: [NODE, '-e', "console.error('FATAL: cannot bind 34601'); setTimeout(() => process.exit(3), 1000)"] },
      },
      {
        // A wrapper whose child must go down with it: stop signals the whole process group.
        name: 'family',
        backend: 'command',
        graceMs: 300,
        command: { start: ['/bin/sh', '-c', 'sleep 300 & echo $! > "$CHILD_PID_FILE"; wait'], env: { CHILD_PID_FILE: path.join(run, 'family.child') } },
      },
      {
        name: 'forking',
        backend: 'command',
        graceMs: 300,
        command: { type: 'forking', start: ['/bin/sh', '-c', `sleep 300 >/dev/null 2>&1 & echo $! > ${run}/forking.pid`], pidFile: path.join(run, 'forking.pid') },
      },
      {
        name: 'scripted',
        backend: 'command',
        graceMs: 300,
        command: {
          type: 'forking',
          pidFile: path.join(run, 'scripted.pid'),
          start: ['/bin/sh', '-c', `sleep 300 >/dev/null 2>&1 & echo $! > ${run}/scripted.pid; touch ${flag}`],
          stop: ['/bin/sh', '-c', `kill $(cat ${run}/scripted.pid); rm -f ${flag}`],
          status: ['/bin/sh', '-c', `test -f ${flag} || exit 3`],
        },
      },
    ],
  });
  t.context = { pki, dir, agent, client: agent.client(), cleanup: () => (tmp.cleanup(), pki.cleanup()) };
});

test.after.always(async (t) => {
  t.context.client?.close();
  await stopAllAgents();
  // Anything a failed test left running: every pid file under the work dir, and their groups.
  if (t.context.dir) {
    const pids: number[] = [];
    const walk = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.(pid|child)$/.test(e.name)) pids.push(Number(fs.readFileSync(p, 'utf8').trim()));
      }
    };
    walk(t.context.dir);
    for (const pid of pids.filter((p) => p > 0)) {
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
  }
  t.context.cleanup?.();
});

test.serial('start launches the program detached with a pid file and log; start again and stop are idempotent', async (t) => {
  const c = t.context.client;
  const dry = await c.controlService('sleeper', 'start', { checkMode: true });
  t.like(dry, { changed: true, check_mode: true });
  t.is((await c.serviceStatus('sleeper')).state, 'inactive');

  const r = await c.controlService('sleeper', 'start');
  t.like(r, { changed: true, failed: false });
  t.is(r.before?.state, 'inactive');
  const pid = r.status?.main_pid ?? 0;
  t.true(pid > 0 && alive(pid));
  t.regex(r.msg, /stayed active through its 800 ms grace period/);
  // Own session: the agent is not its session leader, so a signal to the agent's group misses it.
  t.is(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[3], String(pid));
  await waitFor('the program output in its log', () => fs.readFileSync(path.join(t.context.dir, 'run', 'sleeper.log'), 'utf8').includes('sleeper up'), 5000);
  t.is(Number(fs.readFileSync(path.join(t.context.dir, 'state', 'services', 'sleeper.pid'), 'utf8')), pid);

  const again = await c.controlService('sleeper', 'start');
  t.like(again, { changed: false, failed: false });
  t.is(again.status?.main_pid, pid);

  const stop = await c.controlService('sleeper', 'stop');
  t.like(stop, { changed: true, failed: false });
  t.is(stop.status?.state, 'inactive');
  await waitFor('the process to be gone', () => !alive(pid), 5000);
  t.false(fs.existsSync(path.join(t.context.dir, 'state', 'services', 'sleeper.pid')));
  t.false((await c.controlService('sleeper', 'stop')).changed);
});

test.serial('stop returns only once the whole process is gone: a large-heap process whose main thread is already a zombie still holds its port', async (t) => {
  const c = t.context.client;
  const portFile = path.join(t.context.dir, 'run', 'heavy.port');
  fs.rmSync(portFile, { force: true });
  const r = await c.controlService('heavy', 'start');
  const pid = r.status?.main_pid ?? 0;
  const port = await waitFor('the heavy service to listen', () => (fs.existsSync(portFile) ? Number(fs.readFileSync(portFile, 'utf8')) : 0), 60_000);
  t.true(await portAnswers('127.0.0.1', port));
  const stop = await c.controlService('heavy', 'stop');
  t.like(stop, { changed: true, failed: false });
  // The coordinator's stays-stopped watch connects right after a stop: an answer here read as "a
  // supervisor restarted it" and failed a migration (the leader of a 100k-znode tree).
  t.false(await portAnswers('127.0.0.1', port), 'the port still answered after stop returned');
  t.false(isAlive(pid), 'the process (every thread of it) is gone');
});

test.serial('a process that crashes one second after start is reported as failed, never as started', async (t) => {
  const c = t.context.client;
  const err = await t.throwsAsync(c.controlService('crasher', 'start'));
  t.true(err instanceof ServiceFailedError);
  const r = await c.controlService('crasher', 'start', { allowFailure: true });
  t.true(r.failed);
  t.true(r.changed);
  t.is(r.status?.state, 'failed');
  t.is(r.status?.exec_main_status, 3);
  t.regex(r.msg, /crasher died \d+\.\d s after start, within its 8000 ms grace period \(exit status 3\)/);
  t.regex(r.log_tail, /FATAL: cannot bind 34601/);
  // It lived about a second, and the failure came when it died, not at the end of the grace period.
  t.true((r.duration_ms ?? 0) >= 1000 && (r.duration_ms ?? 0) < 7500, `reported as soon as it died (${r.duration_ms} ms)`);
  t.is((await c.serviceStatus('crasher')).state, 'failed');
  const rec = t.context.agent.records().find((x) => x.event === 'mutation' && x.target === 'crasher start' && x.result === 'failed');
  t.truthy(rec, 'the failed start is in the audit log');
});

test.serial('stop signals the whole process group of a simple service', async (t) => {
  const c = t.context.client;
  const r = await c.controlService('family', 'start');
  const childFile = path.join(t.context.dir, 'run', 'family.child');
  const child = await waitFor('the grandchild pid', () => (fs.existsSync(childFile) ? Number(fs.readFileSync(childFile, 'utf8')) : 0), 5000);
  t.true(alive(child));
  await c.controlService('family', 'stop');
  t.false(alive(r.status?.main_pid ?? 0));
  await waitFor('the grandchild to die with its group', () => !alive(child), 5000);
  t.pass();
});

test.serial('a forking start script that writes its own pid file; stop by SIGTERM to that pid', async (t) => {
  const c = t.context.client;
  const r = await c.controlService('forking', 'start');
  t.like(r, { changed: true, failed: false });
  const pid = Number(fs.readFileSync(path.join(t.context.dir, 'run', 'forking.pid'), 'utf8'));
  t.is(r.status?.main_pid, pid);
  t.true(alive(pid));
  t.false((await c.controlService('forking', 'start')).changed);
  const s = await c.controlService('forking', 'stop');
  t.like(s, { changed: true, failed: false });
  await waitFor('the daemon to be gone', () => !alive(pid), 5000);
  t.pass();
});

test.serial('configured stop and status commands are used instead of signals and the pid check', async (t) => {
  const c = t.context.client;
  const r = await c.controlService('scripted', 'start');
  t.like(r, { changed: true, failed: false });
  t.regex(r.status?.detail ?? '', /status command exited 0/);
  const s = await c.controlService('scripted', 'stop');
  t.like(s, { changed: true, failed: false });
  t.regex(s.status?.detail ?? '', /status command exited 3/);
  t.is(s.status?.state, 'inactive');
});

test.serial('restart gives a new pid', async (t) => {
  const c = t.context.client;
  const a = await c.controlService('sleeper', 'start');
  const b = await c.controlService('sleeper', 'restart');
  t.like(b, { changed: true, failed: false });
  t.not(b.status?.main_pid, a.status?.main_pid);
  t.false(alive(a.status?.main_pid ?? 0));
  await c.controlService('sleeper', 'stop');
});

test.serial('a started service survives an agent restart (SIGTERM and SIGKILL) and is still managed after it', async (t) => {
  const { agent } = t.context;
  // The same client throughout: its channel reconnects to the restarted agent on the same port.
  const c = t.context.client;
  const pid = (await c.controlService('sleeper', 'start')).status?.main_pid ?? 0;
  for (const how of ['SIGTERM', 'SIGKILL'] as const) {
    if (how === 'SIGTERM') t.is(await agent.stop(), 0);
    else await agent.kill();
    t.true(alive(pid), `the service outlived the agent's ${how}`);
    await agent.restart();
    const s = await waitFor('the restarted agent to answer', () => c.serviceStatus('sleeper'), 15000, 100);
    t.is(s.state, 'active');
    t.is(s.main_pid, pid);
  }
  const stop = await c.controlService('sleeper', 'stop');
  t.true(stop.changed);
  await waitFor('the service to stop', () => !alive(pid), 5000);
  t.pass();
});

test.serial('a pid file whose pid now belongs to another process is not trusted, and that process is never signalled', async (t) => {
  const c = t.context.client;
  const stranger = spawn('/bin/sleep', ['300'], { stdio: 'ignore' });
  t.teardown(() => stranger.kill('SIGKILL'));
  const pid = stranger.pid as number;
  const pidFile = path.join(t.context.dir, 'state', 'services', 'sleeper.pid');
  fs.mkdirSync(path.dirname(pidFile), { recursive: true });
  fs.writeFileSync(pidFile, `${pid}\n`);
  // What the agent wrote when it started "its" process: a start time that is not the stranger's.
  fs.writeFileSync(`${pidFile}.zkmig.json`, JSON.stringify({ pid, startTime: '1', argv: ['x'], startedAt: '2020-01-01T00:00:00.000Z' }));
  const s = await c.serviceStatus('sleeper');
  t.is(s.state, 'failed');
  t.regex(s.detail, new RegExp(`pid ${pid} now belongs to another process`));
  const stop = await c.controlService('sleeper', 'stop');
  t.false(stop.changed, 'nothing of ours was running');
  t.true(alive(pid), 'the stranger was not signalled');
  // A start is not fooled into "already running", and its stop leaves the stranger alone too.
  const start = await c.controlService('sleeper', 'start');
  t.like(start, { changed: true, failed: false });
  t.not(start.status?.main_pid, pid);
  await c.controlService('sleeper', 'stop');
  t.true(alive(pid), 'the stranger is still alive');
});

test.serial('a service the agent started but never recorded (killed between spawn and pid file) is found by argv, cwd and the agent mark and adopted; a look-alike without the mark is not', async (t) => {
  const c = t.context.client;
  const pid = (await c.controlService('sleeper', 'start')).status?.main_pid ?? 0;
  t.true(pid > 0);
  const pidFile = path.join(t.context.dir, 'state', 'services', 'sleeper.pid');
  // What an agent SIGKILLed right after spawning leaves: the process, and nothing naming it.
  fs.rmSync(pidFile);
  fs.rmSync(`${pidFile}.zkmig.json`);

  // A second process with the very same argv and cwd, not started by the agent (it lacks the
  // agent's mark): only the agent's own process is adopted, the twin is left alone.
  const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  const twin = spawn(argv[0]!, argv.slice(1), { cwd: fs.readlinkSync(`/proc/${pid}/cwd`), stdio: 'ignore' });
  t.teardown(() => twin.kill('SIGKILL'));
  await waitFor('the twin to run', () => fs.existsSync(`/proc/${twin.pid}/cmdline`) && fs.readFileSync(`/proc/${twin.pid}/cmdline`, 'utf8').includes('sleeper up'), 10000);

  const s = await c.serviceStatus('sleeper');
  t.is(s.state, 'active');
  t.is(s.main_pid, pid);
  t.is(Number(fs.readFileSync(pidFile, 'utf8')), pid, 'adopted: recorded again');
  // A start does not launch a second copy; a stop stops the adopted process.
  t.like(await c.controlService('sleeper', 'start'), { changed: false });
  t.true((await c.controlService('sleeper', 'stop')).changed);
  await waitFor('the adopted process to stop', () => !alive(pid), 5000);
  t.true(alive(twin.pid as number), 'the twin was not signalled');
});
