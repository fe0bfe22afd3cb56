/**
 * The coordinator killed with SIGKILL after each of the last five steps of a copy migration in
 * turn (watching the run journal for the step's done line), then `zkmig resume RUN`: every time the
 * run completes and the cluster is healthy on the new ensemble. One sandbox fleet, migrated back
 * and forth between its two ensembles. migrate-resume-early.test.ts covers the first five.
 */
import anyTest, { TestFn } from 'ava';
import { COPY_STEPS, Fleet, health, killAfterStepThenResume, readJournal, startFleet } from './migrate-support';

const test = anyTest as TestFn<{ fleet: Fleet }>;

test.before(async (t) => {
  t.context.fleet = await startFleet('zkmig-mig-resume-b-');
});

test.after.always(async (t) => {
  await t.context.fleet?.close();
});

for (let n = 6; n <= COPY_STEPS.length; n++) {
  test.serial(`SIGKILL after step ${n} (${COPY_STEPS[n - 1]}) then resume: the migration completes, healthy on the new ensemble`, async (t) => {
    const f = t.context.fleet;
    const k = await killAfterStepThenResume(f, n);
    t.deepEqual(k.doneAtKill.slice(0, n), COPY_STEPS.slice(0, n));
    t.is(k.resume.code, 0, k.resume.err + k.resume.out.slice(-3000));
    t.regex(k.resume.out, /SUCCEEDED/);
    const entries = readJournal(`${f.stateDir}/${k.run}.jsonl`);
    t.deepEqual(entries.filter((e) => e.kind === 'step-done').map((e) => (e as { step: string }).step), COPY_STEPS);
    t.like(entries[entries.length - 1], { kind: 'run-end', outcome: 'succeeded' });
    const h = await health(f, k.to);
    t.is(h.verdict, 'healthy', h.problems.join('; '));
  });
}
