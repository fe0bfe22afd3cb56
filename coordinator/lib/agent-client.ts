/**
 * The coordinator's typed client for one zkmig-agent. Every call carries the common header
 * (request id, check mode, coordinator identity), the bearer token when configured, and a
 * deadline; reads and check-mode calls are retried per agent-retry.ts, mutations never. Failures
 * come back as AgentRpcError whose `code` is zkmig's (so `isPrecondition(err)` works), with the
 * gRPC status in `grpcCode`. A service that did not reach its state throws ServiceFailedError
 * unless the caller asks for the raw result.
 */
import * as grpc from '@grpc/grpc-js';
import { debug } from '../../shared/debug';
import * as crypto from 'node:crypto';
import * as os from 'node:os';
import { AgentRpcError, ErrorCode, ServiceFailedError, UsageError } from '../../shared/errors';
import type { ConfigChangeResponse__Output } from '../../shared/generated/zkmig/agent/v1/ConfigChangeResponse';
import type { ConfigServiceClient } from '../../shared/generated/zkmig/agent/v1/ConfigService';
import type { ControlServiceResponse__Output } from '../../shared/generated/zkmig/agent/v1/ControlServiceResponse';
import type { FactsServiceClient } from '../../shared/generated/zkmig/agent/v1/FactsService';
import type { GetFactsResponse__Output } from '../../shared/generated/zkmig/agent/v1/GetFactsResponse';
import type { ListBackupsResponse__Output } from '../../shared/generated/zkmig/agent/v1/ListBackupsResponse';
import type { ReadConfigResponse__Output } from '../../shared/generated/zkmig/agent/v1/ReadConfigResponse';
import type { ServiceControlServiceClient } from '../../shared/generated/zkmig/agent/v1/ServiceControlService';
import type { ServiceStatus__Output } from '../../shared/generated/zkmig/agent/v1/ServiceStatus';
import type { HealthClient } from '../../shared/generated/grpc/health/v1/Health';
import type { IniEdit } from '../../shared/ini';
import { loadProtos } from '../../shared/proto';
import { isLoopback, parseHostPort, readPem } from '../../shared/tls';
import { DEFAULT_RETRY, RetryOptions, withRetry } from './agent-retry';

export interface AgentTlsOptions {
  /** CA that signed the agents' certificates: a PEM buffer or a file path. */
  ca: Buffer | string;
  /** The coordinator's client certificate and key. */
  cert: Buffer | string;
  key: Buffer | string;
  /** Name to check the agent's certificate against when dialling an address it does not list. @default the host of `address` */
  serverName?: string;
}

export interface AgentDeadlines {
  /** Facts, reads, status, health. @default 10000 */
  readMs: number;
  /** Config edits and restores. @default 30000 */
  editMs: number;
  /** Service start/stop/restart: must cover the service's start timeout plus its grace period. @default 180000 */
  controlMs: number;
}

export interface AgentClientOptions {
  /** host:port of the agent. */
  address: string;
  /** Required unless `insecure`. */
  tls?: AgentTlsOptions;
  /** Plain TCP; only accepted for a loopback address (tests, a sandbox). @default false */
  insecure?: boolean;
  /** Bearer token, sent as `authorization: Bearer <token>`. @default none */
  token?: string;
  /** How this coordinator describes itself in the agent's audit log. @default `${user}@${hostname}` */
  coordinator?: string;
  /** Per-call deadlines. @default see AgentDeadlines */
  deadlines?: Partial<AgentDeadlines>;
  /** Retry policy of reads and check-mode calls. @default DEFAULT_RETRY */
  retry?: Partial<RetryOptions>;
}

export const DEFAULT_DEADLINES: Readonly<AgentDeadlines> = { readMs: 10000, editMs: 30000, controlMs: 180000 };

export type ServiceAction = 'start' | 'stop' | 'restart';

const GRPC_TO_CODE: Partial<Record<grpc.status, ErrorCode>> = {
  [grpc.status.INVALID_ARGUMENT]: 'INVALID_INPUT',
  [grpc.status.NOT_FOUND]: 'NOT_FOUND',
  [grpc.status.ALREADY_EXISTS]: 'ALREADY_EXISTS',
  [grpc.status.FAILED_PRECONDITION]: 'PRECONDITION',
  [grpc.status.PERMISSION_DENIED]: 'PERMISSION_DENIED',
  [grpc.status.UNAUTHENTICATED]: 'PERMISSION_DENIED',
  [grpc.status.UNAVAILABLE]: 'UNAVAILABLE',
  [grpc.status.DEADLINE_EXCEEDED]: 'TIMEOUT',
};

function pem(v: Buffer | string, what: string): Buffer {
  return Buffer.isBuffer(v) ? v : readPem(v, what);
}

/**
 * One ChannelCredentials per distinct (CA, key, certificate): grpc-js builds a TLS SecureContext per
 * credentials object, which parses every PEM again. A fleet-wide fan-out reuses the same three files
 * for every host, so sharing the object keeps the coordinator's memory from growing with the
 * number of agents. Weak values: an idle process does not keep contexts it no longer uses.
 */
const credsCache = new Map<string, WeakRef<grpc.ChannelCredentials>>();

function sslCredentials(ca: Buffer, key: Buffer, cert: Buffer): grpc.ChannelCredentials {
  const id = crypto.createHash('sha256').update(ca).update('\0').update(key).update('\0').update(cert).digest('hex');
  const hit = credsCache.get(id)?.deref();
  if (hit) return hit;
  const creds = grpc.credentials.createSsl(ca, key, cert);
  credsCache.set(id, new WeakRef(creds));
  return creds;
}

/** The wire form of an edit (oneof value|absent). */
function editToWire(e: IniEdit): Record<string, unknown> {
  return {
    section: e.section,
    key: e.key,
    ...(e.absent ? { absent: true } : { value: e.value }),
    occurrence: e.occurrence ?? 0,
    create_section: e.createSection ?? false,
  };
}

export class AgentClient {
  private readonly facts_: FactsServiceClient;
  private readonly config_: ConfigServiceClient;
  private readonly services_: ServiceControlServiceClient;
  private readonly health_: HealthClient;
  private readonly deadlines: AgentDeadlines;
  private readonly retry: RetryOptions;
  private readonly coordinator: string;
  private retried = 0;

  constructor(readonly opts: AgentClientOptions) {
    const { host } = parseHostPort(opts.address, 'agent address');
    let creds: grpc.ChannelCredentials;
    if (opts.insecure) {
      if (!isLoopback(host)) throw new UsageError(`insecure connection to ${opts.address} refused: only loopback agents may be reached without TLS`);
      creds = grpc.credentials.createInsecure();
    } else {
      if (!opts.tls) throw new UsageError(`agent ${opts.address}: TLS options (ca, cert, key) are required`);
      creds = sslCredentials(pem(opts.tls.ca, 'agent CA'), pem(opts.tls.key, 'coordinator key'), pem(opts.tls.cert, 'coordinator certificate'));
    }
    const channelOptions: grpc.ChannelOptions = {
      'grpc.max_receive_message_length': 64 << 20,
      // Never share a connection with another client, even one built from the same credentials:
      // a client made after an agent rotated its certificate must handshake again, not ride an
      // old connection from grpc-js's process-wide subchannel pool.
      'grpc.use_local_subchannel_pool': 1,
      ...(opts.tls?.serverName ? { 'grpc.ssl_target_name_override': opts.tls.serverName, 'grpc.default_authority': opts.tls.serverName } : {}),
    };
    const p = loadProtos();
    this.facts_ = new p.agent.FactsService(opts.address, creds, channelOptions);
    // The other stubs share the first one's channel: one TLS connection per agent.
    const channel = { channelOverride: this.facts_.getChannel() as grpc.Channel };
    this.config_ = new p.agent.ConfigService(opts.address, creds, { ...channelOptions, ...channel });
    this.services_ = new p.agent.ServiceControlService(opts.address, creds, { ...channelOptions, ...channel });
    this.health_ = new p.health.Health(opts.address, creds, { ...channelOptions, ...channel });
    this.deadlines = { ...DEFAULT_DEADLINES, ...opts.deadlines };
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.coordinator = opts.coordinator ?? `${safeUser()}@${os.hostname()}`;
  }

  get address(): string {
    return this.opts.address;
  }

  /**
   * Attempts beyond the first, summed over every call this client made. Retries are otherwise
   * invisible (a call that succeeded on its third try looks like one that succeeded at once), and
   * an operator or a load test wants to see a fleet that only just kept within its deadlines.
   */
  get retries(): number {
    return this.retried;
  }

  private metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    if (this.opts.token) md.set('authorization', `Bearer ${this.opts.token}`);
    return md;
  }

  private header(checkMode: boolean, requestId: string): Record<string, unknown> {
    return { request_id: requestId, check_mode: checkMode, coordinator: this.coordinator };
  }

  /** One logical call: same request id on every attempt, a fresh deadline per attempt. */
  private call<Res>(
    method: string,
    retryable: boolean,
    deadlineMs: number,
    invoke: (md: grpc.Metadata, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Res) => void) => void,
  ): Promise<Res> {
    return withRetry(retryable, this.retry, (attempt) =>
      new Promise<Res>((resolve, reject) => {
        if (attempt > 1) this.retried++;
        const started = Date.now();
        invoke(this.metadata(), { deadline: started + deadlineMs }, (err, res) => {
          debug('agent', () => `${this.opts.address} ${method} attempt ${attempt}: ${err ? grpc.status[err.code] : 'OK'} in ${Date.now() - started} ms (deadline ${deadlineMs} ms)`);
          if (err) reject(this.toError(method, err));
          else resolve(res as Res);
        });
      }),
    );
  }

  private toError(method: string, err: grpc.ServiceError): AgentRpcError {
    const agentCode = err.metadata?.get('zkmig-error-code')[0];
    const code = (typeof agentCode === 'string' && agentCode !== '' ? agentCode : GRPC_TO_CODE[err.code] ?? 'INTERNAL') as ErrorCode;
    return new AgentRpcError(this.opts.address, method, err.code, code, `agent ${this.opts.address} ${method}: ${grpc.status[err.code]}: ${err.details}`, typeof agentCode === 'string' ? agentCode : undefined, { cause: err });
  }

  /** grpc.health.v1 Check: 'SERVING' when the agent accepts calls. */
  health(service = ''): Promise<string> {
    const req = { service };
    return this.call<{ status: string }>('Health.Check', true, this.deadlines.readMs, (md, o, cb) => this.health_.check(req, md, o, cb as never)).then((r) => r.status);
  }

  facts(): Promise<GetFactsResponse__Output> {
    const req = { header: this.header(false, crypto.randomUUID()) };
    return this.call('GetFacts', true, this.deadlines.readMs, (md, o, cb) => this.facts_.getFacts(req, md, o, cb));
  }

  /**
   * The file, its sha256 and its parse. With `onlyKeys` the agent leaves the content out and
   * narrows the parse to those keys (see the proto); an agent that predates the option sends the
   * whole file, which callers must accept.
   */
  readConfig(path: string, o: { onlyKeys?: readonly { section: string; key: string }[] } = {}): Promise<ReadConfigResponse__Output> {
    const req = { header: this.header(false, crypto.randomUUID()), path, only_keys: (o.onlyKeys ?? []).map((k) => ({ section: k.section, key: k.key })) };
    return this.call('ReadConfig', true, this.deadlines.readMs, (md, o, cb) => this.config_.readConfig(req, md, o, cb));
  }

  /** Apply edits; retried only in check mode. Pass the sha256 you planned against as `expectedSha256`. */
  editConfig(a: { path: string; edits: IniEdit[]; expectedSha256?: string; checkMode?: boolean }): Promise<ConfigChangeResponse__Output> {
    const checkMode = a.checkMode === true;
    const req = { header: this.header(checkMode, crypto.randomUUID()), path: a.path, edits: a.edits.map(editToWire), expected_sha256: a.expectedSha256 ?? '' };
    return this.call('EditConfig', checkMode, this.deadlines.editMs, (md, o, cb) => this.config_.editConfig(req, md, o, cb));
  }

  restoreConfig(a: { path: string; backupFile: string; expectedSha256?: string; checkMode?: boolean }): Promise<ConfigChangeResponse__Output> {
    const checkMode = a.checkMode === true;
    const req = { header: this.header(checkMode, crypto.randomUUID()), path: a.path, backup_file: a.backupFile, expected_sha256: a.expectedSha256 ?? '' };
    return this.call('RestoreConfig', checkMode, this.deadlines.editMs, (md, o, cb) => this.config_.restoreConfig(req, md, o, cb));
  }

  listBackups(path: string): Promise<ListBackupsResponse__Output> {
    const req = { header: this.header(false, crypto.randomUUID()), path };
    return this.call('ListBackups', true, this.deadlines.readMs, (md, o, cb) => this.config_.listBackups(req, md, o, cb));
  }

  async serviceStatus(name: string): Promise<ServiceStatus__Output> {
    const req = { header: this.header(false, crypto.randomUUID()), name };
    const r = await this.call<{ status: ServiceStatus__Output | null }>('GetServiceStatus', true, this.deadlines.readMs, (md, o, cb) => this.services_.getServiceStatus(req, md, o, cb as never));
    if (!r.status) throw new AgentRpcError(this.opts.address, 'GetServiceStatus', grpc.status.INTERNAL, 'INTERNAL', `agent ${this.opts.address} returned no status for ${name}`);
    return r.status;
  }

  /**
   * start / stop / restart and wait. Throws ServiceFailedError when the agent reports `failed`
   * (early crash, never became active) unless `allowFailure`; the result is in the error.
   */
  async controlService(
    name: string,
    action: ServiceAction,
    o: { checkMode?: boolean; timeoutMs?: number; allowFailure?: boolean } = {},
  ): Promise<ControlServiceResponse__Output> {
    const checkMode = o.checkMode === true;
    const req = { header: this.header(checkMode, crypto.randomUUID()), name, action: action.toUpperCase(), timeout_ms: o.timeoutMs ?? 0 };
    const r = await this.call<ControlServiceResponse__Output>('ControlService', checkMode, this.deadlines.controlMs, (md, opt, cb) =>
      this.services_.controlService(req as never, md, opt, cb),
    );
    if (r.failed && !o.allowFailure) throw new ServiceFailedError(name, r, `agent ${this.opts.address}: ${action} ${name} failed: ${r.msg}`);
    return r;
  }

  close(): void {
    this.facts_.close();
  }
}

function safeUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return `uid${process.getuid?.() ?? '?'}`;
  }
}
