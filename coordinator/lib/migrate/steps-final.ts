import { formatZk } from '../health';
import { step } from './step-types';
import { factsOf, noHosts, requireHealthy } from './steps-common';
import { partitionsOf } from './steps-trust';
import { sizedTimeoutMs } from './timing';

/**
 * The last step of both methods: the cluster is healthy on the new ensemble (leader answers,
 * zookeeper_hosts/root as expected, every node ALIVE, every table fully healthy, level steady or
 * lively), and the meta level the operator had before is back (a restart starts every meta at
 * meta_function_level_on_start, docs/pegasus-internals.md §6).
 */
export const FINAL_HEALTH_STEP = step({
  name: 'final-health',
  title: () => 'Final health check',
  hosts: noHosts,
  detail: (_p, f) => `meta level back to ${f.level}`,
  run: async (env, ctx) => {
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
});
