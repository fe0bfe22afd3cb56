/**
 * Rate limit for audit records that an unauthenticated peer can trigger at will (failed TLS
 * handshakes, dropped or evicted connections, denied calls). Without it a flood of such events
 * rotates the real audit trail out of journald or hits journald's per-unit rate limit, so the
 * `mutation` records an operator needs are lost. Per key: the first record goes out at once,
 * the rest within `intervalMs` are only counted, and one summary record (the latest event, with
 * `suppressed: n`) follows when the interval ends. `burst` records per interval go out as they
 * come, so ordinary rejections stay one record each.
 */
import type { AuditEvent, AuditLog } from './audit';

export class AuditThrottle {
  private readonly state = new Map<string, { last: number; sent: number; suppressed: number; latest?: AuditEvent; timer?: NodeJS.Timeout }>();

  constructor(
    private readonly audit: AuditLog,
    private readonly intervalMs = 1000,
    private readonly burst = 1,
  ) {}

  record(key: string, e: AuditEvent): void {
    const now = Date.now();
    let s = this.state.get(key);
    if (!s) {
      s = { last: 0, sent: 0, suppressed: 0 };
      this.state.set(key, s);
    }
    if (now - s.last >= this.intervalMs && !s.timer) {
      s.last = now;
      s.sent = 0;
    }
    if (s.sent < this.burst && !s.timer) {
      s.sent++;
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

  private flush(key: string, s: { last: number; sent: number; suppressed: number; latest?: AuditEvent; timer?: NodeJS.Timeout }): void {
    s.timer = undefined;
    if (!s.latest || s.suppressed === 0) return;
    const e = { ...s.latest, suppressed: s.suppressed, msg: `${s.latest.msg} (and ${s.suppressed} more like it in the last ${this.intervalMs} ms)` } as unknown as AuditEvent;
    s.suppressed = 0;
    s.latest = undefined;
    s.last = Date.now();
    s.sent = 1;
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
