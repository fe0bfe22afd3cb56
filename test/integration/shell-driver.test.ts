/**
 * The shell driver against real child processes: a small fake shell script
 * (test/fixtures/shell-samples/fake-shell.sh) that prints canned answers, hangs, or ignores
 * SIGTERM on request. The simulator-backed test is shell-driver-sim.test.ts.
 */
import anyTest, { TestFn } from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AppError, isTimeout, ShellCommandError } from '../../shared/errors';
import { PegasusShell, runProcess } from '../../coordinator/lib/shell';
import { tempDir } from '../harness/tmp';
import { sample, samplePath } from '../unit/shell-fixtures';

const test = anyTest as TestFn<{ dir: string; cleanup: () => void; shell: (opts?: { timeoutMs?: number; killGraceMs?: number; env?: NodeJS.ProcessEnv }) => PegasusShell }>;

const FAKE = samplePath('fake-shell.sh');
const METAS = '10.0.0.1:34601,10.0.0.2:34601,10.0.0.3:34601';

test.beforeEach((t) => {
  const { dir, cleanup } = tempDir('zkmig-shell-driver-');
  fs.writeFileSync(path.join(dir, 'cluster_info.out'), sample('cluster_info.v2.5.txt'));
  fs.writeFileSync(path.join(dir, 'ls_-d_-j.out'), sample('ls-d.master.json'));
  fs.writeFileSync(path.join(dir, 'server_info.err'), sample('server_info.v2.5.stderr.txt'));
  fs.writeFileSync(path.join(dir, 'get_meta_level.out'), 'get meta level got error ERR_UNDER_RECOVERY\n');
  t.context = {
    dir,
    cleanup,
    shell: (opts = {}) =>
      new PegasusShell({ argv: ['/bin/sh', FAKE, 'shell', '--cluster', METAS], env: { ...process.env, FAKE_SHELL_DIR: dir, ...opts.env }, timeoutMs: opts.timeoutMs ?? 20_000, ...(opts.killGraceMs ? { killGraceMs: opts.killGraceMs } : {}) }),
  };
});

test.afterEach.always((t) => t.context.cleanup());

/** True once `pid` is gone (or a zombie waiting to be reaped, which holds nothing). */
function dead(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

async function eventuallyDead(pid: number, ms = 3000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (dead(pid)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return dead(pid);
}

const readPid = (dir: string, name: string): number => Number(fs.readFileSync(path.join(dir, name), 'utf8').trim());

test('parses a real process\'s output, banner included', async (t) => {
  const out = await t.context.shell().exec('cluster_info');
  t.is(out.banner.metaList, METAS);
  t.is(out.run.exitCode, 0);
  const info = await t.context.shell().clusterInfo();
  t.deepEqual(info.metaServers, METAS.split(','));
});

test('answers written to stderr are parsed (server_info on v2.5.0)', async (t) => {
  const r = await t.context.shell().serverInfo();
  t.is(r.succeedCount, 1);
  t.is(r.failedCount, 1);
});

test('flags reach the shell on stdin', async (t) => {
  t.is((await t.context.shell().listApps({ detailed: true, json: true })).format, 'json');
});

test('exit status 0 with an error printed is still a failure', async (t) => {
  const e = (await t.throwsAsync(t.context.shell().getMetaLevel(), { instanceOf: ShellCommandError })) as ShellCommandError;
  t.is(e.errorCode, 'ERR_UNDER_RECOVERY');
  const u = (await t.throwsAsync(t.context.shell().clusterInfo({ json: true }), { instanceOf: ShellCommandError })) as ShellCommandError;
  t.is(u.errorCode, 'SHELL_UNKNOWN_COMMAND');
});

test('stdin is closed after the command, so a shell reading to EOF finishes', async (t) => {
  const out = await t.context.shell({ timeoutMs: 5000 }).exec('read-all');
  t.regex(out.text, /read 0 more line\(s\), then EOF/);
});

test('the shell runs with LC_ALL=C', async (t) => {
  t.regex((await t.context.shell({ env: { LC_ALL: 'de_DE.UTF-8' } }).exec('env')).text, /^LC_ALL=C$/m);
});

test('a shell that hangs is killed with its children at the deadline', async (t) => {
  const started = Date.now();
  const e = await t.throwsAsync(t.context.shell({ timeoutMs: 700 }).exec('hang'));
  t.true(isTimeout(e));
  t.regex(e!.message, /did not finish within 700 ms/);
  t.true(Date.now() - started < 5000);
  t.true(await eventuallyDead(readPid(t.context.dir, 'shell.pid')), 'the shell is gone');
  t.true(await eventuallyDead(readPid(t.context.dir, 'child.pid')), 'its child is gone');
});

test('a shell that ignores SIGTERM gets SIGKILL after the grace period', async (t) => {
  const started = Date.now();
  const e = await t.throwsAsync(t.context.shell({ timeoutMs: 500, killGraceMs: 400 }).exec('hang-ignoring-term'));
  t.true(isTimeout(e));
  t.true(Date.now() - started >= 850);
  t.true(await eventuallyDead(readPid(t.context.dir, 'shell.pid')));
  t.true(await eventuallyDead(readPid(t.context.dir, 'child.pid')));
});

test('large output is read completely', async (t) => {
  const out = await t.context.shell().exec('big');
  t.is(out.text.split('\n').filter((l) => l.startsWith('line ')).length, 50000);
});

test('a shell that exits without reading stdin does not break the driver', async (t) => {
  const out = await t.context.shell({ env: { FAKE_SHELL_EXIT_AT_ONCE: '1' } }).exec('cluster_info');
  t.is(out.banner.version, '2.5.0');
  t.is(out.run.exitCode, 0);
});

test('a shell binary that does not exist is NOT_FOUND, naming it', async (t) => {
  const e = await t.throwsAsync(runProcess(['/nonexistent/run.sh', 'shell'], { input: 'x\n', timeoutMs: 5000 }));
  t.true(e instanceof AppError);
  t.is((e as AppError).code, 'NOT_FOUND');
  t.regex(e!.message, /\/nonexistent\/run.sh/);
});

test('runaway output is cut off', async (t) => {
  const e = await t.throwsAsync(runProcess(['/bin/sh', FAKE], { input: 'big\n', timeoutMs: 10_000, maxOutputBytes: 100_000, env: { ...process.env, FAKE_SHELL_DIR: t.context.dir } }));
  t.regex(e!.message, /more than 100000 bytes/);
  t.true(await eventuallyDead(readPid(t.context.dir, 'shell.pid')));
});
