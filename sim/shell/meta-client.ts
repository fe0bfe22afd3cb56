import { TIMEOUT_HEADER, call, sleep } from '../common/rpc';

/**
 * The ddl client's view of the meta group (docs/pegasus-internals.md §4.9): try the metas in turn; a follower
 * forwards to the leader it knows or answers ERR_FORWARD_TO_OTHERS, and the client moves on; an
 * unreachable meta is skipped. When no meta gives a real answer before the RPC timeout, the result is
 * ERR_TIMEOUT, as the rDSN client reports it (with `transport_failed: true`, the rDSN client's "no
 * response" case).
 */
export class MetaClient {
  private current = 0;

  constructor(
    readonly metas: string[],
    /** `[task..default] rpc_timeout_milliseconds` of the shell config. @default 10000 */
    readonly timeoutMs = 10000,
  ) {}

  async request(method: string, params: unknown, timeoutMs = this.timeoutMs): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (let round = 0; ; round++) {
      for (let k = 0; k < this.metas.length; k++) {
        const left = deadline - Date.now();
        if (left <= 0) return { err: 'ERR_TIMEOUT', transport_failed: true };
        const i = (this.current + k) % this.metas.length;
        const r = await call(this.metas[i]!, method, params, left, { [TIMEOUT_HEADER]: String(left) });
        if (r.transport === 'ERR_TIMEOUT') return { err: 'ERR_TIMEOUT', transport_failed: true };
        if (r.transport !== 'ERR_OK' || r.body.err === 'ERR_FORWARD_TO_OTHERS') continue;
        this.current = i;
        return r.body;
      }
      // Every meta refused or redirected: back off a little and go round again until the deadline.
      await sleep(Math.min(200, Math.max(0, deadline - Date.now())));
    }
  }
}
