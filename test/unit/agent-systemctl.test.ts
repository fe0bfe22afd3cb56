import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Exec, ExecOptions } from '../../agent/exec';
import { isNotFound, parseSystemctlShow, SHOW_PROPERTIES, SystemdBackend, toServiceStatus } from '../../agent/ops/systemd';
import { ExecError, isNotFound as isNotFoundErr } from '../../shared/errors';

const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'systemd');
const fixture = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
const status = (name: string): ReturnType<typeof toServiceStatus> => toServiceStatus(parseSystemctlShow(fixture(name)), 'meta', 'zk.service', '/etc/pegasus/config.ini');

test('captured systemctl show output: active, inactive, failed, auto-restart, restarted', (t) => {
  t.like(status('active-running.txt'), { state: 'active', subState: 'running', mainPid: 88, nRestarts: 0, execMainStatus: 0 });
  t.like(status('inactive-dead.txt'), { state: 'inactive', subState: 'dead', mainPid: 0 });
  t.like(status('failed-exit-3.txt'), { state: 'failed', subState: 'failed', mainPid: 0, execMainStatus: 3 });
  t.regex(status('failed-exit-3.txt').detail, /Result=exit-code/);
  t.like(status('activating-auto-restart.txt'), { state: 'activating', subState: 'auto-restart', execMainStatus: 1 });
  t.like(status('active-after-1-restart.txt'), { state: 'active', nRestarts: 1 });
  // The start timestamp tells two runs apart even when state and pid look alike.
  t.regex(status('failed-exit-3.txt').startedAt, /^\d+$/);
  t.not(status('failed-exit-3.txt').startedAt, status('active-running.txt').startedAt);
});

test('the full property list parses too (values containing "=" are kept whole)', (t) => {
  const props = parseSystemctlShow(fixture('active-running-all-properties.txt'));
  t.is(props.ActiveState, 'active');
  t.is(props.MainPID, '88');
  t.true(Object.keys(props).length > 200);
  t.true((props.ExecStart ?? '').includes('path=/bin/sleep'));
});

test('a unit that does not exist: LoadState=not-found (ActiveState still says inactive)', (t) => {
  const props = parseSystemctlShow(fixture('not-found.txt'));
  t.true(isNotFound(props));
  t.is(props.ActiveState, 'inactive');
});

function fakeExec(replies: Record<string, { exitCode: number; stdout?: string; stderr?: string }>): { exec: Exec; calls: { argv: readonly string[]; opts?: ExecOptions }[] } {
  const calls: { argv: readonly string[]; opts?: ExecOptions }[] = [];
  const exec: Exec = async (argv, opts) => {
    calls.push({ argv, opts });
    const r = replies[argv[1] ?? ''] ?? { exitCode: 0 };
    return { argv, exitCode: r.exitCode, signal: null, stdout: r.stdout ?? '', stderr: r.stderr ?? '', durationMs: 1 };
  };
  return { exec, calls };
}

test('SystemdBackend runs systemctl as an argv list with the exact property query', async (t) => {
  const { exec, calls } = fakeExec({ show: { exitCode: 0, stdout: fixture('active-running.txt') } });
  const b = new SystemdBackend('/usr/bin/systemctl', 'meta', 'pegasus-meta.service', '', exec);
  const s = await b.status();
  t.is(s.state, 'active');
  t.deepEqual(calls[0]?.argv, ['/usr/bin/systemctl', 'show', `--property=${SHOW_PROPERTIES.join(',')}`, '--', 'pegasus-meta.service']);
  await b.start(5000);
  t.deepEqual(calls[1]?.argv, ['/usr/bin/systemctl', 'start', '--', 'pegasus-meta.service']);
  t.is(calls[1]?.opts?.timeoutMs, 5000);
});

test('SystemdBackend: a non-zero systemctl is an ExecError with exit code and stderr; not-found is NotFound', async (t) => {
  const { exec } = fakeExec({ start: { exitCode: 1, stderr: 'Job for x failed because the control process exited with error code.\n' }, show: { exitCode: 0, stdout: fixture('not-found.txt') } });
  const b = new SystemdBackend('/usr/bin/systemctl', 'meta', 'x.service', '', exec);
  const e = await t.throwsAsync(b.start(1000));
  t.true(e instanceof ExecError);
  t.is((e as ExecError).exitCode, 1);
  t.regex((e as ExecError).stderr, /Job for x failed/);
  t.true(isNotFoundErr(await t.throwsAsync(b.status())));
});
