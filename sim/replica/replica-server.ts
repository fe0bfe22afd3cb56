import { INVALID_ADDRESS, tryParseAddress } from '../common/address';
import { ReplicaConfig } from '../common/config';
import { EXIT, Logger, exitProcess } from '../common/log';
import { RemoteCommands } from '../common/remote-commands';
import { Handler, call, callPooled, serve, sleep } from '../common/rpc';
import { AppInfo, PC_FLAG_DROPPED, PartitionConfig, PartitionStatus, clonePartition } from '../common/types';
import { OutputFormat } from '../common/version';
import { ReplicaStore, StoredReplica } from './replica-store';

/**
 * One simulated replica server (replica_stub + the worker side of the failure detector). It never
 * talks to ZooKeeper: it beacons the meta servers of `[meta_server] server_list` every
 * `fd_beacon_interval_seconds`, follows the leader a follower names in its ack, turns every replica
 * PS_INACTIVE when no leader has acked for `fd_lease_seconds`, syncs its replicas with the leader every
 * `config_sync_interval_ms` (and at once after connecting), applies the configs the leader pushes, and
 * answers the two recovery queries from its durable store.
 */
export class ReplicaServer {
  private readonly store: ReplicaStore;
  private readonly commands: RemoteCommands;
  private readonly startMs = Date.now();
  private target = 0;
  private targetAddr: string;
  private leader: string | undefined;
  private lastAck = 0;
  /** Replicas whose PS_INACTIVE is transient (loaded at start, lost the meta, reconfiguring). */
  private readonly transient = new Set<string>();
  /** Update requests on their way to the meta, by gpid (`_primary_states.reconfiguration_task`). */
  private readonly inflight = new Map<string, unknown>();
  /** Primaries with a learner in progress. */
  private readonly learners = new Set<string>();

  constructor(
    readonly cfg: ReplicaConfig,
    private readonly log: Logger,
  ) {
    this.store = new ReplicaStore(cfg.dataDir);
    this.commands = new RemoteCommands(this.startMs, 'replica');
    this.targetAddr = cfg.serverList[0]!;
  }

  async run(): Promise<void> {
    this.log.info('main', `pegasus server starting, pid(${process.pid}), version(Pegasus Server 2.5.0 simulator), config(${this.cfg.file})`);
    for (const w of this.cfg.warnings) this.log.warn('config', w);
    this.store.load();
    for (const pid of this.store.replicas.keys()) this.transient.add(pid);
    this.log.info('replica_stub', `load replicas from ${this.store.file}: ${this.store.replicas.size} replicas`);
    try {
      await serve(this.cfg.port, this.handlers());
    } catch (e) {
      this.log.fatal('main', `start app failed, cannot listen on ${this.cfg.address}: ${(e as Error).message}`);
      exitProcess(EXIT.START_FAILED);
    }
    this.log.info('replica_stub', `rpc server listening on ${this.cfg.address}`);
    const fd = this.cfg.fd;
    const every = (ms: number, fn: () => unknown): void => {
      const t = setInterval(() => void fn(), Math.max(200, ms));
      t.unref();
    };
    every(fd.beaconIntervalSeconds * 1000, () => this.beacon());
    every(fd.checkIntervalSeconds * 1000, () => this.checkLease());
    every(this.cfg.configSyncIntervalMs, () => this.configSync());
    every(this.cfg.groupCheckIntervalMs, () => this.groupCheck());
    void this.beacon();
    // Keep the process alive: the timers above are unref'd so tests can exit cleanly.
    setInterval(() => undefined, 1 << 30);
  }

  private handlers(): Map<string, Handler> {
    const h = new Map<string, Handler>();
    h.set('query_app_info', async () => ({ err: 'ERR_OK', apps: this.store.apps() }));
    h.set('query_replica_info', async () => ({ err: 'ERR_OK', replicas: this.store.infos() }));
    h.set('config_update', async (p) => {
      if (this.onConfigSync(p.info as AppInfo, p.config as PartitionConfig)) this.store.save();
      return { err: 'ERR_OK' };
    });
    h.set('config_proposal', async (p) => {
      this.onConfigProposal(p.info as AppInfo, String(p.type), String(p.node), p.config as PartitionConfig);
      return { err: 'ERR_OK' };
    });
    h.set('group_check', async (p) => ({ err: 'ERR_OK', results: this.onGroupCheck((p.checks as never[]) ?? []) }));
    h.set('add_learner', async (p) => this.onAddLearner(p.info as AppInfo, p.config as PartitionConfig));
    h.set('remote_command', async (p) => ({
      err: 'ERR_OK',
      result: this.commands.run(String(p.cmd), (p.args as string[]) ?? [], (p.format as OutputFormat) ?? 'v2.5.0'),
    }));
    return h;
  }

  private async beacon(): Promise<void> {
    const to = this.targetAddr;
    const r = await call(to, 'beacon', { from: this.cfg.address, start_time: this.startMs, time: Date.now() }, Math.max(1000, this.cfg.fd.beaconIntervalSeconds * 1000));
    if (r.transport !== 'ERR_OK') {
      this.switchTarget(undefined);
      return;
    }
    if (r.body.is_master === true) {
      this.lastAck = Date.now();
      if (this.leader !== to) {
        this.log.info('replica_stub', `master connected: ${to}`);
        this.leader = to;
        await this.configSync();
      }
      return;
    }
    this.switchTarget(tryParseAddress(String(r.body.primary_node ?? INVALID_ADDRESS)));
  }

  /** The FD slave moves to the leader a follower named, or to the next meta in server_list. */
  private switchTarget(hint: string | undefined): void {
    if (hint && hint !== this.targetAddr) {
      this.targetAddr = hint;
      return;
    }
    this.target = (this.target + 1) % this.cfg.serverList.length;
    this.targetAddr = this.cfg.serverList[this.target]!;
  }

  private checkLease(): void {
    if (this.leader === undefined) return;
    if (Date.now() - this.lastAck <= this.cfg.fd.leaseSeconds * 1000) return;
    this.log.warn('replica_stub', `master ${this.leader} disconnected: no beacon ack for ${this.cfg.fd.leaseSeconds} s, all replicas turn PS_INACTIVE`);
    this.leader = undefined;
    for (const [pid, r] of this.store.replicas) {
      r.status = 'PS_INACTIVE';
      this.transient.add(pid);
    }
    this.inflight.clear();
  }

  private async configSync(): Promise<void> {
    const leader = this.leader;
    if (!leader) return;
    const stored = this.store.infos();
    // Ballots as sent: a replica whose ballot moved while the sync was on its way (an update reply
    // arrived first) is newer than the meta's list and is not closed by it.
    const sentBallots = new Map(stored.map((i) => [i.pid, i.ballot]));
    const r = await call(leader, 'config_sync', { node: this.cfg.address, stored_replicas: stored }, 10000);
    // replica_stub::on_node_query_reply: the replicas the meta says to garbage-collect are removed.
    const gc = r.transport === 'ERR_OK' ? ((r.body.gc_replicas as string[]) ?? []) : [];
    if (gc.length) {
      for (const pid of gc) {
        if (this.store.replicas.delete(pid)) this.log.info('replica_stub', `gc replica ${pid} as the meta server told (dropped and expired)`);
      }
      this.store.save();
    }
    if (r.transport !== 'ERR_OK' || r.body.err !== 'ERR_OK') {
      if (r.transport === 'ERR_OK' && r.body.err !== 'ERR_BUSY') this.log.info('replica_stub', `config sync with ${leader}: ${String(r.body.err)}`);
      return;
    }
    const parts = (r.body.partitions as { info: AppInfo; config: PartitionConfig }[]) ?? [];
    let changed = false;
    const served = new Set<string>();
    for (const p of parts) {
      served.add(p.config.pid);
      changed = this.onConfigSync(p.info, p.config) || changed;
    }
    // Replicas the meta does not list for this node are closed (replica_stub::on_node_query_reply_scatter2),
    // learners excepted; the simulator keeps their data and marks them inactive.
    for (const [pid, rep] of this.store.replicas) {
      if (!served.has(pid) && (rep.status === 'PS_PRIMARY' || rep.status === 'PS_SECONDARY') && !this.inflight.has(pid) && sentBallots.get(pid) === rep.ballot) {
        rep.status = 'PS_INACTIVE';
        this.transient.delete(pid);
        changed = true;
      }
    }
    if (changed) this.store.save();
  }

  /**
   * `replica::on_config_sync` (src/replica/replica_config.cpp): a config whose ballot is lower than the
   * replica's own is ignored ("no outdated update"); a primary under reconfiguration skips the sync.
   * Returns whether durable state changed.
   */
  private onConfigSync(info: AppInfo, pc: PartitionConfig): boolean {
    const cur = this.store.replicas.get(pc.pid);
    if (cur && pc.ballot < cur.ballot) return false;
    if (cur && this.inflight.has(pc.pid)) {
      if (pc.ballot <= cur.ballot) return false;
      // A newer config than the one we asked for: the meta moved on; our request is moot.
      this.inflight.delete(pc.pid);
    }
    return this.updateConfiguration(info, pc);
  }

  /** The role `pc` gives this node (replica_helper::get_replica_config). */
  private roleIn(pc: PartitionConfig): PartitionStatus {
    const me = this.cfg.address;
    if ((pc.partition_flags & PC_FLAG_DROPPED) !== 0) return 'PS_INACTIVE';
    return pc.primary === me ? 'PS_PRIMARY' : pc.secondaries.includes(me) ? 'PS_SECONDARY' : 'PS_INACTIVE';
  }

  /**
   * `replica::update_configuration` + `is_same_ballot_status_change_allowed`: take a config whose ballot
   * is higher than ours, or the same ballot when the status change is one Pegasus allows (a learner
   * turning secondary; a transiently inactive replica getting its role back after a restart or a lost
   * meta). Returns whether durable state changed.
   */
  private updateConfiguration(info: AppInfo, pc: PartitionConfig): boolean {
    const role = this.roleIn(pc);
    const cur = this.store.replicas.get(pc.pid);
    if (!cur) {
      if (role === 'PS_INACTIVE') return false;
      this.log.info('replica_stub', `new replica ${pc.pid} of app ${info.app_name} as ${role}, ballot ${pc.ballot}`);
      this.store.replicas.set(pc.pid, {
        app: { ...info, status: 'AS_AVAILABLE' },
        ballot: pc.ballot,
        last_committed_decree: pc.last_committed_decree,
        last_prepared_decree: pc.last_committed_decree + (role === 'PS_PRIMARY' ? 1 : 0),
        last_durable_decree: pc.last_committed_decree,
        status: role,
        config: clonePartition(pc),
      });
      return true;
    }
    if (pc.ballot < cur.ballot) return false;
    if (pc.ballot === cur.ballot && !this.sameBallotAllowed(pc.pid, cur.status, role)) return false;
    // A primary always has a write prepared ahead of what it committed; secondaries have not seen it
    // yet. That is what makes `recover` pick the old primary again (drop lists sort by ballot, then
    // committed, then prepared decree), as it usually does in a real cluster.
    const lpd = role === 'PS_PRIMARY' ? cur.last_committed_decree + 1 : cur.last_committed_decree;
    const same = cur.status === role && cur.ballot === pc.ballot && cur.last_prepared_decree === lpd && sameConfig(cur.config, pc);
    if (role !== 'PS_INACTIVE') this.transient.delete(pc.pid);
    if (same) return false;
    if (cur.ballot !== pc.ballot || cur.status !== role) this.log.info(`replica ${pc.pid}`, `update status from ${cur.status} to ${role}, ballot from ${cur.ballot} to ${pc.ballot}`);
    cur.status = role;
    cur.ballot = pc.ballot;
    cur.config = clonePartition(pc);
    if (role === 'PS_INACTIVE') this.transient.delete(pc.pid);
    if (role !== 'PS_INACTIVE') cur.last_prepared_decree = lpd;
    return true;
  }

  private sameBallotAllowed(pid: string, olds: PartitionStatus, news: PartitionStatus): boolean {
    if (olds === news) return true;
    if (olds === 'PS_POTENTIAL_SECONDARY' && news === 'PS_SECONDARY') return true;
    return olds === 'PS_INACTIVE' && (news === 'PS_SECONDARY' || news === 'PS_PRIMARY') && this.transient.has(pid);
  }

  // ---------------------------------------------------------------- reconfiguration (replica_config.cpp)

  /**
   * `replica_stub::on_config_proposal` + `replica::on_config_proposal`: the meta proposes, the replica
   * decides. An out-dated proposal (ballot below ours) is ignored, which is what leaves a meta that
   * lost ballots unable to repair anything.
   */
  private onConfigProposal(info: AppInfo, type: string, node: string, config: PartitionConfig): void {
    let cur = this.store.replicas.get(config.pid);
    if (!cur) {
      if (type !== 'CT_ASSIGN_PRIMARY') return;
      // A new partition: open an empty replica (ballot 0) to become its primary.
      cur = { app: { ...info, status: 'AS_AVAILABLE' }, ballot: 0, last_committed_decree: 0, last_prepared_decree: 0, last_durable_decree: 0, status: 'PS_INACTIVE' };
      this.store.replicas.set(config.pid, cur);
      this.transient.add(config.pid);
    }
    const tag = `replica ${config.pid}`;
    this.log.info(tag, `process config proposal ${type} for ${node}`);
    if (config.ballot < cur.ballot) {
      this.log.warn(tag, `on_config_proposal out-dated, ${config.ballot} vs ${cur.ballot}`);
      return;
    }
    if (this.inflight.has(config.pid)) return; // reconfiguration on the way
    if (config.ballot > cur.ballot && !this.updateConfiguration(info, config)) return;
    const me = this.cfg.address;
    switch (type) {
      case 'CT_ASSIGN_PRIMARY':
      case 'CT_UPGRADE_TO_PRIMARY': {
        if (cur.status === 'PS_PRIMARY') return this.log.warn(tag, `invalid assgin primary proposal as the node is in ${cur.status}`);
        if (type === 'CT_UPGRADE_TO_PRIMARY' && cur.status !== 'PS_SECONDARY') {
          return this.log.warn(tag, `invalid upgrade to primary proposal as the node is in ${cur.status} or during checkpointing`);
        }
        const next = clonePartition(config);
        next.primary = me;
        next.secondaries = next.secondaries.filter((s) => s !== me);
        void this.updateOnMeta(cur, type, me, next);
        return;
      }
      case 'CT_ADD_SECONDARY':
        if (cur.status !== 'PS_PRIMARY' || config.ballot !== cur.ballot) return;
        void this.addPotentialSecondary(cur, node);
        return;
      case 'CT_DOWNGRADE_TO_INACTIVE':
      case 'CT_REMOVE':
        if (cur.status !== 'PS_PRIMARY' || config.ballot !== cur.ballot) return;
        this.downgradeOnPrimary(cur, type, node);
        return;
    }
  }

  /** `downgrade_to_inactive_on_primary` / `remove`: drop `node` from our membership through the meta. */
  private downgradeOnPrimary(cur: StoredReplica, type: string, node: string): void {
    const next = clonePartition(cur.config!);
    if (next.primary === node) next.primary = INVALID_ADDRESS;
    else next.secondaries = next.secondaries.filter((s) => s !== node);
    void this.updateOnMeta(cur, type, node, next);
  }

  /**
   * `add_potential_secondary` + the learner's completion: the candidate learns from us (it stays
   * PS_POTENTIAL_SECONDARY meanwhile), then we ask the meta for CT_UPGRADE_TO_SECONDARY at ballot + 1.
   */
  private async addPotentialSecondary(cur: StoredReplica, node: string): Promise<void> {
    const pid = cur.config!.pid;
    if (this.learners.has(pid)) return; // one learner at a time, as potential_secondaries_count limits it
    this.learners.add(pid);
    try {
      const ballot = cur.ballot;
      this.log.info(`replica ${pid}`, `call RPC_LEARN_ADD_LEARNER to ${node} at ballot ${ballot}`);
      const r = await callPooled(node, 'add_learner', { info: cur.app, config: cur.config, primary: this.cfg.address }, 3_600_000);
      if (r.transport !== 'ERR_OK' || r.body.err !== 'ERR_OK') {
        this.log.info(`replica ${pid}`, `remove learner ${node} for remote failure: ${r.transport !== 'ERR_OK' ? r.transport : String(r.body.err)}`);
        return;
      }
      if (cur.status !== 'PS_PRIMARY' || cur.ballot !== ballot || this.inflight.has(pid)) return;
      const next = clonePartition(cur.config!);
      if (!next.secondaries.includes(node)) next.secondaries.push(node);
      await this.updateOnMeta(cur, 'CT_UPGRADE_TO_SECONDARY', node, next);
    } finally {
      this.learners.delete(pid);
    }
  }

  /**
   * `update_configuration_on_meta_server` + its reply handler: the replica turns PS_INACTIVE
   * (write-unavailable) and asks the meta for `newConfig` with ballot + 1, retrying every second on any
   * error but ERR_INVALID_VERSION. On the reply it takes the meta's config unless that config's ballot
   * is below its own, in which case it stays inactive: a meta whose ballots went backwards can never
   * bring it back.
   */
  private async updateOnMeta(cur: StoredReplica, type: string, node: string, newConfig: PartitionConfig): Promise<void> {
    const pid = newConfig.pid;
    const tag = `replica ${pid}`;
    cur.status = 'PS_INACTIVE';
    this.transient.add(pid);
    const req = { info: cur.app, type, node, config: { ...clonePartition(newConfig), ballot: cur.ballot + 1, last_committed_decree: cur.last_committed_decree } };
    this.inflight.set(pid, req);
    this.store.save();
    this.log.info(tag, `send update configuration request to meta server, ballot = ${req.config.ballot}, type = ${type}, node = ${node}`);
    for (;;) {
      if (this.inflight.get(pid) !== req) return;
      const target = this.leader ?? this.targetAddr;
      const r = await callPooled(target, 'update_configuration', req, 10000);
      if (this.inflight.get(pid) !== req || cur.status !== 'PS_INACTIVE') return;
      const err = r.transport !== 'ERR_OK' ? r.transport : String(r.body.err);
      if (err !== 'ERR_OK') {
        this.log.info(tag, `update configuration reply with err ${err}, request ballot ${req.config.ballot}`);
        if (err !== 'ERR_INVALID_VERSION') {
          await sleep(1000);
          continue;
        }
      }
      const resp = r.body.config as PartitionConfig;
      this.log.info(tag, `update configuration ${type}, reply with err ${err}, ballot ${resp.ballot}, local ballot ${cur.ballot}, local status ${cur.status}`);
      this.inflight.delete(pid);
      if (resp.ballot < cur.ballot) return;
      if (this.updateConfiguration(cur.app, resp)) this.store.save();
      return;
    }
  }

  /**
   * `broadcast_group_check` every `group_check_interval_ms`: a primary checks its secondaries (one call
   * per node here); a secondary that does not answer is a remote failure, and the primary asks the meta
   * to downgrade it (`handle_remote_failure`, src/replica/replica_failover.cpp). This is how a dead
   * secondary leaves the config even when the meta does nothing.
   */
  private async groupCheck(): Promise<void> {
    const byNode = new Map<string, { pid: string; ballot: number }[]>();
    for (const [pid, rep] of this.store.replicas) {
      if (rep.status !== 'PS_PRIMARY' || !rep.config || this.inflight.has(pid)) continue;
      for (const s of rep.config.secondaries) {
        const l = byNode.get(s) ?? [];
        l.push({ pid, ballot: rep.ballot });
        byNode.set(s, l);
      }
    }
    await Promise.all(
      [...byNode].map(async ([node, checks]) => {
        const r = await callPooled(node, 'group_check', { primary: this.cfg.address, checks: checks.map((c) => ({ ...c, config: this.store.replicas.get(c.pid)!.config, info: this.store.replicas.get(c.pid)!.app })) }, Math.max(1000, this.cfg.groupCheckIntervalMs));
        const results = (r.transport === 'ERR_OK' ? (r.body.results as Record<string, string>) : undefined) ?? {};
        for (const c of checks) {
          const err = r.transport !== 'ERR_OK' ? 'ERR_NETWORK_FAILURE' : (results[c.pid] ?? 'ERR_OBJECT_NOT_FOUND');
          if (err === 'ERR_OK' || err === 'ERR_VERSION_OUTDATED') continue;
          const rep = this.store.replicas.get(c.pid);
          if (!rep || rep.status !== 'PS_PRIMARY' || rep.ballot !== c.ballot || this.inflight.has(c.pid) || !rep.config?.secondaries.includes(node)) continue;
          this.log.error(`replica ${c.pid}`, `handle remote failure caused by group check, error = ${err}, status = PS_SECONDARY, node = ${node}`);
          this.downgradeOnPrimary(rep, 'CT_DOWNGRADE_TO_INACTIVE', node);
        }
      }),
    );
  }

  /** `replica::on_group_check` on the secondary side. */
  private onGroupCheck(checks: { pid: string; ballot: number; config: PartitionConfig; info: AppInfo }[]): Record<string, string> {
    const out: Record<string, string> = {};
    let changed = false;
    for (const c of checks) {
      const rep = this.store.replicas.get(c.pid);
      if (!rep) {
        out[c.pid] = 'ERR_OBJECT_NOT_FOUND';
        continue;
      }
      if (c.ballot < rep.ballot) {
        out[c.pid] = 'ERR_VERSION_OUTDATED';
        continue;
      }
      changed = this.updateConfiguration(c.info, c.config) || changed;
      out[c.pid] = rep.status === 'PS_ERROR' ? 'ERR_INVALID_STATE' : 'ERR_OK';
    }
    if (changed) this.store.save();
    return out;
  }

  /** The learner side of RPC_LEARN_ADD_LEARNER: become PS_POTENTIAL_SECONDARY and learn. */
  private async onAddLearner(info: AppInfo, config: PartitionConfig): Promise<Record<string, unknown>> {
    let rep = this.store.replicas.get(config.pid);
    if (rep && config.ballot < rep.ballot) return { err: 'ERR_VERSION_OUTDATED' };
    if (rep?.status === 'PS_PRIMARY' || rep?.status === 'PS_SECONDARY') return { err: 'ERR_INVALID_STATE' };
    if (!rep) {
      rep = { app: { ...info, status: 'AS_AVAILABLE' }, ballot: config.ballot, last_committed_decree: 0, last_prepared_decree: 0, last_durable_decree: 0, status: 'PS_POTENTIAL_SECONDARY' };
      this.store.replicas.set(config.pid, rep);
    }
    rep.status = 'PS_POTENTIAL_SECONDARY';
    rep.ballot = config.ballot;
    rep.config = clonePartition(config);
    this.store.save();
    // Learning copies the table's data from the primary (replica_learn.cpp); the simulator only waits
    // `table_data_gb * learn_seconds_per_gb`. The meta counts the secondary once the primary reports it.
    const gb = this.cfg.tableDataGb.get(info.app_name) ?? 0;
    const ms = Math.round(gb * this.cfg.learnSecondsPerGb * 1000);
    const tag = `replica ${config.pid}`;
    this.log.info(tag, `start learning from ${String(config.primary)}: ${gb} GB, ${ms} ms`);
    if (ms > 0) await sleep(ms);
    const now = this.store.replicas.get(config.pid);
    if (now !== rep || rep.status !== 'PS_POTENTIAL_SECONDARY' || rep.ballot !== config.ballot) return { err: 'ERR_INVALID_STATE' };
    rep.last_committed_decree = Math.max(rep.last_committed_decree, config.last_committed_decree);
    rep.last_prepared_decree = rep.last_committed_decree;
    rep.last_durable_decree = rep.last_committed_decree;
    this.store.save();
    this.log.info(tag, `learning completed after ${ms} ms, learner ready for secondary`);
    return { err: 'ERR_OK' };
  }
}

function sameConfig(a: PartitionConfig | undefined, b: PartitionConfig): boolean {
  return !!a && a.ballot === b.ballot && a.primary === b.primary && a.secondaries.join() === b.secondaries.join() && a.last_drops.join() === b.last_drops.join() && a.partition_flags === b.partition_flags;
}
