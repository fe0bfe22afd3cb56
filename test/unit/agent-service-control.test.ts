import test from 'ava';
import type { ResolvedService } from '../../agent/config';
import { controlService, ControlDeps, plan } from '../../agent/ops/service-control';
import type { ServiceBackend, ServiceStatus } from '../../agent/ops/service-types';
import { isInvalidInput } from '../../shared/errors';

const SVC: ResolvedService = {
  name: 'meta',
  backend: 'systemd',
  unit: 'pegasus-meta.service',
  command: null,
  configFile: null,
  startTimeoutMs: 10000,
  stopTimeoutMs: 10000,
  graceMs: 3000,
};

const st = (over: Partial<ServiceStatus>): ServiceStatus => ({
  name: 'meta',
  backend: 'systemd',
  state: 'inactive',
  subState: 'dead',
  mainPid: 0,
  nRestarts: 0,
  execMainStatus: -1,
  unit: 'pegasus-meta.service',
  configFile: '',
  detail: '',
  startedAt: '',
  ...over,
});

/** A scripted backend on a fake clock: `timeline` says what status() returns from which time on. */
class FakeBackend implements ServiceBackend {
  calls: string[] = [];
  constructor(
    private readonly clock: { t: number },
    private timeline: [number, ServiceStatus][],
  ) {}
  setTimeline(tl: [number, ServiceStatus][]): void {
    this.timeline = tl;
  }
  async status(): Promise<ServiceStatus> {
    let cur = this.timeline[0]?.[1] as ServiceStatus;
    for (const [at, s] of this.timeline) if (this.clock.t >= at) cur = s;
    return cur;
  }
  async start(): Promise<void> {
    this.calls.push('start');
  }
  async stop(): Promise<void> {
    this.calls.push('stop');
  }
  async logTail(): Promise<string> {
    return 'last words';
  }
}

function deps(clock: { t: number }): ControlDeps {
  return { now: () => clock.t, sleep: async (ms) => void (clock.t += ms) };
}

const opts = { checkMode: false, timeoutMs: 0, remainingMs: Infinity };

test('plan is pure: start acts only when not up, stop only when not stopped, restart always', (t) => {
  t.false(plan('start', st({ state: 'active', mainPid: 5 })).act);
  t.true(plan('start', st({ state: 'failed' })).act);
  t.true(plan('start', st({ state: 'activating', subState: 'auto-restart' })).act);
  t.false(plan('stop', st({ state: 'inactive' })).act);
  t.true(plan('stop', st({ state: 'activating' })).act);
  t.true(plan('restart', st({ state: 'active', mainPid: 5 })).act);
});

test('a start that stays up through the grace period: changed, not failed; a second start does nothing', async (t) => {
  const clock = { t: 0 };
  const b = new FakeBackend(clock, [[0, st({})]]);
  b.start = async () => {
    b.calls.push('start');
    b.setTimeline([[0, st({ state: 'active', subState: 'running', mainPid: 42 })]]);
  };
  const r = await controlService(SVC, b, 'start', opts, deps(clock));
  t.like(r, { changed: true, failed: false });
  t.true(clock.t >= SVC.graceMs, 'watched for the whole grace period');
  t.regex(r.diff?.unified ?? '', /-state: inactive/);
  const again = await controlService(SVC, b, 'start', opts, deps(clock));
  t.like(again, { changed: false, failed: false });
  t.deepEqual(b.calls, ['start']);
});

test('an early crash (ansible#24450) is reported as failed with the exit status and log tail', async (t) => {
  const clock = { t: 0 };
  const b = new FakeBackend(clock, [[0, st({})]]);
  b.start = async () => {
    b.setTimeline([
      [0, st({ state: 'active', subState: 'running', mainPid: 42 })],
      [1000, st({ state: 'failed', subState: 'failed', execMainStatus: 3 })],
    ]);
  };
  const r = await controlService(SVC, b, 'start', opts, deps(clock));
  t.true(r.failed);
  t.regex(r.msg, /died 1\.\d s after start, within its 3000 ms grace period \(exit status 3\)/);
  t.is(r.logTail, 'last words');
  t.true(clock.t < SVC.graceMs, 'reported as soon as it was seen');
});

test('a crash that systemd restarts within the grace period (NRestarts went up) is failed too', async (t) => {
  const clock = { t: 0 };
  const b = new FakeBackend(clock, [[0, st({ nRestarts: 2 })]]);
  b.start = async () => {
    b.setTimeline([
      [0, st({ state: 'active', subState: 'running', mainPid: 42, nRestarts: 2 })],
      [500, st({ state: 'active', subState: 'running', mainPid: 43, nRestarts: 3 })],
    ]);
  };
  const r = await controlService(SVC, b, 'start', opts, deps(clock));
  t.true(r.failed);
  t.regex(r.msg, /restarted 1 time/);
});

test('check mode reads the state and predicts, but never starts or stops', async (t) => {
  const clock = { t: 0 };
  const b = new FakeBackend(clock, [[0, st({ state: 'active', mainPid: 7 })]]);
  const stop = await controlService(SVC, b, 'stop', { ...opts, checkMode: true }, deps(clock));
  t.like(stop, { changed: true, checkMode: true, failed: false });
  t.like(stop.status, { state: 'inactive' });
  const start = await controlService(SVC, b, 'start', { ...opts, checkMode: true }, deps(clock));
  t.false(start.changed);
  t.deepEqual(b.calls, []);
});

test('stop of a stopped service changes nothing; restart stops then starts', async (t) => {
  const clock = { t: 0 };
  const b = new FakeBackend(clock, [[0, st({ state: 'inactive' })]]);
  t.false((await controlService(SVC, b, 'stop', opts, deps(clock))).changed);
  t.deepEqual(b.calls, []);
  b.setTimeline([[0, st({ state: 'active', mainPid: 1 })]]);
  b.stop = async () => {
    b.calls.push('stop');
    b.setTimeline([[0, st({ state: 'inactive' })]]);
  };
  b.start = async () => {
    b.calls.push('start');
    b.setTimeline([[0, st({ state: 'active', mainPid: 2 })]]);
  };
  const r = await controlService(SVC, b, 'restart', opts, deps(clock));
  t.deepEqual(b.calls, ['stop', 'start']);
  t.like(r, { changed: true, failed: false });
  t.is(r.status.mainPid, 2);
});

test('a deadline shorter than the grace period is refused up front', async (t) => {
  const clock = { t: 0 };
  const b = new FakeBackend(clock, [[0, st({})]]);
  const e = await t.throwsAsync(controlService(SVC, b, 'start', { ...opts, remainingMs: 2000 }, deps(clock)));
  t.true(isInvalidInput(e));
  t.regex(e?.message ?? '', /too short to start meta \(grace period 3000 ms\)/);
  t.deepEqual(b.calls, []);
});
