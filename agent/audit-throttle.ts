/**
 * Rate limit for audit records that an unauthenticated peer can trigger at will (failed TLS
 * handshakes, dropped or evicted connections, denied calls). Without it a flood of such events
 * rotates the real audit trail out of journald or hits journald's per-unit rate limit, so the
 * `mutation` records an operator needs are lost. Per key: the first record goes out at once,
 * the rest within `intervalMs` are only counted, and one summary record (the latest event, with
 * `suppressed: n`) follows when the interval ends.
 */
import type { AuditEvent, AuditLog } from './audit';

export class AuditThrottle {
  private readonly state = new Map<string, { last: number; suppressed: number; latest?: AuditEvent; timer?: NodeJS.Timeout }>();

  constructor(
    private readonly audit: AuditLog,
    private readonly intervalMs = 1000,
  ) {}

  record(key: string, e: AuditEvent): void {
    const now = Date.now();
    let s = this.state.get(key);
    if (!s) {
      s = { last: 0, suppressed: 0 };
      this.state.set(key, s);
    }
    if (now - s.last >= this.intervalMs && !s.timer) {
      s.last = now;
      this.audit.record(e);
      return;
    }
    s.suppressed++;
    s.latest = e;
    if (!s.timer) {
      const st = s;
      st.timer = setTimeout(() => this.flush(key, st), Math.max(0, st.last + this.intervalMs - now));
      st.timer.unref();
    }
  }

  private flush(key: string, s: { last: number; suppressed: number; latest?: AuditEvent; timer?: NodeJS.Timeout }): void {
    s.timer = undefined;
    if (!s.latest || s.suppressed === 0) return;
    const e = { ...s.latest, suppressed: s.suppressed, msg: `${s.latest.msg} (and ${s.suppressed} more like it in the last ${this.intervalMs} ms)` } as unknown as AuditEvent;
    s.suppressed = 0;
    s.latest = undefined;
    s.last = Date.now();
    this.audit.record(e);
  }

  /** Emit pending summaries now (at shutdown). */
  flushAll(): void {
    for (const [k, s] of this.state) {
      if (s.timer) clearTimeout(s.timer);
      this.flush(k, s);
    }
  }
}
