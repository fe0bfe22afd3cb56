/**
 * The runner runs a step again after a transient failure (an agent that was briefly unreachable,
 * a ZooKeeper connection moving to another member) instead of failing the run, and journals each
 * attempt; anything else fails at once. Found by the fault matrix (test/reliability): an agent
 * restarted by systemd in 2 s used to roll a migration back, and its rollback failed too.
 */
import test from 'ava';
import * as grpc from '@grpc/grpc-js';
import * as path from 'node:path';
import { AgentRpcError, AppError, VerifyError, ZkError } from '../../shared/errors';
import { Journal, replay } from '../../coordinator/lib/migrate/journal';
import { runSteps, StepDef, StepFailedError } from '../../coordinator/lib/migrate/runner';
import { StepResults } from '../../coordinator/lib/migrate/step-results';
import { isTransient } from '../../coordinator/lib/migrate/transient';
import { MigrateEvent } from '../../coordinator/lib/migrate/events';
import { tempDir } from '../harness/tmp';

const unavailable = (): AgentRpcError => new AgentRpcError('127.0.0.1:7443', 'ReadConfig', grpc.status.UNAVAILABLE, 'UNAVAILABLE', 'agent 127.0.0.1:7443 ReadConfig: UNAVAILABLE: connect ECONNREFUSED');

test('transient: unreachable agents and lost ZooKeeper connections, directly or as the cause; nothing else', (t) => {
  t.true(isTransient(unavailable()));
  t.true(isTransient(new AppError('UNAVAILABLE', 'cannot read the config of meta0', { cause: { code: 'UNAVAILABLE', message: 'x', grpcStatus: 'UNAVAILABLE' } })));
  t.true(isTransient(new AppError('INTERNAL', 'step failed', { cause: unavailable() })));
  t.true(isTransient(new ZkError('connection lost', { zkCode: -4 })));
  // The copy engine's raw node-zookeeper-client Exception.
  const raw = Object.assign(new Error('Exception: CONNECTION_LOSS[-4]'), { name: 'CONNECTION_LOSS', code: -4, getCode: () => -4 });
  t.true(isTransient(raw));

  t.false(isTransient(new AgentRpcError('a', 'EditConfig', grpc.status.FAILED_PRECONDITION, 'PRECONDITION', 'sha256 mismatch')));
  t.false(isTransient(new AgentRpcError('a', 'EditConfig', grpc.status.DEADLINE_EXCEEDED, 'TIMEOUT', 'deadline')));
  t.false(isTransient(new ZkError('no node', { zkCode: -101 })));
  t.false(isTransient(new VerifyError('pegasus-meta died 0.1 s after start')));
  // An UNAVAILABLE that is the cluster's own answer (the Pegasus shell) is not a reason to run again.
  t.false(isTransient(new AppError('UNAVAILABLE', 'Wait recovery failed')));
});

function journalIn(dir: string): Journal {
  const j = Journal.create(path.join(dir, 'r.jsonl'));
  j.append({ kind: 'run-start', run: 'r', params: {} });
  return j;
}

test('a step that fails on a transient error runs again, each attempt journaled, and the run goes on', async (t) => {
  const { dir, cleanup } = tempDir();
  try {
    const j = journalIn(dir);
    let calls = 0;
    const steps: StepDef[] = [
      {
        name: 'edit',
        title: 'edit',
        run: async () => {
          calls++;
          if (calls < 3) throw new AppError('UNAVAILABLE', 'cannot read the config of meta0', { cause: unavailable() });
          return { ok: true };
        },
      },
      { name: 'next', title: 'next', run: async () => ({}) },
    ];
    const events: MigrateEvent[] = [];
    await runSteps(steps, j, undefined, (e) => events.push(e), new StepResults(), { retryDelaysMs: [1, 1, 1] });
    j.close();
    t.is(calls, 3);
    const entries = Journal.read(path.join(dir, 'r.jsonl'));
    t.deepEqual(
      entries.filter((e) => e.kind === 'step-intent' && e.step === 'edit').map((e) => (e as { attempt: number }).attempt),
      [1, 2, 3],
    );
    t.is(entries.filter((e) => e.kind === 'step-failed').length, 2);
    t.deepEqual(replay(entries).done.map((d) => d.step), ['edit', 'next']);
    t.is(events.filter((e) => e.kind === 'warning' && /transient error/.test(e.message)).length, 2);
    t.false(events.some((e) => e.kind === 'step-failed'));
  } finally {
    cleanup();
  }
});

test('a transient failure that outlasts the retries, or any other failure, fails the step at once', async (t) => {
  const { dir, cleanup } = tempDir();
  try {
    const j = journalIn(dir);
    let calls = 0;
    const always: StepDef = {
      name: 'stop',
      title: 'stop',
      run: async () => {
        calls++;
        throw unavailable();
      },
    };
    const err = await t.throwsAsync(runSteps([always], j, undefined, () => undefined, new StepResults(), { retryDelaysMs: [1, 1] }), { instanceOf: StepFailedError });
    t.is(calls, 3);
    t.regex(err!.message, /step stop failed: .*UNAVAILABLE/);

    calls = 0;
    const verify: StepDef = {
      name: 'start',
      title: 'start',
      run: async () => {
        calls++;
        throw new VerifyError('pegasus-meta died 0.1 s after start');
      },
    };
    await t.throwsAsync(runSteps([verify], j, undefined, () => undefined, new StepResults(), { retryDelaysMs: [1, 1] }), { instanceOf: StepFailedError });
    t.is(calls, 1);
    j.close();
  } finally {
    cleanup();
  }
});
