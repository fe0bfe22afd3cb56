/**
 * The agent process's states, reported by grpc.health.v1 and the facts:
 * - `starting`: listening, cleaning up after a previous run; calls get UNAVAILABLE, health NOT_SERVING.
 * - `serving`: calls are accepted; health SERVING.
 * - `draining`: SIGTERM received; no new connections, new calls get UNAVAILABLE (retryable
 *   elsewhere or later), calls in flight run to completion up to drainTimeoutMs; health NOT_SERVING.
 * - `stopped`: every connection closed; the process exits.
 */
import { IllegalStateError } from '../shared/errors';

export type AgentState = 'starting' | 'serving' | 'draining' | 'stopped';

const ALLOWED: Record<AgentState, readonly AgentState[]> = {
  starting: ['serving', 'draining', 'stopped'],
  serving: ['draining'],
  draining: ['stopped'],
  stopped: [],
};

export class Lifecycle {
  private current: AgentState = 'starting';
  private readonly listeners: ((s: AgentState) => void)[] = [];
  readonly startedAt = Date.now();

  get state(): AgentState {
    return this.current;
  }

  /** Move to `next`; throws IllegalStateError naming the current state when the move is not allowed. */
  to(next: AgentState): void {
    if (!ALLOWED[this.current].includes(next)) throw new IllegalStateError(this.current, `zkmig-agent cannot go to ${next}`);
    this.current = next;
    for (const l of this.listeners) l(next);
  }

  onChange(l: (s: AgentState) => void): void {
    this.listeners.push(l);
  }
}
