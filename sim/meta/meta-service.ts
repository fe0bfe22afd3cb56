import * as http from 'node:http';
import { ZkSession, zk } from '../../shared/zk/client';
import { INVALID_ADDRESS, tryParseAddress } from '../common/address';
import { LEVELS, MetaConfig, levelName } from '../common/config';
import { EXIT, Logger, crash, exitProcess } from '../common/log';
import { RemoteCommands } from '../common/remote-commands';
import { FORWARDED_HEADER as FORWARDED, Handler, TIMEOUT_HEADER, call, callPooled, serve, sleep } from '../common/rpc';
import { ReplicaInfo } from '../common/types';
import { OutputFormat } from '../common/version';
import { defaultApps } from './app-store';
import { MasterFailureDetector } from './failure-detector';
import { LeaderLock } from './leader-lock';
import { runRecovery } from './recover';
import { ServerState } from './server-state';
import { WriteServices } from './write-services';

/**
 * One meta server process (meta_service.cpp v2.5.0): start-up order of docs/pegasus-internals.md §2.5 (ZooKeeper,
 * cluster root, lock root, RPC handlers, then the blocking leader lock), the leader's load of
 * `<cluster_root>/apps` with its crash conditions (§2.4, §9), recovery mode (§5), function levels held
 * in memory (§6), and followers that forward to the lock owner.
 */
export class MetaService {
  private zk!: ZkSession;
  private lock: LeaderLock | undefined;
  private state: ServerState | undefined;
  private writes: WriteServices | undefined;
  private readonly fd: MasterFailureDetector;
  private readonly commands: RemoteCommands;
  private level: number;
  private started = false;
  private recovering: boolean;
  private recoveryInFlight: Promise<unknown> = Promise.resolve();
  private readonly startMs = Date.now();

  constructor(
    readonly cfg: MetaConfig,
    private readonly log: Logger,
  ) {
    this.level = cfg.levelOnStart;
    this.recovering = cfg.recoverFromReplicaServer;
    this.commands = new RemoteCommands(this.startMs, 'meta');
    this.fd = new MasterFailureDetector(cfg.fd, (node, alive) => {
      this.log.info('meta_service', `set node(${node}) state to ${alive ? 'alive' : 'dead'}`);
      if (!alive && this.started) this.state?.onNodeDead(node);
    });
  }

  private crash = (module: string, msg: string): never => crash(this.log, module, msg);

  async run(): Promise<void> {
    const c = this.cfg;
    this.log.info('main', `pegasus server starting, pid(${process.pid}), version(Pegasus Server 2.5.0 simulator), config(${c.file})`);
    for (const w of c.warnings) this.log.warn('config', w);
    if (this.recovering) {
      this.log.info('meta_service', 'enter recovery mode for [meta_server].recover_from_replica_server = true');
      if (this.level > LEVELS.steady) {
        this.log.info('meta_service', 'meta server function level changed to fl_steady under recovery mode');
        this.level = LEVELS.steady;
      }
    }
    try {
      const security = c.zkSasl ? { sasl: { mechanism: 'DIGEST-MD5' as const, ...c.zkSasl } } : undefined;
      this.zk = await ZkSession.connect(c.zkHosts, { sessionTimeoutMs: c.zkTimeoutMs, connectTimeoutMs: c.zkTimeoutMs, ...(security ? { security } : {}) });
    } catch (e) {
      this.log.error('meta_service', `init remote storage failed, err = ERR_TIMEOUT (${(e as Error).message})`);
      this.log.fatal('main', 'start app failed, err = ERR_TIMEOUT');
      exitProcess(EXIT.START_FAILED);
    }
    this.zk.client.on('state', (s: zk.State) => {
      if (s === zk.State.EXPIRED || s === zk.State.AUTH_FAILED) {
        this.log.error('zookeeper', `get zoo state: ${s.name}, which means the session is expired`);
        this.log.error('meta_server_failure_detector', 'leader lock expired callback: err(ERR_EXPIRED)');
        exitProcess(EXIT.OK);
      } else if (s === zk.State.DISCONNECTED) {
        this.log.warn('zookeeper', 'the zk session is reconnecting');
      }
    });
    try {
      await this.zk.mkdirp(c.clusterRoot);
      this.log.info('meta_service', `init meta_state_service succeed, cluster_root = ${c.clusterRoot}`);
      await this.zk.mkdirp(c.lockRoot);
      this.log.info('distributed_lock_service_zookeeper', `init distributed_lock_service_zookeeper succeed, lock_root = ${c.lockRoot}`);
    } catch (e) {
      this.log.fatal('main', `start app failed, err = ERR_TIMEOUT (${(e as Error).message})`);
      exitProcess(EXIT.START_FAILED);
    }
    this.fd.start();
    try {
      await serve(c.port, this.handlers());
    } catch (e) {
      this.log.fatal('main', `start app failed, cannot listen on ${c.address}: ${(e as Error).message}`);
      exitProcess(EXIT.START_FAILED);
    }
    this.log.info('meta_service', `rpc server listening on ${c.address}`);
    this.lock = new LeaderLock(this.zk, c.lockRoot, c.address, this.log, {
      granted: () => void this.onLeader().catch((e: unknown) => this.crash('meta_service', `leader initialization failed: ${String(e)}`)),
      expired: (why) => {
        this.log.error('meta_server_failure_detector', `leader lock expired callback: err(ERR_EXPIRED), ${why}`);
        exitProcess(EXIT.OK);
      },
      crash: (msg) => this.crash('lock_struct', msg),
    });
    await this.lock.start().catch((e: unknown) => this.crash('lock_struct', `invalid code: ${String(e)}`));
  }

  // ------------------------------------------------------------------ leadership

  private async onLeader(): Promise<void> {
    const c = this.cfg;
    this.log.info('meta_service', `${c.address} got the primary lock, start to recover server state from remote storage`);
    const state = new ServerState({
      cfg: c,
      zk: this.zk,
      log: this.log,
      crash: this.crash,
      effectiveLevel: () => this.effectiveLevel(),
      isAlive: (n) => this.fd.isAlive(n),
      aliveNodes: () => this.fd.aliveNodes(),
      notify: (node, info, pc) => void callPooled(node, 'config_update', { info, config: pc }, 1000),
      propose: (node, proposal) => void callPooled(node, 'config_proposal', proposal, 1000),
    });
    this.state = state;
    this.writes = new WriteServices(c, this.zk, state, this.log, () => {
      if (this.level !== LEVELS.steady) this.log.info('meta_service', `set meta function level from fl_${levelName(this.level)} to fl_steady`);
      this.level = LEVELS.steady;
    });
    for (;;) {
      let loaded;
      try {
        loaded = await state.store.load();
      } catch (e) {
        this.log.error('meta_service', `initialize server state from remote storage failed, err = ${String(e)}, retry ...`);
        await sleep(1000);
        continue;
      }
      const ls = state.store.loadStats;
      this.log.info('server_state', `read ${ls.reads} nodes from remote storage in ${ls.ms} ms (${ls.cpuMs} ms of CPU), at most ${ls.maxOutstanding} outstanding, in ${ls.requests} requests`);
      if (loaded && c.recoverFromReplicaServer) {
        this.crash('server_state', 'find apps from remote storage, but [meta_server].recover_from_replica_server = true');
      }
      if (loaded) {
        this.log.info('server_state', `sync apps from remote storage ok, get ${loaded.size} apps, init the node state accordingly`);
        state.adopt(loaded);
        state.repairOnLoad();
        break;
      }
      if (c.recoverFromReplicaServer) {
        this.log.info(
          'meta_service',
          "can't find apps from remote storage, and [meta_server].recover_from_replica_server = true, administrator should recover this cluster manually later",
        );
        return;
      }
      this.log.info('server_state', "can't find apps from remote storage, start to initialize default apps");
      const apps = defaultApps(c.defaultApps, this.log, this.crash, Math.floor(Date.now() / 1000));
      const err = await state.store.writeAll(apps);
      if (err !== 'ERR_OK') {
        this.log.error('meta_service', `initialize server state from remote storage failed, err = ${err}, retry ...`);
        await sleep(1000);
        continue;
      }
      state.adopt(apps);
      break;
    }
    this.startService();
  }

  private startService(): void {
    const state = this.state!;
    for (const n of state.configNodes()) this.fd.registerAlive(n);
    this.started = true;
    this.recovering = false;
    for (const n of this.fd.dead) state.onNodeDead(n);
    const t = setInterval(() => state.checkAllPartitions(), Math.max(1, this.cfg.lbIntervalMs));
    t.unref();
    this.log.info('meta_service', 'start meta_service succeed');
  }

  /** `get_function_level`: the stored level, lowered to freezed when too few nodes are alive. */
  effectiveLevel(): number {
    if (this.level > LEVELS.freezed && this.checkFreeze()) return LEVELS.freezed;
    return this.level;
  }

  private checkFreeze(): boolean {
    const alive = this.fd.alive.size;
    if (alive < this.cfg.minLiveNodeCountForUnfreeze) return true;
    const total = alive + this.fd.dead.size;
    return alive * 100 < this.cfg.nodeLivePercentageThreshold * total;
  }

  // ------------------------------------------------------------------ RPC

  private handlers(): Map<string, Handler> {
    const h = new Map<string, Handler>();
    const guarded = (method: string, fn: (p: Record<string, unknown>) => Promise<Record<string, unknown>> | Record<string, unknown>): void => {
      h.set(method, async (p, headers) => {
        const rejected = await this.checkLeaderStatus(method, p, headers, true);
        return rejected ?? fn(p);
      });
    };
    guarded('cluster_info', () => this.clusterInfo());
    guarded('list_apps', (p) => ({ err: 'ERR_OK', infos: this.state!.listApps(String(p.status ?? 'AS_INVALID')) }));
    guarded('list_nodes', (p) => this.listNodes(String(p.status ?? 'NS_INVALID')));
    guarded('query_config', (p) => this.state!.queryConfigByIndex(String(p.app_name ?? '')));
    guarded('control_meta', (p) => this.controlMeta(String(p.level ?? 'invalid')));
    guarded('create_app', (p) =>
      this.state!.createApp({
        app_name: String(p.app_name),
        app_type: String(p.app_type ?? 'pegasus'),
        partition_count: Number(p.partition_count),
        replica_count: Number(p.replica_count),
        success_if_exist: p.success_if_exist !== false,
        envs: (p.envs as Record<string, string>) ?? {},
        is_stateful: p.is_stateful !== false,
      }),
    );
    guarded('drop_app', (p) => this.state!.dropApp(String(p.app_name), Number(p.reserve_seconds ?? 0)));
    guarded('update_configuration', async (p) => ({ ...(await this.state!.onUpdateConfiguration(p as never)) }));
    guarded('add_duplication', (p) => this.writes!.addDuplication(String(p.app_name), String(p.remote_cluster_name)));
    guarded('start_bulk_load', (p) => this.writes!.startBulkLoad(p as never));
    guarded('add_backup_policy', (p) => this.writes!.addBackupPolicy(p as never));
    guarded('config_sync', (p) => this.state!.onConfigSync(String(p.node), (p.stored_replicas as ReplicaInfo[]) ?? []));
    h.set('start_recovery', async (p, headers) => {
      const rejected = await this.checkLeaderStatus('start_recovery', p, headers, false);
      return rejected ?? this.startRecovery(p);
    });
    h.set('beacon', async (p) => this.onBeacon(String(p.from)));
    h.set('remote_command', async (p) => ({
      err: 'ERR_OK',
      result: this.commands.run(String(p.cmd), (p.args as string[]) ?? [], (p.format as OutputFormat) ?? 'v2.5.0'),
    }));
    return h;
  }

  /**
   * meta_service::check_leader_status: a follower forwards to the cached leader (or answers
   * ERR_FORWARD_TO_OTHERS); a leader that has not started answers ERR_UNDER_RECOVERY in recovery mode
   * and ERR_SERVICE_NOT_ACTIVE otherwise. Returns the rejection, or undefined to proceed.
   */
  private async checkLeaderStatus(method: string, p: Record<string, unknown>, headers: http.IncomingHttpHeaders, requireStarted: boolean): Promise<Record<string, unknown> | undefined> {
    if (!this.lock?.isLocked) {
      const leader = tryParseAddress(this.lock?.cachedOwner ?? '');
      if (leader && leader !== this.cfg.address && headers[FORWARDED] === undefined) {
        const timeout = Math.max(100, Number(headers[TIMEOUT_HEADER] ?? 10000));
        const r = await call(leader, method, p, timeout, { [FORWARDED]: '1', [TIMEOUT_HEADER]: String(timeout) });
        if (r.transport === 'ERR_OK') return r.body;
      }
      return { err: 'ERR_FORWARD_TO_OTHERS', leader: leader ?? INVALID_ADDRESS };
    }
    if (requireStarted && !this.started) return { err: this.recovering ? 'ERR_UNDER_RECOVERY' : 'ERR_SERVICE_NOT_ACTIVE' };
    return undefined;
  }

  private onBeacon(from: string): Record<string, unknown> {
    if (!this.lock?.isLocked) {
      return { is_master: false, primary_node: tryParseAddress(this.lock?.cachedOwner ?? '') ?? INVALID_ADDRESS, allowed: true };
    }
    this.fd.beacon(from);
    return { is_master: true, primary_node: this.cfg.address, allowed: true };
  }

  private clusterInfo(): Record<string, unknown> {
    const score = this.state!.balanceScore();
    return {
      err: 'ERR_OK',
      meta_servers: this.cfg.serverList,
      primary_meta_server: this.cfg.address,
      zookeeper_hosts: this.cfg.zkHosts,
      zookeeper_root: this.cfg.clusterRoot,
      meta_function_level: levelName(this.effectiveLevel()),
      balance_operation_count: { move_pri: 0, copy_pri: 0, copy_sec: 0, total: 0 },
      primary_replica_count_stddev: score.primary.toFixed(2),
      total_replica_count_stddev: score.total.toFixed(2),
      cluster_name: this.cfg.clusterName,
    };
  }

  private listNodes(status: string): Record<string, unknown> {
    const infos: { address: string; status: string }[] = [];
    if (status === 'NS_INVALID' || status === 'NS_ALIVE') for (const n of this.fd.alive) infos.push({ address: n, status: 'NS_ALIVE' });
    if (status === 'NS_INVALID' || status === 'NS_UNALIVE') for (const n of this.fd.dead) infos.push({ address: n, status: 'NS_UNALIVE' });
    return { err: 'ERR_OK', infos };
  }

  private controlMeta(level: string): Record<string, unknown> {
    const old = levelName(this.level);
    const v = (LEVELS as Record<string, number>)[level];
    if (v !== undefined && v !== LEVELS.invalid) {
      this.log.info('meta_service', `set meta function level from fl_${old} to fl_${level}`);
      this.level = v;
    }
    return { err: 'ERR_OK', old_level: old };
  }

  private async startRecovery(p: Record<string, unknown>): Promise<Record<string, unknown>> {
    const run = this.recoveryInFlight.then(async () => {
      if (this.started) {
        this.log.info('meta_service', `service(${this.cfg.address}) is already started, ignore the recovery request`);
        return { err: 'ERR_SERVICE_ALREADY_RUNNING', hint_message: '' };
      }
      if (!this.recovering || !this.state) return { err: 'ERR_SERVICE_NOT_ACTIVE', hint_message: '' };
      const nodes = ((p.recovery_set as string[]) ?? []).map(String);
      const r = await runRecovery(
        { cfg: this.cfg, log: this.log, crash: this.crash, store: this.state.store },
        nodes,
        p.skip_bad_nodes === true,
        p.skip_lost_partitions === true,
      );
      if (r.err === 'ERR_OK' && r.apps) {
        this.state.adopt(r.apps);
        this.startService();
      }
      return { err: r.err, hint_message: r.hint };
    });
    this.recoveryInFlight = run.catch(() => undefined);
    return run;
  }
}
