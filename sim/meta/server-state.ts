import { ZK_CODE, ZkSession } from '../../shared/zk/client';
import { INVALID_ADDRESS, compareRpcAddress } from '../common/address';
import { LEVELS, MetaConfig, levelName } from '../common/config';
import { Logger } from '../common/log';
import { sleep } from '../common/rpc';
import { AppInfo, PC_FLAG_DROPPED, PartitionConfig, ReplicaInfo, clonePartition, emptyPartition, encodeAppInfo, encodePartition, isMember, parseGpid, replicaCount } from '../common/types';
import { AppStore, Crash, LoadedApp, isZkTimeout, pegasusError, zkCode } from './app-store';
import { ConfigAction, ConfigType, GuardianView, applyAction, cure } from './guardian';

/**
 * The leader's in-memory cluster state and everything that changes it (server_state.cpp v2.5.0):
 * partition-config updates written with `set` on the partition node (deferred every 1 s while the
 * level is ≤ blind, retried on ZooKeeper timeouts, a crash on any other error), the guardian tick,
 * node death, config sync from replicas (with the unknown-gpid crash), and the DDL (create is refused
 * at ≤ freezed; drop is not level-gated and writes the app node even at blind).
 */

export interface StateDeps {
  cfg: MetaConfig;
  zk: ZkSession;
  log: Logger;
  crash: Crash;
  /** The effective level (stored level with automatic freeze). */
  effectiveLevel(): number;
  isAlive(node: string): boolean;
  aliveNodes(): string[];
  /** Best-effort push of a new partition config to a replica server (config sync / RPC_REMOVE_REPLICA). */
  notify(node: string, info: AppInfo, pc: PartitionConfig): void;
  /** `send_proposal`: ask a replica server to carry out a config change (it answers through update_configuration). */
  propose(node: string, proposal: { info: AppInfo; type: ConfigType; node: string; config: PartitionConfig }): void;
}

interface Pending {
  type: ConfigType | string;
  node: string;
  config: PartitionConfig;
  /** The replica's request waiting for the write (replica-initiated updates only). */
  reply?: (r: UpdateReply) => void;
}

/** What `on_update_configuration` answers a replica. */
export interface UpdateReply {
  err: string;
  config?: PartitionConfig;
}

/** A replica's `configuration_update_request`. */
export interface UpdateRequest {
  info?: AppInfo;
  type: string;
  node: string;
  config: PartitionConfig;
}

interface AppState {
  info: AppInfo;
  partitions: PartitionConfig[];
  pending: (Pending | undefined)[];
  dropTimes: Map<string, number>[];
  /** Proposals sent and not yet answered, counted in the load until they expire. */
  proposed: ({ config: PartitionConfig; at: number } | undefined)[];
  /** Resolves a waiting drop request once every partition is written as dropped. */
  onDropped: (() => void)[];
}

export interface PartitionSnapshot {
  appId: number;
  info: AppInfo;
  partitions: PartitionConfig[];
}

export class ServerState {
  readonly apps = new Map<number, AppState>();
  readonly store: AppStore;

  constructor(private readonly d: StateDeps) {
    this.store = new AppStore(d.zk, (d.cfg.clusterRoot === '/' ? '' : d.cfg.clusterRoot) + '/apps', d.log, d.crash);
  }

  /** Take over loaded or constructed apps; staging statuses become stable ones. */
  adopt(loaded: Map<number, LoadedApp>): void {
    this.apps.clear();
    for (const [id, a] of loaded) {
      const info = { ...a.info, status: a.info.status === 'AS_CREATING' ? ('AS_AVAILABLE' as const) : ('AS_DROPPED' as const) };
      this.apps.set(id, {
        info,
        partitions: a.partitions,
        pending: a.partitions.map(() => undefined),
        dropTimes: a.partitions.map(() => new Map()),
        proposed: a.partitions.map(() => undefined),
        onDropped: [],
      });
    }
  }

  /** Partitions loaded in an inconsistent staging state get the write Pegasus does on load. */
  repairOnLoad(): void {
    for (const app of this.apps.values()) {
      app.partitions.forEach((pc, i) => {
        const dropped = (pc.partition_flags & PC_FLAG_DROPPED) !== 0;
        if (app.info.status === 'AS_AVAILABLE' && dropped) void this.recallPartition(app, i);
        else if (app.info.status === 'AS_DROPPED' && !dropped && pc.ballot >= 0) this.requestUpdate(app, i, { type: 'CT_DROP_PARTITION', node: pc.primary });
      });
    }
  }

  /** Nodes serving some partition (initialize_node_state): they start as alive. */
  configNodes(): string[] {
    const s = new Set<string>();
    for (const app of this.apps.values()) {
      for (const pc of app.partitions) {
        if (pc.primary !== INVALID_ADDRESS) s.add(pc.primary);
        for (const n of pc.secondaries) s.add(n);
      }
    }
    return [...s].sort(compareRpcAddress);
  }

  /**
   * How many primaries and replicas `node` serves, counting configs being written or proposed as
   * already applied, so one guardian tick spreads its choices. During a tick the loads of all nodes
   * come from one pass over the partitions and are kept up to date as the tick proposes: asking every
   * partition's candidates afresh would walk all partitions per question (quadratic at 10,000).
   */
  load(node: string): { primaries: number; total: number } {
    if (this.tickLoads) return this.tickLoads.get(node) ?? { primaries: 0, total: 0 };
    return this.allLoads().get(node) ?? { primaries: 0, total: 0 };
  }

  /** Loads of every node serving something, in one pass. */
  private allLoads(): Map<string, { primaries: number; total: number }> {
    const loads = new Map<string, { primaries: number; total: number }>();
    const now = Date.now();
    for (const app of this.apps.values()) {
      for (let i = 0; i < app.partitions.length; i++) addLoad(loads, this.effective(app, i, now), 1);
    }
    return loads;
  }

  private effective(app: AppState, i: number, now: number): PartitionConfig {
    const committed = app.partitions[i]!;
    const prop = app.proposed[i];
    return app.pending[i]?.config ?? (prop && prop.config.ballot > committed.ballot && now - prop.at < PROPOSAL_TTL_MS ? prop.config : committed);
  }

  /** Loads cached for the current guardian tick (see `load`). */
  private tickLoads: Map<string, { primaries: number; total: number }> | undefined;

  // ---------------------------------------------------------------- partition updates

  private requestUpdate(app: AppState, pidx: number, action: ConfigAction): void {
    const pc = app.partitions[pidx]!;
    let config: PartitionConfig;
    try {
      config = applyAction(pc, action);
    } catch (e) {
      this.d.crash('server_state', (e as Error).message);
    }
    this.setPending(app, pidx, { type: action.type, node: action.node, config });
  }

  private setPending(app: AppState, pidx: number, p: Pending): void {
    // A cancelled replica request gets no answer in Pegasus (cc.cancel_sync); the replica retries.
    app.pending[pidx]?.reply?.({ err: 'ERR_TIMEOUT' });
    app.pending[pidx] = p;
    void this.syncToRemote(app, pidx, p);
  }

  /**
   * `server_state::on_update_configuration` (src/meta/server_state.cpp): a replica asks for a config
   * change at ballot + 1. A request equal to the current config is a duplicate (ERR_OK); any ballot
   * but the meta's own + 1 is refused with ERR_INVALID_VERSION and the meta's config; while another
   * update is being written the request is ignored (the replica retries); otherwise the config is
   * written (deferred while the level is ≤ blind) and the reply waits for the write.
   */
  onUpdateConfiguration(req: UpdateRequest): Promise<UpdateReply> | UpdateReply {
    const { appId, pidx } = parseGpid(req.config.pid);
    const app = this.apps.get(appId);
    if (!app || pidx < 0 || pidx >= app.partitions.length) return { err: 'ERR_OBJECT_NOT_FOUND' };
    const pc = app.partitions[pidx]!;
    this.d.log.info('server_state', `recv update config request: type(${req.type}), pid(${req.config.pid}), node(${req.node}), ballot(${req.config.ballot})`);
    if (samePartitionConfig(pc, req.config)) {
      this.d.log.info('server_state', `duplicated update request for gpid(${pc.pid}), ballot: ${pc.ballot}`);
      return { err: 'ERR_OK', config: clonePartition(pc) };
    }
    if (pc.ballot + 1 !== req.config.ballot) {
      this.d.log.info('server_state', `update configuration for gpid(${pc.pid}) reject coz ballot not match, request ballot: ${req.config.ballot}, meta ballot: ${pc.ballot}`);
      return { err: 'ERR_INVALID_VERSION', config: clonePartition(pc) };
    }
    if (app.pending[pidx]) {
      this.d.log.info('server_state', `another request is syncing with remote storage, ignore current request, gpid(${pc.pid}), request ballot(${req.config.ballot})`);
      return { err: 'ERR_TIMEOUT' };
    }
    const config = clonePartition(req.config);
    maintainDropsTolerant(config.last_drops, req.node, req.type);
    return new Promise<UpdateReply>((reply) => this.setPending(app, pidx, { type: req.type, node: req.node, config, reply }));
  }

  /** `send_proposal`: assign/upgrade go to the node itself, add/remove a secondary to the primary. */
  private sendProposal(app: AppState, pidx: number, action: ConfigAction): void {
    const pc = app.partitions[pidx]!;
    const target = action.type === 'CT_ADD_SECONDARY' || (action.type === 'CT_DOWNGRADE_TO_INACTIVE' && action.node !== pc.primary) ? pc.primary : action.node;
    if (target === INVALID_ADDRESS) return;
    if (action.type !== 'CT_DOWNGRADE_TO_INACTIVE') app.proposed[pidx] = { config: applyAction(pc, action), at: Date.now() };
    this.d.propose(target, { info: app.info, type: action.type, node: action.node, config: clonePartition(pc) });
  }

  /** update_configuration_on_remote + on_update_configuration_on_remote_reply. */
  private async syncToRemote(app: AppState, pidx: number, p: Pending): Promise<void> {
    const path = this.store.partitionPath(app.info.app_id, pidx);
    for (;;) {
      if (app.pending[pidx] !== p) return;
      const level = this.d.effectiveLevel();
      if (level <= LEVELS.blind) {
        this.d.log.info('server_state', `ignore update configuration on remote due to level is fl_${levelName(level)}`);
        await sleep(1000);
        continue;
      }
      try {
        await this.d.zk.setData(path, Buffer.from(encodePartition(p.config)));
      } catch (e) {
        if (isZkTimeout(e)) {
          await sleep(1000);
          continue;
        }
        if (zkCode(e) === ZK_CODE.SESSION_EXPIRED) return; // the session handler exits the process
        this.d.crash('server_state', `we can't handle this right now, err = ${pegasusError(e)} (set ${path})`);
      }
      if (app.pending[pidx] !== p) return;
      this.onUpdated(app, pidx, p);
      p.reply?.({ err: 'ERR_OK', config: clonePartition(p.config) });
      return;
    }
  }

  private onUpdated(app: AppState, pidx: number, p: Pending): void {
    const old = app.partitions[pidx]!;
    app.partitions[pidx] = p.config;
    app.pending[pidx] = undefined;
    app.proposed[pidx] = undefined;
    const now = Date.now();
    for (const n of [old.primary, ...old.secondaries]) if (n !== INVALID_ADDRESS && !isMember(p.config, n)) app.dropTimes[pidx]!.set(n, now);
    this.d.log.info('server_state', `update partition(${p.config.pid}) ${p.type} node(${p.node}) ok, ballot(${p.config.ballot})`);
    for (const n of new Set([old.primary, ...old.secondaries, p.config.primary, ...p.config.secondaries])) {
      if (n !== INVALID_ADDRESS) this.d.notify(n, app.info, p.config);
    }
    if (p.type === 'CT_DROP_PARTITION') {
      if (app.pending.every((x) => x === undefined) && app.partitions.every((pc) => (pc.partition_flags & PC_FLAG_DROPPED) !== 0)) {
        app.info.status = 'AS_DROPPED';
        this.d.log.info('server_state', `app(${app.info.app_name}(${app.info.app_id})) transfer from AS_DROPPING to AS_DROPPED`);
        for (const r of app.onDropped.splice(0)) r();
      }
      return;
    }
    // Like Pegasus, cure right away (a proposal); adding secondaries waits for the guardian tick. A
    // partition with a primary can only need secondaries, so it is not looked at here: its cure would
    // count every node's load over all partitions only to be discarded (at 100,000 partitions, most of
    // the meta's CPU while the sandbox's large profile places its replicas).
    if (p.config.primary !== INVALID_ADDRESS) return;
    const action = cure(p.config, this.view(app, pidx));
    if (action && action.type !== 'CT_ADD_SECONDARY' && this.d.effectiveLevel() > LEVELS.freezed) this.sendProposal(app, pidx, action);
  }

  private async recallPartition(app: AppState, pidx: number): Promise<void> {
    const pc = { ...app.partitions[pidx]!, partition_flags: 0 };
    for (;;) {
      try {
        await this.d.zk.setData(this.store.partitionPath(app.info.app_id, pidx), Buffer.from(encodePartition(pc)));
        app.partitions[pidx] = pc;
        return;
      } catch (e) {
        if (!isZkTimeout(e)) this.d.crash('server_state', `unable to handle this(${pegasusError(e)}) right now`);
        await sleep(1000);
      }
    }
  }

  private view(app: AppState, pidx: number): GuardianView {
    let loads: Map<string, { primaries: number; total: number }> | undefined;
    return {
      isAlive: (n) => this.d.isAlive(n),
      aliveNodes: () => this.d.aliveNodes(),
      // Outside a tick, all loads come from one pass per view, not one pass per question.
      load: (n) => (this.tickLoads ? this.load(n) : ((loads ??= this.allLoads()).get(n) ?? { primaries: 0, total: 0 })),
      dropTime: (n) => app.dropTimes[pidx]!.get(n),
      now: Date.now(),
      replicaAssignDelayMs: this.d.cfg.replicaAssignDelayMsForDropouts,
    };
  }

  /** `check_all_partitions`: the guardian tick, every `lb_interval_ms`. */
  checkAllPartitions(): void {
    const level = this.d.effectiveLevel();
    if (level <= LEVELS.freezed) {
      this.d.log.info('server_state', `service is in level(fl_${levelName(level)}), don't do any cure or balancer actions`);
      return;
    }
    const adds: { app: AppState; pidx: number; action: ConfigAction }[] = [];
    this.tickLoads = this.allLoads();
    const now = Date.now();
    // A proposal changes the effective config of its partition: move its counts in the cached loads.
    const propose = (app: AppState, pidx: number, action: ConfigAction): void => {
      const loads = this.tickLoads!;
      addLoad(loads, this.effective(app, pidx, now), -1);
      this.sendProposal(app, pidx, action);
      addLoad(loads, this.effective(app, pidx, now), 1);
    };
    try {
      for (const app of this.apps.values()) {
        if (app.info.status !== 'AS_AVAILABLE') continue;
        app.partitions.forEach((pc, pidx) => {
          if (app.pending[pidx] || pc.ballot < 0) return;
          const action = cure(pc, this.view(app, pidx));
          if (!action) return;
          if (action.type === 'CT_ADD_SECONDARY') adds.push({ app, pidx, action });
          else propose(app, pidx, action);
        });
      }
      const perNode = new Map<string, number>();
      const urgentFirst = [...adds.filter((a) => a.app.partitions[a.pidx]!.secondaries.length === 0), ...adds.filter((a) => a.app.partitions[a.pidx]!.secondaries.length > 0)];
      for (const a of urgentFirst) {
        const n = perNode.get(a.action.node) ?? 0;
        if (this.d.cfg.addSecondaryEnableFlowControl && n >= this.d.cfg.addSecondaryMaxCountForOneNode) continue;
        perNode.set(a.action.node, n + 1);
        propose(a.app, a.pidx, a.action);
      }
    } finally {
      this.tickLoads = undefined;
    }
  }

  /** `on_change_node_state(node, false)`: downgrade every replica the dead node served. */
  onNodeDead(node: string): void {
    for (const app of this.apps.values()) {
      if (app.info.status === 'AS_DROPPED') continue;
      app.partitions.forEach((pc, pidx) => {
        const pending = app.pending[pidx];
        if (pc.primary === node) {
          if (pending?.type === 'CT_DROP_PARTITION') return;
          if (pending) this.d.log.warn('server_state', `gpid(${pc.pid}) is syncing another request with remote, cancel it due to the primary(${node}) is down`);
          this.requestUpdate(app, pidx, { type: 'CT_DOWNGRADE_TO_INACTIVE', node });
        } else if (pc.secondaries.includes(node)) {
          if (pc.primary === INVALID_ADDRESS) {
            this.d.log.info('server_state', `gpid(${pc.pid}): secondary(${node}) is down, ignored it due to no primary for this partition available`);
          } else if (pending) {
            this.d.log.info('server_state', `gpid(${pc.pid}) is syncing with remote storage, ignore the remove seconary(${node})`);
          } else {
            // downgrade_secondary_to_inactive: the primary is asked to remove it (and may refuse).
            this.sendProposal(app, pidx, { type: 'CT_DOWNGRADE_TO_INACTIVE', node });
          }
        }
      });
    }
  }

  /**
   * `on_config_sync`: the partitions this node serves, and the consistency check of what it stores.
   * A replica of an app or partition the meta does not know is the crash of docs/pegasus-internals.md §5.1.
   */
  onConfigSync(node: string, stored: ReplicaInfo[]): { err: string; partitions: { info: AppInfo; config: PartitionConfig }[]; gc_replicas: string[] } {
    const partitions: { info: AppInfo; config: PartitionConfig }[] = [];
    let busy = false;
    for (const app of this.apps.values()) {
      app.partitions.forEach((pc, pidx) => {
        if (!isMember(pc, node)) return;
        const p = app.pending[pidx];
        if (p && p.node === node) busy = true;
        partitions.push({ info: app.info, config: pc });
      });
    }
    const gc: string[] = [];
    const level = this.d.effectiveLevel();
    for (const rep of stored) {
      const { appId, pidx } = parseGpid(rep.pid);
      const app = this.apps.get(appId);
      if (!app || pidx >= app.info.partition_count) {
        if (app && pidx < app.info.partition_count * 2 && rep.status === 'PS_ERROR') {
          gc.push(rep.pid);
          continue;
        }
        this.d.crash('server_state', `gpid(${rep.pid}) on node(${node}) is not exist on meta server, administrator should check consistency of meta data`);
      }
      // Replicas of a dropped table are deleted only once expire_second has passed and the level is
      // above steady (server_state::on_config_sync); until then they stay on disk, and `recover` can
      // bring the table back.
      if (app.info.status === 'AS_DROPPED') {
        if (app.info.expire_second === 0) {
          this.d.log.info('server_state', `gpid(${rep.pid}) on node(${node}) is of dropped table, but expire second is not specified, do not delete it for safety reason`);
        } else if (app.info.expire_second < Date.now() / 1000) {
          if (level <= LEVELS.steady) {
            this.d.log.info('server_state', `gpid(${rep.pid}) on node(${node}) is of dropped and expired table, but current function level is fl_${levelName(level)}, do not delete it for safety reason`);
          } else {
            gc.push(rep.pid);
            this.d.log.warn('server_state', `notify node(${node}) to gc replica(${rep.pid}) coz the app is dropped and expired`);
          }
        }
      }
    }
    return busy ? { err: 'ERR_BUSY', partitions: [], gc_replicas: gc } : { err: 'ERR_OK', partitions, gc_replicas: gc };
  }

  // ---------------------------------------------------------------- DDL

  private byName(name: string): AppState | undefined {
    for (const a of this.apps.values()) if (a.info.app_name === name && a.info.status !== 'AS_DROPPED') return a;
    return undefined;
  }

  async createApp(req: { app_name: string; app_type: string; partition_count: number; replica_count: number; success_if_exist: boolean; envs: Record<string, string>; is_stateful: boolean }): Promise<{ err: string; appid?: number }> {
    if (this.d.effectiveLevel() <= LEVELS.freezed) {
      this.d.log.error('server_state', 'current meta function level is freezed, since there are too few alive nodes');
      return { err: 'ERR_STATE_FREEZED' };
    }
    if (req.partition_count <= 0 || req.replica_count < 1 || req.replica_count > 5 || req.replica_count > this.d.aliveNodes().length) return { err: 'ERR_INVALID_PARAMETERS' };
    const existing = this.byName(req.app_name);
    if (existing) {
      if (existing.info.status === 'AS_CREATING') return { err: 'ERR_BUSY_CREATING' };
      if (existing.info.status === 'AS_DROPPING') return { err: 'ERR_BUSY_DROPPING' };
      if (!req.success_if_exist) return { err: 'ERR_APP_EXIST' };
      const e = existing.info;
      const same = e.partition_count === req.partition_count && e.app_type === req.app_type && e.is_stateful === req.is_stateful && e.max_replica_count === req.replica_count;
      return same ? { err: 'ERR_OK', appid: e.app_id } : { err: 'ERR_INVALID_PARAMETERS' };
    }
    const id = Math.max(0, ...this.apps.keys()) + 1;
    const info: AppInfo = {
      status: 'AS_CREATING',
      app_type: req.app_type,
      app_name: req.app_name,
      app_id: id,
      partition_count: req.partition_count,
      envs: { ...req.envs },
      is_stateful: req.is_stateful,
      max_replica_count: req.replica_count,
      expire_second: 0,
      create_second: Math.floor(Date.now() / 1000),
      drop_second: 0,
      duplicating: false,
      init_partition_count: req.partition_count,
      is_bulk_loading: false,
    };
    const partitions = Array.from({ length: req.partition_count }, (_, i) => emptyPartition(id, i, req.replica_count));
    const app: AppState = { info, partitions, pending: partitions.map(() => undefined), dropTimes: partitions.map(() => new Map()), proposed: partitions.map(() => undefined), onDropped: [] };
    this.apps.set(id, app);
    this.d.log.info('server_state', `create app request, name(${req.app_name}), type(${req.app_type}), partition_count(${req.partition_count}), replica_count(${req.replica_count})`);
    await this.writeRetrying(`create app node ${this.store.appPath(id)}`, () => this.d.zk.create(this.store.appPath(id), Buffer.from(encodeAppInfo(info, 'AS_AVAILABLE'))), [ZK_CODE.NODE_EXISTS]);
    await this.store.createPartitionNodes(id, partitions);
    info.status = 'AS_AVAILABLE';
    this.d.log.info('server_state', `app(${info.app_name}(${id})) transfer from AS_CREATING to AS_AVAILABLE`);
    return { err: 'ERR_OK', appid: id };
  }

  /** Drop: the app node is rewritten as AS_DROPPED at once (no level gate); the partition drops are level-gated updates. */
  async dropApp(name: string, reserveSeconds: number): Promise<{ err: string }> {
    const app = this.byName(name);
    if (!app) return { err: 'ERR_OK' }; // the shell sends success_if_not_exist = true
    if (app.info.status === 'AS_CREATING') return { err: 'ERR_BUSY_CREATING' };
    if (app.info.status === 'AS_DROPPING') return { err: 'ERR_BUSY_DROPPING' };
    const now = Math.floor(Date.now() / 1000);
    app.info.status = 'AS_DROPPING';
    app.info.drop_second = now;
    app.info.expire_second = now + (reserveSeconds > 0 ? reserveSeconds : this.d.cfg.holdSecondsForDroppedApp);
    const done = new Promise<void>((r) => app.onDropped.push(r));
    await this.writeRetrying(`drop app ${name}`, () => this.d.zk.setData(this.store.appPath(app.info.app_id), Buffer.from(encodeAppInfo(app.info, 'AS_DROPPED'))), []);
    app.partitions.forEach((pc, i) => {
      if (app.pending[i]) this.d.log.warn('server_state', `gpid(${pc.pid}) is syncing another request with remote, cancel it due to partition is dropped`);
      this.requestUpdate(app, i, { type: 'CT_DROP_PARTITION', node: pc.primary });
    });
    await done;
    return { err: 'ERR_OK' };
  }

  private async writeRetrying(what: string, op: () => Promise<unknown>, okCodes: number[]): Promise<void> {
    for (;;) {
      try {
        await op();
        return;
      } catch (e) {
        if (okCodes.includes(zkCode(e) ?? 0)) return;
        if (isZkTimeout(e)) {
          this.d.log.warn('server_state', `${what}: the storage service is not available currently, continue later`);
          await sleep(1000);
          continue;
        }
        this.d.crash('server_state', `we can't handle this right now, err(${pegasusError(e)}) (${what})`);
      }
    }
  }

  /** The live app named `name` (not dropped). */
  appByName(name: string): AppInfo | undefined {
    return this.byName(name)?.info;
  }

  /** Rewrite an app node from its in-memory app_info (e.g. `duplicating`, `is_bulk_loading`). */
  async writeAppInfo(info: AppInfo): Promise<void> {
    await this.writeRetrying(`update app ${info.app_name}`, () => this.d.zk.setData(this.store.appPath(info.app_id), Buffer.from(encodeAppInfo(info))), []);
  }

  // ---------------------------------------------------------------- queries

  listApps(status: string): AppInfo[] {
    return [...this.apps.values()].filter((a) => status === 'AS_INVALID' || a.info.status === status).map((a) => ({ ...a.info }));
  }

  queryConfigByIndex(name: string): { err: string; app_id?: number; partition_count?: number; partitions?: PartitionConfig[] } {
    const app = this.byName(name);
    if (!app) return { err: 'ERR_OBJECT_NOT_FOUND' };
    if (app.info.status === 'AS_CREATING') return { err: 'ERR_BUSY_CREATING' };
    if (app.info.status === 'AS_DROPPING') return { err: 'ERR_BUSY_DROPPING' };
    return { err: 'ERR_OK', app_id: app.info.app_id, partition_count: app.info.partition_count, partitions: app.partitions.map((p) => ({ ...p })) };
  }

  /** greedy_load_balancer::score: stddev of primary and total counts over alive nodes serving something. */
  balanceScore(): { primary: number; total: number } {
    const loads = this.allLoads();
    const nodes = new Set<string>([...this.configNodes(), ...this.d.aliveNodes()]);
    const prim: number[] = [];
    const tot: number[] = [];
    let primPartial = false;
    let totPartial = false;
    for (const n of nodes) {
      const l = loads.get(n) ?? { primaries: 0, total: 0 };
      if (this.d.isAlive(n)) {
        if (l.total !== 0) {
          prim.push(l.primaries);
          tot.push(l.total);
        }
      } else {
        if (l.primaries !== 0) primPartial = true;
        if (l.total !== 0) totPartial = true;
      }
    }
    if (prim.length <= 1 || tot.length <= 1) return { primary: 0, total: 0 };
    return { primary: meanStddev(prim, primPartial), total: meanStddev(tot, totPartial) };
  }

  unhealthyCount(): number {
    let n = 0;
    for (const app of this.apps.values()) if (app.info.status === 'AS_AVAILABLE') for (const pc of app.partitions) if (pc.primary === INVALID_ADDRESS || replicaCount(pc) < pc.max_replica_count) n++;
    return n;
  }
}

/** How long a sent proposal counts in a node's load (the guardian resends it on its next tick anyway). */
const PROPOSAL_TTL_MS = 5000;

function addLoad(loads: Map<string, { primaries: number; total: number }>, pc: PartitionConfig, sign: 1 | -1): void {
  const bump = (node: string, primary: boolean): void => {
    if (node === INVALID_ADDRESS) return;
    const l = loads.get(node) ?? { primaries: 0, total: 0 };
    if (primary) l.primaries += sign;
    l.total += sign;
    loads.set(node, l);
  };
  bump(pc.primary, true);
  for (const n of pc.secondaries) bump(n, false);
}

/** `is_partition_config_equal`: same ballot, members, decree and flags (last_drops are not compared). */
function samePartitionConfig(a: PartitionConfig, b: PartitionConfig): boolean {
  return (
    a.ballot === b.ballot &&
    a.primary === b.primary &&
    a.secondaries.join() === b.secondaries.join() &&
    a.max_replica_count === b.max_replica_count &&
    a.last_committed_decree === b.last_committed_decree &&
    a.partition_flags === b.partition_flags
  );
}

/** `maintain_drops` for a replica's request: upgrades take the node out of last_drops, removals push it. */
function maintainDropsTolerant(drops: string[], node: string, type: string): void {
  const i = drops.indexOf(node);
  if (i >= 0) drops.splice(i, 1);
  if (type === 'CT_DOWNGRADE_TO_INACTIVE' || type === 'CT_REMOVE') {
    drops.push(node);
    if (drops.length > 3) drops.shift();
  }
}

/** utils::mean_stddev, including its rounding to 2 decimals. */
export function meanStddev(xs: number[], partialSample: boolean): number {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const accum = xs.reduce((a, x) => a + (x - mean) * (x - mean), 0);
  const sd = Math.sqrt(accum / (partialSample ? xs.length - 1 : xs.length));
  return Math.trunc((sd + 0.005) * 100) / 100;
}
