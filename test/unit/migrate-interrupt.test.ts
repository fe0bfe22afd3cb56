import test from 'ava';
import { EventEmitter } from 'node:events';
import * as path from 'node:path';
import { CancelledError, clusterState, signalExitCode, StopRequest } from '../../coordinator/lib/migrate/interrupt';
import { Journal, JournalEntry, replay } from '../../coordinator/lib/migrate/journal';
import type { MigrateParams } from '../../coordinator/lib/migrate/params';
import { runSteps, StepDef } from '../../coordinator/lib/migrate/runner';
import { StepResults } from '../../coordinator/lib/migrate/step-results';
import { installStopHandlers } from '../../coordinator/lib/migrate/stop-signals';
import { tempDir } from '../harness/tmp';

test('a stop asked during a step lets that step finish and journal its done line, then stops before the next (CANCELLED)', async (t) => {
  const { dir, cleanup } = tempDir();
  try {
    const file = path.join(dir, 'r.jsonl');
    const j = Journal.create(file);
    j.append({ kind: 'run-start', run: 'r', params: {} });
    const stop = new StopRequest();
    const ran: string[] = [];
    const steps: StepDef[] = ['a', 'b', 'c'].map((name) => ({
      name,
      title: name,
      run: async () => {
        if (name === 'b') {
          t.true(stop.request('SIGTERM'));
          t.false(stop.request('SIGINT'), 'the first signal is the one kept');
          await new Promise((r) => setTimeout(r, 20)); // still inside the step when the signal came
        }
        ran.push(name);
        return { summary: name };
      },
    }));
    const e = await t.throwsAsync(runSteps(steps, j, undefined, () => undefined, new StepResults(), { stop }), { instanceOf: CancelledError });
    t.is(e!.code, 'CANCELLED');
    t.like(e, { signal: 'SIGTERM', nextStep: 'c' });
    j.close();
    t.deepEqual(ran, ['a', 'b']);
    const st = replay(Journal.read(file));
    t.deepEqual(st.done.map((d) => d.step), ['a', 'b']);
    t.is(st.inFlight, undefined);
  } finally {
    cleanup();
  }
});

test('a transient failure is not retried once a stop was asked', async (t) => {
  const { dir, cleanup } = tempDir();
  try {
    const j = Journal.create(path.join(dir, 'r.jsonl'));
    j.append({ kind: 'run-start', run: 'r', params: {} });
    const stop = new StopRequest();
    let runs = 0;
    const step: StepDef = {
      name: 'a',
      title: 'a',
      run: async () => {
        runs++;
        stop.request('SIGINT');
        throw Object.assign(new Error('agent gone'), { grpcStatus: 'UNAVAILABLE' });
      },
    };
    await t.throwsAsync(runSteps([step], j, undefined, () => undefined, new StepResults(), { stop, retryDelaysMs: [1, 1, 1] }));
    t.is(runs, 1);
    j.close();
  } finally {
    cleanup();
  }
});

test('the state printed on an interrupt follows the steps done', (t) => {
  const params = { method: 'copy', to: 'new:2181' } as MigrateParams;
  const facts = { source: 'old:2181' } as never;
  const done = (...steps: string[]): JournalEntry[] => steps.map((step) => ({ kind: 'step-done', ts: '', step, data: {} }));
  t.regex(clusterState(done('preflight'), params, facts), /the metas serve from old:2181; nothing was changed/);
  t.regex(clusterState(done('preflight', 'stop-followers', 'set-blind'), params, facts), /the leader serves from old:2181 at meta level "blind"/);
  t.regex(clusterState(done('preflight', 'stop-followers', 'set-blind', 'copy', 'check-source', 'stop-leader', 'recheck-source', 'update-configs'), params, facts), /no meta runs \(write freeze\); every meta config names new:2181/);
  t.regex(clusterState(done('start-leader'), params, facts), /the leader serves from new:2181; the followers are stopped/);
  t.regex(clusterState(done('stop-metas'), { ...params, method: 'recover' }, facts), /no meta runs \(write freeze\); the meta configs still name old:2181/);
  t.is(signalExitCode('SIGINT'), 130);
  t.is(signalExitCode('SIGTERM'), 143);
});

test.serial('the CLI handlers: the first signal asks to stop, the second says it is still stopping, the third exits with the resume command', (t) => {
  let err = '';
  const io = { out: () => undefined, err: (s: string) => void (err += s), isTTY: false, env: {}, confirm: async () => false };
  const exits: number[] = [];
  // Not the real process: its signal listeners include the test runner's.
  const proc = Object.assign(new EventEmitter(), { exit: (code: number) => void exits.push(code) });
  const h = installStopHandlers(io, proc);
  try {
    const emit = h.track(() => undefined);
    emit({ kind: 'run-start', run: 'c1-run', cluster: 'c1', method: 'copy', dryRun: false, journal: '/x/c1-run.jsonl' });
    emit({ kind: 'step-start', step: 'update-configs', title: 'configs' });
    proc.emit('SIGTERM');
    t.is(h.stop.signal, 'SIGTERM');
    t.regex(err, /SIGTERM received: stopping at the next step boundary \(step update-configs is finishing/);
    proc.emit('SIGINT');
    t.is(h.stop.signal, 'SIGTERM', 'the first signal decides the exit code');
    t.regex(err, /SIGINT received: still stopping \(step update-configs is finishing\)/);
    t.deepEqual(exits, []);
    proc.emit('SIGINT');
    t.deepEqual(exits, [130]);
    t.regex(err, /WARNING: SIGINT received a third time: exiting now with step update-configs in flight .*"zkmig resume c1-run"/);
  } finally {
    h.dispose();
  }
  t.is(proc.listenerCount('SIGTERM') + proc.listenerCount('SIGINT'), 0);
});
