import { toAppError } from '../../../shared/errors';
import { formatZk } from '../health';
import type { RunEnv } from './env';
import type { Emit } from './events';
import { Journal, replay } from './journal';
import { controlMeta } from './meta-ops';
import { runSteps, StepDef } from './runner';
import type { StepResults } from './step-results';
import { editConfigs, factsOf, followersOf, leaderOf, sleep } from './steps-common';
import { ROLL_FORWARD_RETRY_DELAYS_MS } from './transient';

/**
 * Past the point of no return a failed step is not a reason to go back (no-return.ts): the run
 * repairs what should be true on the new ensemble (every config names it, recovery mode is off,
 * every meta runs, the leader first) and runs the remaining steps again, a few rounds with
 * growing pauses. If it still cannot finish it stops with the cluster on the new ensemble, never
 * half on each, and says what is left.
 */

export const ROLL_FORWARD_PREFIX = 'roll-forward-';
/** Pauses before each round. */
export const ROLL_FORWARD_PAUSES_MS: readonly number[] = [2000, 10000, 30000];

function repairStep(env: RunEnv, name: string): StepDef {
  return {
    name,
    title: 'Roll forward: every config names the new ensemble, recovery mode off, every meta running (leader first)',
    run: async (ctx) => {
      const f = factsOf(ctx);
      const lead = leaderOf(env, f);
      await editConfigs(env, ctx, env.cluster.metas, [{ section: 'zookeeper', key: 'hosts_list', value: f.target }], f);
      if (env.params.method === 'recover') await editConfigs(env, ctx, [lead], [{ section: 'meta_server', key: 'recover_from_replica_server', value: 'false' }], f);
      const failed: string[] = [];
      for (const h of [lead, ...followersOf(env, f)]) {
        try {
          await controlMeta(env, ctx, h, 'start');
        } catch (e) {
          // One meta that will not start does not stop the others; the steps that follow judge.
          failed.push(`${h.name} (${toAppError(e).message.split('\n')[0]})`);
          ctx.warn(`roll forward: ${h.name} did not start: ${toAppError(e).message.split('\n')[0]}`);
        }
      }
      return { summary: `configs name ${formatZk({ hosts: f.target, root: f.root })}; ${failed.length ? `not started: ${failed.join(', ')}` : 'every meta runs'}` };
    },
  };
}

/** Repair and finish `steps` (the method's steps after the preflight); throws the last error when every round failed. */
export async function rollForward(env: RunEnv, steps: StepDef[], emit: Emit, results: StepResults, first: unknown): Promise<void> {
  const journal = env.journal!;
  let last: unknown = first;
  for (let round = 0; round < ROLL_FORWARD_PAUSES_MS.length; round++) {
    const pause = ROLL_FORWARD_PAUSES_MS[round]!;
    emit({ kind: 'warning', message: `past the point of no return: rolling forward, not back (round ${round + 1} of ${ROLL_FORWARD_PAUSES_MS.length}, in ${pause / 1000} s) after: ${toAppError(last).message.split('\n')[0]}` });
    await sleep(pause);
    const entries = Journal.read(journal.file);
    const n = entries.filter((e) => e.kind === 'step-intent' && e.step.startsWith(ROLL_FORWARD_PREFIX)).map((e) => (e as { step: string }).step);
    const name = `${ROLL_FORWARD_PREFIX}${new Set(n).size + 1}`;
    try {
      await runSteps([repairStep(env, name), ...steps], journal, replay(Journal.read(journal.file)), emit, results, { retryDelaysMs: ROLL_FORWARD_RETRY_DELAYS_MS });
      return;
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

/** The steps not done yet, for the report of a run that stopped past the point of no return. */
export function stepsLeft(file: string, steps: readonly StepDef[]): string[] {
  const done = new Set(replay(Journal.read(file)).done.map((d) => d.step));
  return steps.filter((s) => !done.has(s.name)).map((s) => s.name);
}
