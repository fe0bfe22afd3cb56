/**
 * Server bootstrap and lifecycle: build the context, register the services, listen, clean up after
 * a previous run, serve; on stop, drain (no new connections, new calls UNAVAILABLE, calls in flight
 * finish up to drainTimeoutMs), then close everything. Service logic lives in services/ and ops/.
 */
import * as grpc from '@grpc/grpc-js';
import * as fs from 'node:fs';
import { InvalidInputError } from '../shared/errors';
import { AuditLog } from './audit';
import type { ResolvedConfig } from './config';
import { AgentContext, buildContext } from './context';
import type { Exec } from './exec';
import { HealthService } from './health';
import { Lifecycle } from './lifecycle';
import { createDenier } from './denier';
import { Listener } from './listener';
import { AgentMetrics } from './metrics/registry';
import { MetricsServer } from './metrics/server';
import { removeStaleTemps } from './ops/atomic-write';
import { Inflight } from './rpc';
import { ConfigService } from './services/config-service';
import { FactsService } from './services/facts-service';
import { ServiceControlService } from './services/service-control-service';

export interface AgentServerOptions {
  audit: AuditLog;
  /** Injected in tests; the real one runs host commands. */
  exec?: Exec;
}

/** The bearer token from auth.tokenFile, or null when there is none; an empty file is an error. */
function readToken(config: ResolvedConfig): Buffer | null {
  if (!config.tokenFile) return null;
  const token = Buffer.from(fs.readFileSync(config.tokenFile, 'utf8').trim(), 'utf8');
  if (token.length === 0) throw new InvalidInputError(`agent config ${config.source}: auth.tokenFile: ${config.tokenFile} is empty`);
  return token;
}

export class AgentServer {
  readonly lifecycle = new Lifecycle();
  private readonly grpcServer: grpc.Server;
  private readonly denier: grpc.Server | undefined;
  private readonly listener: Listener;
  private readonly inflight = new Inflight();
  /** tls.deniedSerials, shared by the listener (new connections) and every call (open ones). */
  private readonly deniedSerials = new Set<string>();
  readonly ctx: AgentContext;
  private stopping: Promise<void> | undefined;
  readonly metrics: AgentMetrics;
  private metricsServer: MetricsServer | undefined;
  /** The bound address (port resolved when the config said 0). */
  address = { host: '', port: 0 };

  private constructor(
    readonly config: ResolvedConfig,
    private readonly opts: AgentServerOptions,
  ) {
    const token = readToken(config);
    const metricsRef: { m?: AgentMetrics } = {};
    this.ctx = buildContext(
      config,
      {
        audit: opts.audit,
        lifecycle: this.lifecycle,
        inflight: this.inflight,
        token,
        allowedClients: config.tls?.allowedClients ?? [],
        deniedSerials: this.deniedSerials,
        insecure: config.insecure,
        metrics: { rpc: (method, code, s) => metricsRef.m?.rpc(method, code, s) },
      },
      this.lifecycle,
      opts.exec,
    );
    // Counted even when no endpoint is configured: cheap, and tests read the registry directly.
    this.metrics = metricsRef.m = new AgentMetrics({ services: this.ctx.services, files: config.files, lifecycle: this.lifecycle, version: this.ctx.version, maxFileBytes: config.limits.maxFileBytes });
    this.grpcServer = new grpc.Server({
      'grpc.max_receive_message_length': config.limits.maxRequestBytes,
      // Responses carry whole config files (ReadConfig) and their diffs (EditConfig).
      'grpc.max_send_message_length': config.limits.maxFileBytes * 3 + (1 << 20),
      // Bounds on what one connection can make the agent hold (grpc-js defaults are unlimited
      // streams, unlimited session memory, ~24-day idle timers): a client the operator did not
      // authorise must not be able to grow the agent's memory on a meta host.
      'grpc.max_concurrent_streams': 32,
      'grpc-node.max_session_memory': 16, // MB of buffered frames per connection (HTTP/2 maxSessionMemory)
      'grpc.max_connection_idle_ms': 10 * 60 * 1000,
      'grpc.keepalive_time_ms': 60 * 1000,
      'grpc.keepalive_timeout_ms': 20 * 1000,
    });
    const health = new HealthService(this.lifecycle, this.deniedSerials);
    health.addToServer(this.grpcServer);
    new FactsService(this.ctx).addToServer(this.grpcServer);
    new ConfigService(this.ctx).addToServer(this.grpcServer);
    new ServiceControlService(this.ctx).addToServer(this.grpcServer);
    const allowed = config.tls?.allowedClients ?? [];
    this.denier = config.tls && allowed.length > 0 ? createDenier(opts.audit, allowed, health.handlers(), (method) => this.metrics.rpc(method, 'PERMISSION_DENIED', 0)) : undefined;
    for (const s of config.tls?.deniedSerials ?? []) this.deniedSerials.add(s);
    this.listener = new Listener(this.grpcServer, { tls: config.tls, maxConnections: config.limits.maxConnections, allowedClients: allowed, deniedSerials: this.deniedSerials, unlisted: this.denier, audit: opts.audit, onRejected: (reason) => this.metrics.connectionRejected(reason) });
  }

  /** Listen and go to `serving`. Throws (and leaves nothing open) when the port cannot be bound. */
  static async start(config: ResolvedConfig, opts: AgentServerOptions): Promise<AgentServer> {
    const s = new AgentServer(config, opts);
    s.address = await s.listener.listen(config.listen.host, config.listen.port);
    const where = `${s.address.host.includes(':') ? `[${s.address.host}]` : s.address.host}:${s.address.port}`;
    opts.audit.record({ event: 'lifecycle', state: 'starting', msg: `listening on ${where}${config.insecure ? ' WITHOUT TLS (--insecure, loopback only)' : ' with mutual TLS'}`, address: where, pid: process.pid });
    for (const f of config.files) {
      for (const p of removeStaleTemps(f.path)) opts.audit.record({ event: 'lifecycle', state: 'starting', msg: `removed ${p}, left by an agent that was killed mid-write (the file itself is intact)` });
    }
    if (config.metrics) {
      try {
        s.metricsServer = await MetricsServer.start(s.metrics, config.metrics);
      } catch (e) {
        await s.listener.stopAccepting();
        s.listener.destroy();
        throw e;
      }
      const m = s.metricsServer.address;
      opts.audit.record({ event: 'lifecycle', state: 'starting', msg: `metrics on ${config.metrics.tls ? 'https' : 'http'}://${m.host.includes(':') ? `[${m.host}]` : m.host}:${m.port}/metrics`, address: `${m.host}:${m.port}` });
    }
    s.lifecycle.to('serving');
    opts.audit.record({ event: 'lifecycle', state: 'serving', msg: `serving ${config.files.length} file(s) and ${config.services.length} service(s)`, address: where, pid: process.pid });
    return s;
  }

  /**
   * SIGHUP: apply what can change without a restart from the re-read config `next`: the bearer
   * token (the file named by auth.tokenFile, re-read), tls.deniedSerials, and the TLS certificate
   * files. All or nothing: anything unreadable throws before a part is applied, and the old
   * settings stay. Other changes (files, services, listen, allowedClients) need a restart; they
   * are named in the audit record.
   */
  reload(next: ResolvedConfig): void {
    const token = readToken(next);
    if ((token === null) !== (this.ctx.rpc.token === null)) {
      throw new InvalidInputError(`auth.tokenFile was ${token ? 'added' : 'removed'}; turning the token check on or off needs a restart`);
    }
    this.listener.reloadTls(next.tls);
    this.ctx.rpc.token = token;
    this.deniedSerials.clear();
    for (const s of next.tls?.deniedSerials ?? []) this.deniedSerials.add(s);
    const restartOnly = (['listen', 'files', 'services', 'stateDir', 'limits', 'metrics'] as const).filter((k) => JSON.stringify(next[k]) !== JSON.stringify(this.config[k]));
    if (JSON.stringify(next.tls?.allowedClients ?? []) !== JSON.stringify(this.config.tls?.allowedClients ?? [])) restartOnly.push('tls.allowedClients' as never);
    this.opts.audit.record({
      event: 'lifecycle',
      state: this.lifecycle.state,
      msg: `reloaded TLS certificate files, the bearer token and tls.deniedSerials (${this.deniedSerials.size} serial(s))${restartOnly.length ? `; changed ${restartOnly.join(', ')} take(s) effect only after a restart` : ''}`,
    });
  }

  /** Drain and stop; idempotent (a second call returns the same promise). */
  stop(reason: string): Promise<void> {
    if (!this.stopping) this.stopping = this.drain(reason);
    return this.stopping;
  }

  private async drain(reason: string): Promise<void> {
    const audit = this.opts.audit;
    this.lifecycle.to('draining');
    audit.record({ event: 'lifecycle', state: 'draining', msg: `${reason}: draining ${this.inflight.count} call(s) in flight (up to ${this.config.drainTimeoutMs} ms)` });
    await this.listener.stopAccepting();
    const clean = await this.inflight.idle(this.config.drainTimeoutMs);
    this.lifecycle.to('stopped');
    // GOAWAY on every connection; answers already handed to grpc-js are still delivered. Whatever
    // is still open after a short grace (a client that ignores GOAWAY) is cut.
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.grpcServer.forceShutdown();
        resolve();
      }, 2000);
      this.grpcServer.tryShutdown(() => {
        clearTimeout(t);
        resolve();
      });
    });
    this.denier?.forceShutdown();
    this.listener.destroy();
    await this.metricsServer?.close();
    audit.record({ event: 'lifecycle', state: 'stopped', msg: clean ? 'stopped cleanly' : `stopped with ${this.inflight.count} call(s) still running after drainTimeoutMs` });
  }
}
