import { sameZk, ZkView } from '../health';
import type { MetaHost } from '../inventory';
import type { ClusterInfo } from '../shell/types';
import type { RunEnv } from './env';
import { portAnswers } from './stay-stopped';

/**
 * The new leader, watched from outside while its agent starts it. The agent's start returns only
 * after the service's grace period (the agent's `graceMs`, 5 s by default: it proves the process
 * did not die at once), but the write freeze ends when the leader serves from the new ensemble,
 * which a meta with a small tree does well within that grace. Meanwhile the coordinator polls:
 *   - the meta port, until it answers: the process is up (Pegasus binds its port before it
 *     touches ZooKeeper, src/runtime/service_engine.cpp service_node::start), so the time to it is
 *     the start, and what follows is the meta's own work (lock, tree load);
 *   - then cluster_info through the shell, until the leader names the new ensemble: it serves.
 * The first serving answer is reported at once (`onServing`: the point of no return and the end of
 * the freeze are journaled then, whatever the agent's start says after it).
 *
 * Not the meta's HTTP `/meta/cluster`, though it would cost no process: it answers as soon as the
 * meta holds the leader lock (src/meta/meta_http_service.cpp, redirect_if_not_primary asks only
 * the failure detector), that is before the tree load, and would end the freeze too early. The
 * cluster_info RPC the shell sends answers ERR_SERVICE_NOT_ACTIVE until the load is done and the
 * service started (src/meta/meta_service.h, check_leader_status: `!_started`).
 */
export interface LeaderStartTimes {
  /** When the meta port first answered (epoch ms). */
  upAt?: number;
  /** When cluster_info first showed the leader serving from the new ensemble (epoch ms). */
  servingAt?: number;
}

export interface LeaderStartWatch {
  /** Stop polling (a shell call in flight is left to finish on its own) and say what was seen. */
  stop(): Promise<LeaderStartTimes>;
}

export function watchLeaderStart(env: RunEnv, leader: MetaHost, zk: ZkView, onServing: (info: ClusterInfo, at: number) => void, o: { portPollMs?: number; shellPollMs?: number } = {}): LeaderStartWatch {
  const times: LeaderStartTimes = {};
  let stopped = false;
  let wake: () => void = () => undefined;
  const halted = new Promise<void>((resolve) => (wake = resolve));
  const pause = (ms: number): Promise<void> => new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    void halted.then(() => (clearTimeout(t), resolve()));
  });
  const loop = (async () => {
    while (!stopped && times.upAt === undefined) {
      if (await portAnswers(leader.address, leader.metaPort, 500)) times.upAt = Date.now();
      else await pause(o.portPollMs ?? 50);
    }
    // Each answer takes a shell process's start and a round trip: the asks overlap (a new one every
    // shellPollMs, at most 3 in flight) so that the first serving answer comes one shell call after
    // the leader serves, not up to two. A call in flight when the agent's start returns is not waited
    // for (its own timeout ends it); wait-leader asks again.
    let inFlight = 0;
    const ask = async (): Promise<void> => {
      inFlight++;
      try {
        const info = await env.shell.clusterInfo().catch(() => undefined);
        if (!stopped && times.servingAt === undefined && info && sameZk({ hosts: info.zookeeperHosts, root: info.zookeeperRoot }, zk)) {
          times.servingAt = Date.now();
          onServing(info, times.servingAt);
          wake();
        }
      } finally {
        inFlight--;
      }
    };
    while (!stopped && times.servingAt === undefined) {
      if (inFlight < 3) void ask();
      await pause(o.shellPollMs ?? 100);
    }
  })();
  return {
    async stop() {
      stopped = true;
      wake();
      await loop;
      return { ...times };
    },
  };
}
