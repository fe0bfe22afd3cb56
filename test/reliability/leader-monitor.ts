import { call, FORWARDED_HEADER } from '../../sim/common/rpc';

/**
 * Split-brain watch: every `everyMs`, ask each meta server at once whether it leads (a
 * `cluster_info` marked as already forwarded, so a follower answers ERR_FORWARD_TO_OTHERS instead
 * of passing it on). A meta that answers anything else holds the leader lock of the ensemble it
 * runs on. Two metas claiming in the same round is two leaders at once, whichever ensembles they
 * are on. Lock nodes in ZooKeeper are not used for this: a SIGKILLed meta's ephemeral node lingers
 * until its session expires, which is not a second leader.
 */

export interface LeaderSample {
  /** ms since the monitor started. */
  t: number;
  /** Meta addresses that claimed leadership in this round, with the ensemble they named if they answered. */
  leaders: { meta: string; zk?: string }[];
}

export interface LeaderWatch {
  rounds: number;
  /** Rounds in which more than one meta claimed leadership (kept: at most 20). */
  overlaps: LeaderSample[];
  /** Rounds with no leader at all (a migration has such windows by design). */
  leaderless: number;
  /** Distinct ensembles a leader named during the run. */
  ensembles: string[];
  /** Ensemble → when (epoch ms, as the round started) a leader was last seen serving from it. */
  lastServed: Record<string, number>;
}

export function watchLeaders(metas: string[], everyMs = 100): { peek: () => LeaderWatch; stop: () => Promise<LeaderWatch> } {
  const start = Date.now();
  const w: LeaderWatch = { rounds: 0, overlaps: [], leaderless: 0, ensembles: [], lastServed: {} };
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const began = Date.now();
      const s = await sampleLeaders(metas);
      w.rounds++;
      if (s.length === 0) w.leaderless++;
      if (s.length > 1 && w.overlaps.length < 20) w.overlaps.push({ t: Date.now() - start, leaders: s });
      for (const l of s) if (l.zk && !w.ensembles.includes(l.zk)) w.ensembles.push(l.zk);
      for (const l of s) if (l.zk) w.lastServed[l.zk] = began;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    peek: () => w,
    stop: async () => {
      stopped = true;
      await loop;
      return w;
    },
  };
}

/** One round: the metas that claim to lead right now. */
export async function sampleLeaders(metas: string[], timeoutMs = 1000): Promise<{ meta: string; zk?: string }[]> {
  const answers = await Promise.all(
    metas.map(async (meta) => {
      const r = await call(meta, 'cluster_info', {}, timeoutMs, { [FORWARDED_HEADER]: '1' });
      if (r.transport !== 'ERR_OK' || r.body.err === 'ERR_FORWARD_TO_OTHERS') return undefined;
      return typeof r.body.zookeeper_hosts === 'string' ? { meta, zk: r.body.zookeeper_hosts } : { meta };
    }),
  );
  return answers.filter((a): a is { meta: string; zk?: string } => a !== undefined);
}
