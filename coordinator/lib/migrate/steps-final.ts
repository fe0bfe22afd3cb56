import { formatZk } from '../health';
import type { RunEnv } from './env';
import type { StepDef } from './runner';
import { factsOf, requireHealthy } from './steps-common';
import { partitionsOf } from './steps-trust';
import { sizedTimeoutMs } from './timing';

/**
 * The last step of both methods: the cluster is healthy on the new ensemble (leader answers,
 * zookeeper_hosts/root as expected, every node ALIVE, every table fully healthy, level steady or
 * lively), and the meta level the operator had before is back (a restart starts every meta at
 * meta_function_level_on_start, docs/pegasus-internals.md §6).
 */
export function finalHealthStep(env: RunEnv): StepDef {
  return {
    name: 'final-health',
    title: 'Final health check on the new ensemble',
    run: async (ctx) => {
      const f = factsOf(ctx);
      const zk = { hosts: f.target, root: f.root };
      if (env.check) {
        ctx.progress(`(check mode) would require the cluster healthy on ${formatZk(zk)}`);
        return {};
      }
      await requireHealthy(env, ctx, zk, sizedTimeoutMs(env.params.healthTimeoutMs, partitionsOf(f)));
      const stored = await env.shell.getMetaLevel();
      if (stored !== f.level) {
        const r = await env.shell.setMetaLevel(f.level);
        ctx.hostResult(f.leader, 'changed', `meta level ${f.level} restored (was ${r.oldLevel})`);
      }
      return { summary: `healthy on ${formatZk(zk)}, meta level ${f.level}` };
    },
  };
}
