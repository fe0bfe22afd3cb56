/**
 * The agent's Prometheus metrics (prom-client), all prefixed `zkmig_agent_`:
 * - rpc_requests_total{method,code} and rpc_duration_seconds{method,code}: every gRPC call the
 *   agent answered, with the status it answered (OK, PERMISSION_DENIED, UNAVAILABLE...);
 * - connections_rejected_total{reason}: connections closed before a call (TLS verification
 *   failures by OpenSSL reason, NO_CLIENT_CERTIFICATE, max_connections);
 * - service_state{service,state}: 1 for each managed service's current state, 0 for the others;
 * - managed_file_hash_age_seconds{path}: how long each managed file has had its current sha256, as
 *   this agent has seen it (a recent change that no zkmig run made is worth a look);
 *   managed_file_readable{path} is 0 when the file cannot be read;
 * - lifecycle_state{state}, info{version}, and prom-client's process metrics.
 * Service states and file hashes are read at scrape time (bounded by SCRAPE_TIMEOUT_MS), so a
 * scrape shows the host as it is, not as the last RPC saw it.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as client from 'prom-client';
import type { ManagedService } from '../context';
import type { Lifecycle } from '../lifecycle';
import type { ActiveState } from '../ops/service-types';

const STATES: readonly ActiveState[] = ['active', 'inactive', 'failed', 'activating', 'deactivating', 'reloading', 'unknown'];
const LIFECYCLE = ['starting', 'serving', 'draining', 'stopped'] as const;
/** A scrape must answer even when systemctl hangs. */
export const SCRAPE_TIMEOUT_MS = 5000;

export interface MetricsSources {
  services: Map<string, ManagedService>;
  files: readonly { path: string }[];
  lifecycle: Lifecycle;
  version: string;
  maxFileBytes: number;
  now?: () => number;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(undefined), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      () => {
        clearTimeout(t);
        resolve(undefined);
      },
    );
  });
}

export class AgentMetrics {
  readonly registry = new client.Registry();
  private readonly requests: client.Counter<'method' | 'code'>;
  private readonly duration: client.Histogram<'method' | 'code'>;
  private readonly rejected: client.Counter<'reason'>;
  /** path → the sha256 last seen and since when (ms). */
  private readonly seen = new Map<string, { sha: string; since: number }>();

  constructor(private readonly src: MetricsSources) {
    const registers = [this.registry];
    const now = src.now ?? Date.now;
    this.requests = new client.Counter({ name: 'zkmig_agent_rpc_requests_total', help: 'gRPC calls answered, by method and status code.', labelNames: ['method', 'code'], registers });
    this.duration = new client.Histogram({
      name: 'zkmig_agent_rpc_duration_seconds',
      help: 'gRPC call latency, by method and status code.',
      labelNames: ['method', 'code'],
      // Edits take milliseconds; service starts wait for their grace period (seconds to a minute).
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.rejected = new client.Counter({ name: 'zkmig_agent_connections_rejected_total', help: 'Connections closed before any call, by reason.', labelNames: ['reason'], registers });
    new client.Gauge({
      name: 'zkmig_agent_service_state',
      help: "Managed services' state: 1 for the current one (systemd ActiveState vocabulary).",
      labelNames: ['service', 'state'],
      registers,
      collect: async function (this: client.Gauge<'service' | 'state'>) {
        this.reset();
        await Promise.all(
          [...src.services.entries()].map(async ([name, m]) => {
            const st = await withTimeout(m.backend.status(), SCRAPE_TIMEOUT_MS);
            const cur: ActiveState = st?.state ?? 'unknown';
            for (const s of STATES) this.set({ service: name, state: s }, s === cur ? 1 : 0);
          }),
        );
      },
    });
    // Both file gauges come from one scan per scrape: prom-client starts every collect of a scrape
    // at once, so the second gauge joins the scan in flight; the next scrape reads the files again
    // (a time-based cache here once hid an edit made less than a second after a scrape).
    let scan: Promise<Map<string, number | null>> | undefined;
    const scanFiles = (): Promise<Map<string, number | null>> => {
      if (!scan) {
        scan = this.scanFiles(now);
        const done = (): void => void (scan = undefined);
        scan.then(done, done);
      }
      return scan;
    };
    new client.Gauge({
      name: 'zkmig_agent_managed_file_hash_age_seconds',
      help: 'Seconds each managed file has had its current sha256, as seen by this agent (first seen: since its mtime).',
      labelNames: ['path'],
      registers,
      collect: async function (this: client.Gauge<'path'>) {
        this.reset();
        for (const [p, age] of await scanFiles()) if (age !== null) this.set({ path: p }, age);
      },
    });
    new client.Gauge({
      name: 'zkmig_agent_managed_file_readable',
      help: 'Whether the agent can read each managed file (0: missing, unreadable or too large).',
      labelNames: ['path'],
      registers,
      collect: async function (this: client.Gauge<'path'>) {
        this.reset();
        for (const [p, age] of await scanFiles()) this.set({ path: p }, age === null ? 0 : 1);
      },
    });
    new client.Gauge({
      name: 'zkmig_agent_lifecycle_state',
      help: "The agent's lifecycle state: 1 for the current one.",
      labelNames: ['state'],
      registers,
      collect: function (this: client.Gauge<'state'>) {
        for (const s of LIFECYCLE) this.set({ state: s }, src.lifecycle.state === s ? 1 : 0);
      },
    });
    new client.Gauge({ name: 'zkmig_agent_info', help: 'The agent version.', labelNames: ['version'], registers }).set({ version: src.version }, 1);
    client.collectDefaultMetrics({ register: this.registry, prefix: 'zkmig_agent_' });
  }

  /** path → seconds its current hash has been seen, or null when it cannot be read. */
  private async scanFiles(now: () => number): Promise<Map<string, number | null>> {
    const out = new Map<string, number | null>();
    for (const f of this.src.files) {
      try {
        const st = await fs.promises.stat(f.path);
        if (st.size > this.src.maxFileBytes) throw new Error('larger than limits.maxFileBytes');
        const sha = crypto.createHash('sha256').update(await fs.promises.readFile(f.path)).digest('hex');
        const prev = this.seen.get(f.path);
        if (!prev) this.seen.set(f.path, { sha, since: Math.min(st.mtimeMs, now()) });
        else if (prev.sha !== sha) this.seen.set(f.path, { sha, since: now() });
        out.set(f.path, Math.max(0, (now() - this.seen.get(f.path)!.since) / 1000));
      } catch {
        out.set(f.path, null);
      }
    }
    return out;
  }

  /** One answered call: `code` is the gRPC status name (OK, PERMISSION_DENIED...). */
  rpc(method: string, code: string, seconds: number): void {
    this.requests.inc({ method, code });
    this.duration.observe({ method, code }, seconds);
  }

  connectionRejected(reason: string): void {
    this.rejected.inc({ reason });
  }
}
