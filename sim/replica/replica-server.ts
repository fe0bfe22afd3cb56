import { INVALID_ADDRESS, tryParseAddress } from '../common/address';
import { ReplicaConfig } from '../common/config';
import { EXIT, Logger, exitProcess } from '../common/log';
import { RemoteCommands } from '../common/remote-commands';
import { Handler, call, serve } from '../common/rpc';
import { AppInfo, PC_FLAG_DROPPED, PartitionConfig } from '../common/types';
import { OutputFormat } from '../common/version';
import { ReplicaStore } from './replica-store';

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
    void this.beacon();
    // Keep the process alive: the timers above are unref'd so tests can exit cleanly.
    setInterval(() => undefined, 1 << 30);
  }

  private handlers(): Map<string, Handler> {
    const h = new Map<string, Handler>();
    h.set('query_app_info', async () => ({ err: 'ERR_OK', apps: this.store.apps() }));
    h.set('query_replica_info', async () => ({ err: 'ERR_OK', replicas: this.store.infos() }));
    h.set('config_update', async (p) => {
      if (this.apply(p.info as AppInfo, p.config as PartitionConfig)) this.store.save();
      return { err: 'ERR_OK' };
    });
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
    for (const r of this.store.replicas.values()) r.status = 'PS_INACTIVE';
  }

  private async configSync(): Promise<void> {
    const leader = this.leader;
    if (!leader) return;
    const r = await call(leader, 'config_sync', { node: this.cfg.address, stored_replicas: this.store.infos() }, 10000);
    if (r.transport !== 'ERR_OK' || r.body.err !== 'ERR_OK') {
      if (r.transport === 'ERR_OK' && r.body.err !== 'ERR_BUSY') this.log.info('replica_stub', `config sync with ${leader}: ${String(r.body.err)}`);
      return;
    }
    const parts = (r.body.partitions as { info: AppInfo; config: PartitionConfig }[]) ?? [];
    let changed = false;
    const served = new Set<string>();
    for (const p of parts) {
      served.add(p.config.pid);
      changed = this.apply(p.info, p.config) || changed;
    }
    // Replicas the meta does not list for this node are no longer served here; keep their data.
    for (const [pid, rep] of this.store.replicas) {
      if (!served.has(pid) && (rep.status === 'PS_PRIMARY' || rep.status === 'PS_SECONDARY')) {
        rep.status = 'PS_INACTIVE';
        changed = true;
      }
    }
    if (changed) this.store.save();
  }

  /** Follow one partition config; returns whether durable state changed. */
  private apply(info: AppInfo, pc: PartitionConfig): boolean {
    const me = this.cfg.address;
    const role = (pc.partition_flags & PC_FLAG_DROPPED) !== 0 ? undefined : pc.primary === me ? 'PS_PRIMARY' : pc.secondaries.includes(me) ? 'PS_SECONDARY' : undefined;
    const cur = this.store.replicas.get(pc.pid);
    if (!role) {
      if (cur && cur.status !== 'PS_INACTIVE') {
        cur.status = 'PS_INACTIVE';
        return true;
      }
      return false;
    }
    if (!cur) {
      this.log.info('replica_stub', `new replica ${pc.pid} of app ${info.app_name} as ${role}, ballot ${pc.ballot}`);
      this.store.replicas.set(pc.pid, {
        app: { ...info, status: 'AS_AVAILABLE' },
        ballot: pc.ballot,
        last_committed_decree: pc.last_committed_decree,
        last_prepared_decree: pc.last_committed_decree + (role === 'PS_PRIMARY' ? 1 : 0),
        last_durable_decree: pc.last_committed_decree,
        status: role,
      });
      return true;
    }
    // A primary always has a write prepared ahead of what it committed; secondaries have not seen it
    // yet. That is what makes `recover` pick the old primary again (drop lists sort by ballot, then
    // committed, then prepared decree), as it usually does in a real cluster.
    const lpd = role === 'PS_PRIMARY' ? cur.last_committed_decree + 1 : cur.last_committed_decree;
    if (cur.status === role && cur.ballot === pc.ballot && cur.last_prepared_decree === lpd) return false;
    cur.status = role;
    cur.ballot = Math.max(cur.ballot, pc.ballot);
    cur.last_prepared_decree = lpd;
    return true;
  }
}
