/**
 * What a fan-out across meta hosts returns: one outcome per host, in the vocabulary of an Ansible
 * recap, so an operator reads zkmig's results the way they read a playbook run.
 */

/**
 * - `ok`: the call succeeded and changed nothing;
 * - `changed`: the call succeeded and changed something (or, in check mode, would have);
 * - `failed`: the agent answered with an error (bad request, file missing, precondition);
 * - `unreachable`: no answer: connection refused, TLS handshake failed, deadline exceeded, agent
 *   draining (gRPC UNAVAILABLE / DEADLINE_EXCEEDED after the retries the call allows).
 */
export type HostStatus = 'ok' | 'changed' | 'failed' | 'unreachable';

/** One meta host as a fan-out sees it. */
export interface HostRef {
  /** Cluster (inventory group) name. */
  cluster: string;
  /** Inventory host name. */
  host: string;
  /** The agent's `host:port`. */
  agent: string;
}

/** Why a host failed or was unreachable, without the stack: safe to print and to serialise. */
export interface HostError {
  /** zkmig's error code (shared/errors.ts ErrorCode), e.g. `UNAVAILABLE`, `PRECONDITION`. */
  code: string;
  message: string;
  /** The gRPC status name when the error came over the wire, e.g. `FAILED_PRECONDITION`. */
  grpcStatus?: string;
}

export interface HostOutcome<T> extends HostRef {
  status: HostStatus;
  /** Set when status is ok or changed. */
  value?: T;
  /** Set when status is failed or unreachable. */
  error?: HostError;
  durationMs: number;
  /** Agent calls of this host's task that needed more than one attempt, counted per extra attempt (0: every call succeeded first time). */
  retries: number;
}
