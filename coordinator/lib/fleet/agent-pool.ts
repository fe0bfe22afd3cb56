/**
 * Agent clients for the meta hosts of a resolved inventory, and the fan-out that runs one task per
 * host with bounded parallelism and turns each result into an Ansible-style outcome.
 *
 * TLS material comes from each host's resolved variables (agent_ca_file, agent_cert_file,
 * agent_key_file, agent_token_file, agent_server_name). Files are read once per path, so a fleet of
 * a hundred hosts sharing one CA and one client certificate reads three files, not three hundred.
 * A file that cannot be read fails that host (with a message naming the file), not the whole run.
 */
import * as fs from 'node:fs';
import { InvalidInputError } from '../../../shared/errors';
import { readPem } from '../../../shared/tls';
import { AgentClient, AgentClientOptions, AgentDeadlines } from '../agent-client';
import type { RetryOptions } from '../agent-retry';
import type { MetaHost, PegasusCluster } from '../inventory';
import { classifyError } from './classify';
import { FAN_OUT_DEFAULTS, mapLimit } from './fan-out';
import { HostOutcome, HostRef } from './types';

export interface AgentPoolOptions {
  /** Hosts worked on at once (Ansible's forks). @default 32 */
  concurrency?: number;
  /** Per-call deadlines. @default the agent client's (reads 10 s, edits 30 s, service control 180 s) */
  deadlines?: Partial<AgentDeadlines>;
  /** Retry policy of reads and check-mode calls. @default the agent client's DEFAULT_RETRY */
  retry?: Partial<RetryOptions>;
  /** How this coordinator names itself in the agents' audit logs. @default `${user}@${hostname}` */
  coordinator?: string;
  /**
   * Keep one client (one TLS connection) per host for the life of the pool. A migration, which
   * talks to the same hosts many times, wants this; a one-shot fan-out over a large fleet (audit)
   * sets it to false so that each connection is closed as soon as its host is done and memory
   * does not grow with the number of hosts.
   * @default true
   */
  reuse?: boolean;
  /** Builds a client; tests inject one. @default new AgentClient(...) from the host's TLS settings */
  connect?: (opts: AgentClientOptions) => AgentClient;
}

/** One host of one cluster, as the pool runs tasks on it. */
export interface HostTarget {
  cluster: string;
  host: MetaHost;
}

export interface RunOptions<T> {
  /** Whether a successful result counts as `changed`. @default never */
  changed?: (value: T) => boolean;
  /** Called after each host settles (progress on a terminal). */
  onProgress?: (done: number, total: number) => void;
}

/** Every host of the given clusters, optionally only the named ones (inventory host names). */
export function targetsOf(clusters: readonly PegasusCluster[], hosts?: readonly string[]): HostTarget[] {
  const out: HostTarget[] = [];
  for (const c of clusters) for (const h of c.metas) if (!hosts || hosts.includes(h.name)) out.push({ cluster: c.name, host: h });
  return out;
}

export function hostRef(t: HostTarget): HostRef {
  return { cluster: t.cluster, host: t.host.name, agent: t.host.agentAddress };
}

export class AgentPool {
  readonly concurrency: number;
  private readonly clients = new Map<string, AgentClient>();
  private readonly files = new Map<string, Buffer>();
  private readonly tokens = new Map<string, string>();
  private closed = false;

  constructor(private readonly opts: AgentPoolOptions = {}) {
    this.concurrency = opts.concurrency ?? FAN_OUT_DEFAULTS.limit;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) throw new InvalidInputError(`agent concurrency must be a positive integer, got ${opts.concurrency}`);
  }

  /** The client for `host` (cached when `reuse`). Throws InvalidInputError when a TLS file cannot be read. */
  client(host: MetaHost): AgentClient {
    if (this.closed) throw new InvalidInputError('the agent pool is closed');
    const key = `${host.agentAddress}|${host.tls.serverName}`;
    const cached = this.clients.get(key);
    if (cached) return cached;
    const c = this.build(host);
    if (this.opts.reuse !== false) this.clients.set(key, c);
    return c;
  }

  /** Run `fn` with the host's client; closes the client afterwards unless the pool reuses clients. */
  async withClient<T>(host: MetaHost, fn: (client: AgentClient) => Promise<T>): Promise<T> {
    const c = this.client(host);
    try {
      return await fn(c);
    } finally {
      if (this.opts.reuse === false) c.close();
    }
  }

  /**
   * One task per target, at most `concurrency` at once, across clusters. Never rejects: every
   * host gets an outcome, in the order of `targets`.
   */
  async run<T>(targets: readonly HostTarget[], fn: (client: AgentClient, target: HostTarget) => Promise<T>, o: RunOptions<T> = {}): Promise<HostOutcome<T>[]> {
    const settled = await mapLimit(
      targets,
      this.concurrency,
      async (t) => {
        const started = Date.now();
        // A reused client's counter spans earlier tasks; only this task's share is the host's.
        let retries = 0;
        const counted = async (c: AgentClient): Promise<T> => {
          const before = c.retries;
          try {
            return await fn(c, t);
          } finally {
            retries = c.retries - before;
          }
        };
        try {
          const value = await this.withClient(t.host, counted);
          return { ...hostRef(t), status: o.changed?.(value) ? 'changed' : 'ok', value, durationMs: Date.now() - started, retries } as HostOutcome<T>;
        } catch (e) {
          return { ...hostRef(t), ...classifyError(e), durationMs: Date.now() - started, retries } as HostOutcome<T>;
        }
      },
      o.onProgress,
    );
    // The task above never throws; a rejection here would be a bug in it, reported as a failure.
    return settled.map((s, i) => (s.status === 'fulfilled' ? s.value : { ...hostRef(targets[i]!), ...classifyError(s.reason), durationMs: 0, retries: 0 }));
  }

  /** Close every cached connection. */
  close(): void {
    this.closed = true;
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }

  private build(host: MetaHost): AgentClient {
    const t = host.tls;
    const opts: AgentClientOptions = {
      address: host.agentAddress,
      tls: {
        ca: this.pem(t.caFile, `agent_ca_file of host "${host.name}"`),
        cert: this.pem(t.certFile, `agent_cert_file of host "${host.name}"`),
        key: this.pem(t.keyFile, `agent_key_file of host "${host.name}"`),
        serverName: t.serverName,
      },
      ...(t.tokenFile !== undefined ? { token: this.token(t.tokenFile, host.name) } : {}),
      ...(this.opts.deadlines ? { deadlines: this.opts.deadlines } : {}),
      ...(this.opts.retry ? { retry: this.opts.retry } : {}),
      ...(this.opts.coordinator ? { coordinator: this.opts.coordinator } : {}),
    };
    return (this.opts.connect ?? ((o) => new AgentClient(o)))(opts);
  }

  private pem(file: string, what: string): Buffer {
    let b = this.files.get(file);
    if (!b) {
      b = readPem(file, what);
      this.files.set(file, b);
    }
    return b;
  }

  private token(file: string, host: string): string {
    let tok = this.tokens.get(file);
    if (tok === undefined) {
      try {
        tok = fs.readFileSync(file, 'utf8').trim();
      } catch (e) {
        throw new InvalidInputError(`agent_token_file of host "${host}": cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
      }
      if (tok === '') throw new InvalidInputError(`agent_token_file of host "${host}": ${file} is empty`);
      this.tokens.set(file, tok);
    }
    return tok;
  }
}
