import * as grpc from '@grpc/grpc-js';
import { AgentRpcError, findCause, ZkError } from '../../../shared/errors';

/**
 * Which step failures are worth running the step again in the same coordinator, and how long to
 * wait. Steps are idempotent (resume already runs the step in flight again), so a step that failed
 * only because a peer was briefly gone can simply run again once the peer is back, instead of
 * rolling the whole migration back. The fault matrix (test/reliability) showed why: an agent that
 * systemd restarts in 2 s (Restart=on-failure) or one ZooKeeper member restarting in a 3-member
 * quorum rolled the migration back, and the rollback itself failed on the same missing agent,
 * leaving the cluster frozen until an operator ran `zkmig resume`.
 *
 * Only failures that say nothing about the cluster's state count: an agent that could not be
 * reached (gRPC UNAVAILABLE: refused, dropped, restarting) and a ZooKeeper connection lost or
 * moving to another member (CONNECTION_LOSS, -4). A failed start, a verify mismatch, a Pegasus
 * shell error or a timeout of the cluster itself are answers, and are never retried here.
 */

/** Waits before the 2nd, 3rd and 4th attempt: covers RestartSec=2 plus the agent's start-up, and a ZooKeeper election. @default [1000, 2000, 4000] */
export const TRANSIENT_RETRY_DELAYS_MS: readonly number[] = [1000, 2000, 4000];

const CONNECTION_LOSS = -4;

export function isTransient(err: unknown): boolean {
  return (
    findCause(err, (e) => {
      if (e instanceof AgentRpcError && e.grpcCode === grpc.status.UNAVAILABLE) return true;
      if (e instanceof ZkError && e.zkCode === CONNECTION_LOSS) return true;
      // The copy engine's raw node-zookeeper-client Exception (not wrapped): { name: 'CONNECTION_LOSS', code: -4 }.
      const raw = e as { name?: unknown; code?: unknown; getCode?: unknown; grpcStatus?: unknown };
      // A fleet fan-out HostError (fleet/types.ts) keeps the agent call's gRPC status by name.
      if (raw.grpcStatus === 'UNAVAILABLE') return true;
      return raw.name === 'CONNECTION_LOSS' && raw.code === CONNECTION_LOSS && typeof raw.getCode === 'function';
    }) !== undefined
  );
}

/**
 * Past the point of no return there is no way back to try instead: the same transient failures
 * are retried for longer (about a minute in all), covering a ZooKeeper member or an agent that
 * takes a while to come back.
 */
export const ROLL_FORWARD_RETRY_DELAYS_MS: readonly number[] = [1000, 2000, 4000, 8000, 15000, 30000];
