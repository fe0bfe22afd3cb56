import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Journal, replay } from '../../coordinator/lib/migrate/journal';
import { runSteps, StepDef, StepFailedError } from '../../coordinator/lib/migrate/runner';
import { StepResults } from '../../coordinator/lib/migrate/step-results';
import { MigrateEvent } from '../../coordinator/lib/migrate/events';
import { tempDir } from '../harness/tmp';

test('journal entries survive a torn last line and replay into state', (t) => {
  const { dir, cleanup } = tempDir();
  try {
    const file = path.join(dir, 'r.jsonl');
    const j = Journal.create(file);
    j.append({ kind: 'run-start', run: 'r', params: { cluster: 'c1' } });
    j.append({ kind: 'step-intent', step: 'a', attempt: 1 });
    j.append({ kind: 'step-done', step: 'a', data: { leader: 'm1' } });
    j.append({ kind: 'step-intent', step: 'b', attempt: 1 });
    j.close();
    fs.appendFileSync(file, '{"kind":"step-do'); // killed mid-write
    const st = replay(Journal.read(file));
    t.deepEqual(st.done.map((d) => d.step), ['a']);
    t.deepEqual(st.inFlight, { step: 'b', attempt: 1 });
    t.is(st.outcome, undefined);
    t.throws(() => Journal.create(file), { code: 'EEXIST' });
  } finally {
    cleanup();
  }
});

test('a journal corrupted before its last line is refused', (t) => {
  const { dir, cleanup } = tempDir();
  try {
    const file = path.join(dir, 'r.jsonl');
    fs.writeFileSync(file, '{"kind":"run-start","run":"r","params":{},"ts":"x"}\nnot json\n{"kind":"note","text":"x","ts":"y"}\n');
    t.throws(() => Journal.read(file), { message: /line 2 is not valid JSON/ });
  } finally {
    cleanup();
  }
});

test('runSteps skips journaled steps, reruns the one in flight, and records failures', async (t) => {
  const { dir, cleanup } = tempDir();
  try {
    const file = path.join(dir, 'r.jsonl');
    const ran: string[] = [];
    // Real step names, so that the typed record hands each its output type (step-types.ts).
    const [a, b, c] = ['stop-followers', 'set-blind', 'copy'] as const;
    const mk = (name: string, fail = false): StepDef => ({
      name,
      title: `step ${name}`,
      run: async (ctx) => {
        ran.push(name);
        if (fail) throw new Error(`boom in ${name}`);
        return { summary: `${name} saw ${ctx.results.get(a)?.summary ?? 'nothing'}` };
      },
    });
    const j = Journal.create(file);
    j.append({ kind: 'run-start', run: 'r', params: {} });
    const events: MigrateEvent[] = [];
    await t.throwsAsync(() => runSteps([mk(a), mk(b, true), mk(c)], j, undefined, (e) => events.push(e), new StepResults()), { instanceOf: StepFailedError, message: /step set-blind failed: boom in set-blind/ });
    t.deepEqual(ran, [a, b]);
    j.close();

    const st = replay(Journal.read(file));
    t.deepEqual(st.inFlight, { step: b, attempt: 1 });
    t.is(st.lastError?.step, b);
    ran.length = 0;
    const j2 = Journal.open(file);
    const results = new StepResults();
    await runSteps([mk(a), mk(b), mk(c)], j2, st, () => undefined, results);
    j2.close();
    t.deepEqual(ran, [b, c], 'a is not run again');
    t.is(results.get(c)?.summary, `${c} saw ${a} saw nothing`, 'data journaled by an earlier attempt reaches later steps');
    const st2 = replay(Journal.read(file));
    t.deepEqual(st2.done.map((d) => d.step), [a, b, c]);
    const intents = Journal.read(file).filter((e) => e.kind === 'step-intent' && e.step === b);
    t.deepEqual(intents.map((e) => (e as { attempt: number }).attempt), [1, 2]);
  } finally {
    cleanup();
  }
});
