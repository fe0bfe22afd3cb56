import { ZK_CODE, ZkSession, zkCodeOf } from '../../shared/zk/client';
import { ZkError } from '../../shared/errors';
import { DefaultAppSection } from '../common/config';
import { Logger } from '../common/log';
import { sleep } from '../common/rpc';
import { AppInfo, PartitionConfig, decodeAppInfo, decodePartition, defaultAppInfo, emptyPartition, encodeAppInfo, encodePartition } from '../common/types';

/**
 * How the leader reads and bulk-writes `<cluster_root>/apps` (server_state.cpp v2.5.0,
 * sync_apps_from_remote_storage / sync_apps_to_remote_storage / initialize_default_apps;
 * docs/pegasus-internals.md §2.4). Every CHECK failure of the real code is a `crash` here.
 */

export const LOCK_STATE = 'lock';
export const UNLOCK_STATE = 'unlock';

export interface LoadedApp {
  /** Status in memory: AS_CREATING for AVAILABLE nodes, AS_DROPPING for DROPPED ones, until loaded. */
  info: AppInfo;
  partitions: PartitionConfig[];
}

export type Crash = (module: string, msg: string) => never;

export function zkCode(e: unknown): number | undefined {
  return e instanceof ZkError ? e.zkCode : zkCodeOf(e);
}

export function isZkTimeout(e: unknown): boolean {
  const c = zkCode(e);
  return c === ZK_CODE.CONNECTION_LOSS || c === ZK_CODE.OPERATION_TIMEOUT;
}

/** `from_zerror`: the Pegasus error code a ZooKeeper error turns into. */
export function pegasusError(e: unknown): string {
  switch (zkCode(e)) {
    case ZK_CODE.NO_NODE:
      return 'ERR_OBJECT_NOT_FOUND';
    case ZK_CODE.NODE_EXISTS:
      return 'ERR_NODE_ALREADY_EXIST';
    case ZK_CODE.CONNECTION_LOSS:
    case ZK_CODE.OPERATION_TIMEOUT:
      return 'ERR_TIMEOUT';
    case ZK_CODE.NOT_EMPTY:
      return 'ERR_DIR_NOT_EMPTY';
    case ZK_CODE.SESSION_EXPIRED:
      return 'ERR_SESSION_EXPIRED';
    default:
      return 'ERR_ZOOKEEPER_OPERATION';
  }
}

/**
 * Reads the leader keeps outstanding while loading the tree (see AppStore.load; a getData inside a
 * multiRead counts as one). Measured on 10,280 nodes with the client's own reply parser and one
 * getData per node: 1 → 6.4 s, 8 → 2.3 s, 32 → 1.0 s, 128 → 0.6 s, 256 → 1.0 s (it re-copied the
 * unread socket buffer for every reply, so a deeper queue cost more). With fast replies, raw reads
 * and multiRead batches of 100 (`npm run bench -- sim-load`, 100,255 nodes, load average about 6
 * on this 2-core machine): 128 → 1.3 s, 512 → 1.1 s, 1024 → 0.8 s; all at once costs more again.
 */
export const READ_WINDOW = 1000;

/** getData requests per multiRead (see AppStore.readAll). */
export const MULTI_READ_BATCH = 100;

/**
 * What the last `load` did: reads issued, the most outstanding at once, its duration, and the CPU
 * this process spent meanwhile (on a loaded machine `ms` is mostly waiting for a core; `cpuMs` is
 * what the load itself costs).
 */
export interface LoadStats {
  reads: number;
  /** ZooKeeper requests those reads took (fewer than `reads` with multiRead). */
  requests: number;
  maxOutstanding: number;
  ms: number;
  cpuMs: number;
}

export class AppStore {
  loadStats: LoadStats = { reads: 0, requests: 0, maxOutstanding: 0, ms: 0, cpuMs: 0 };

  constructor(
    private readonly zk: ZkSession,
    readonly appsRoot: string,
    private readonly log: Logger,
    private readonly crash: Crash,
    /** Reads in flight at most during `load`; 1 reads node by node. */
    readonly readWindow: number = READ_WINDOW,
    /** Batch the reads into multiRead requests when the ensemble answers them (see readAll); false sends one getData per node. */
    readonly multiRead = true,
  ) {}

  appPath(id: number): string {
    return `${this.appsRoot}/${id}`;
  }

  partitionPath(id: number, pidx: number): string {
    return `${this.appsRoot}/${id}/${pidx}`;
  }

  /**
   * Read every app and partition. Returns undefined for "no apps" (ERR_OBJECT_NOT_FOUND). Throws
   * (for the caller to retry, like Pegasus's loop around initialize_data_structure) on other ZooKeeper
   * errors; crashes on the states Pegasus refuses.
   *
   * The reads are pipelined, as in src/meta/server_state.cpp, server_state::sync_apps_from_remote_storage:
   * Pegasus issues every app's get_data and, in its callback, every partition's get_data through
   * meta_storage asynchronously, then waits for them all (`tracker.wait_outstanding_tasks()`). One read
   * at a time would cost a round trip per znode (tens of seconds for 100k znodes); a bounded window
   * (`readWindow`, default READ_WINDOW) keeps the client's queue and memory in check. The checks run
   * afterwards in path order, so which CHECK fires first on a tree with several bad nodes is
   * deterministic (Pegasus's order there depends on callback timing).
   */
  async load(): Promise<Map<number, LoadedApp> | undefined> {
    const t0 = Date.now();
    const cpu0 = process.cpuUsage();
    this.loadStats = { reads: 0, requests: 0, maxOutstanding: 0, ms: 0, cpuMs: 0 };
    let state: string;
    try {
      state = (await this.zk.getData(this.appsRoot)).data.toString('utf8');
    } catch (e) {
      if (zkCode(e) === ZK_CODE.NO_NODE) return undefined;
      this.crash('server_state', `can't handle this error (${pegasusError(e)})`);
    }
    if (state !== UNLOCK_STATE && state !== '') this.crash('server_state', `invalid transaction state(${state})`);
    const apps = new Map<number, LoadedApp>();
    const children = await this.zk.getChildren(this.appsRoot);
    const appTexts = await this.readAll(children.map((c) => `${this.appsRoot}/${c}`));
    const loaded: { appPath: string; app: LoadedApp; initCount: number }[] = [];
    children.forEach((child, k) => {
      const appPath = `${this.appsRoot}/${child}`;
      const text = appTexts[k];
      // The app node vanished between get_children and get_data: Pegasus's callback would fail the load.
      if (text === undefined) throw new ZkError(`get ${appPath}: no node`, { zkCode: ZK_CODE.NO_NODE, path: appPath });
      const info = decodeAppInfo(text);
      if (!info) this.crash('server_state', `invalid json data (${appPath})`);
      if (info.status === 'AS_AVAILABLE') info.status = 'AS_CREATING';
      else if (info.status === 'AS_DROPPED') info.status = 'AS_DROPPING';
      else this.crash('server_state', `invalid status(app_status::${info.status}) for app(${info.app_name}(${info.app_id})) in remote storage`);
      const app: LoadedApp = { info, partitions: [] };
      apps.set(info.app_id, app);
      loaded.push({ appPath, app, initCount: info.init_partition_count > 0 ? info.init_partition_count : info.partition_count });
    });
    const partPaths: string[] = [];
    for (const l of loaded) for (let i = 0; i < l.app.info.partition_count; i++) partPaths.push(`${l.appPath}/${i}`);
    const partTexts = await this.readAll(partPaths);
    let k = 0;
    for (const { appPath, app, initCount } of loaded) {
      const info = app.info;
      for (let i = 0; i < info.partition_count; i++) {
        const path = `${appPath}/${i}`;
        const text = partTexts[k++];
        let pc: PartitionConfig;
        if (text !== undefined) {
          // A decode failure leaves a default-constructed config (pid 0.0) in Pegasus.
          pc = decodePartition(text) ?? emptyPartition(0, 0, 0);
        } else if (i < initCount) {
          this.log.warn('server_state', `partition node ${path} not exist on remote storage, may half create before`);
          pc = emptyPartition(info.app_id, i, info.max_replica_count);
          await this.createPartitionNode(info.app_id, i, pc);
        } else {
          this.log.warn('server_state', `partition node ${path} not exist on remote storage, may half split before`);
          pc = { ...emptyPartition(info.app_id, i, info.max_replica_count), ballot: -1 };
        }
        if (pc.pid !== `${info.app_id}.${i}`) this.crash('server_state', `invalid partition config (${path} holds pid ${pc.pid})`);
        app.partitions.push(pc);
      }
    }
    this.loadStats.ms = Date.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    this.loadStats.cpuMs = Math.round((cpu.user + cpu.system) / 1000);
    return apps.size === 0 ? undefined : apps;
  }

  /**
   * get_data on every path with at most `readWindow` reads outstanding; a missing node gives
   * undefined, any other error rejects (after the reads in flight settle).
   *
   * Pegasus sends one get_data per node. Here, when the ensemble answers multiRead (ZooKeeper 3.6+),
   * up to MULTI_READ_BATCH of them go in one multiRead request, each still a read of its own (counted
   * as one in the window and in `reads`, failing on its own). The same nodes are read and checked;
   * what changes is the ZooKeeper server's cost: measured on 100,255 nodes on this 2-core machine,
   * the server spent about 7 s of CPU answering single getData requests and 0.3 s answering them in
   * multiReads of 100, and the simulator shares that machine with its ZooKeeper, where a real meta's
   * ensemble runs on hosts of its own.
   *
   * The window is refilled once per batch of replies (on setImmediate, after the replies that came
   * in one socket read have all been handled), in one corked burst: one write for many requests
   * instead of one syscall per reply.
   */
  private async readAll(paths: string[]): Promise<(string | undefined)[]> {
    const batch = this.multiRead && (await this.zk.multiReadSupported()) ? MULTI_READ_BATCH : 1;
    const out: (string | undefined)[] = new Array<string | undefined>(paths.length);
    const stats = this.loadStats;
    const window = Math.max(1, this.readWindow);
    let next = 0;
    let outstanding = 0;
    let failed: unknown;
    let scheduled = false;
    return new Promise((resolve, reject) => {
      const settle = (): boolean => {
        if (outstanding > 0) return false;
        if (failed !== undefined) reject(failed);
        else if (next >= paths.length) resolve(out);
        else return false;
        return true;
      };
      const issue = (from: number, n: number): void => {
        outstanding += n;
        stats.reads += n;
        stats.requests++;
        if (outstanding > stats.maxOutstanding) stats.maxOutstanding = outstanding;
        const done = (): void => {
          outstanding -= n;
          if (scheduled) return;
          scheduled = true;
          setImmediate(refill);
        };
        const fail = (e: unknown): void => {
          failed ??= e;
          done();
        };
        if (batch === 1) {
          this.zk.getDataText(paths[from]!).then(
            (text) => {
              out[from] = text;
              done();
            },
            (e: unknown) => (zkCode(e) === ZK_CODE.NO_NODE ? done() : fail(e)),
          );
        } else {
          this.zk.multiGetText(paths.slice(from, from + n)).then((texts) => {
            for (let i = 0; i < n; i++) out[from + i] = texts[i];
            done();
          }, fail);
        }
      };
      const refill = (): void => {
        scheduled = false;
        if (settle() || failed !== undefined) return;
        this.zk.burst(() => {
          for (;;) {
            const n = Math.min(batch, window - outstanding, paths.length - next);
            if (n <= 0) return;
            issue(next, n);
            next += n;
          }
        });
      };
      refill();
    });
  }

  /**
   * Every partition node of a new app, created asynchronously within the read window, as
   * src/meta/server_state.cpp, server_state::do_app_create issues `init_app_partition_node` for all
   * partitions at once and moves on when the last callback arrives.
   */
  async createPartitionNodes(appId: number, partitions: PartitionConfig[]): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < partitions.length) {
        const i = next++;
        await this.createPartitionNode(appId, i, partitions[i]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(Math.max(1, this.readWindow), partitions.length) }, worker));
  }

  /** `init_app_partition_node`: create (node-exists is fine), retry timeouts every 1 s, crash on anything else. */
  async createPartitionNode(appId: number, pidx: number, pc: PartitionConfig): Promise<void> {
    const path = this.partitionPath(appId, pidx);
    for (;;) {
      try {
        await this.zk.create(path, Buffer.from(encodePartition(pc)));
        return;
      } catch (e) {
        if (zkCode(e) === ZK_CODE.NODE_EXISTS) return;
        if (isZkTimeout(e)) {
          this.log.warn('server_state', `create partition node failed, gpid(${appId}.${pidx}), retry later`);
          await sleep(1000);
          continue;
        }
        this.crash('server_state', `we can't handle this error in init app partition nodes err(${pegasusError(e)}), gpid(${appId}.${pidx})`);
      }
    }
  }

  /**
   * `sync_apps_to_remote_storage`: `apps` = "lock", every app node, every partition node, then
   * "unlock". Returns the Pegasus error code; a crash in the middle leaves `apps` at "lock", as in
   * production.
   */
  async writeAll(apps: Map<number, LoadedApp>): Promise<string> {
    const names = new Set<string>();
    for (const a of apps.values()) {
      if (a.info.status !== 'AS_CREATING') continue;
      if (names.has(a.info.app_name)) this.crash('server_state', `invalid app name, name = ${a.info.app_name}`);
      names.add(a.info.app_name);
    }
    try {
      await this.zk.create(this.appsRoot, Buffer.from(LOCK_STATE));
    } catch (e) {
      if (zkCode(e) !== ZK_CODE.NODE_EXISTS) {
        this.log.error('server_state', `create root node /apps in meta store failed, err = ${pegasusError(e)}`);
        return pegasusError(e);
      }
    }
    this.log.info('server_state', `set ${this.appsRoot} to lock state in remote storage`);
    for (const a of apps.values()) {
      if (a.info.status !== 'AS_CREATING' && a.info.status !== 'AS_DROPPING') this.crash('server_state', 'invalid app status');
      const path = this.appPath(a.info.app_id);
      try {
        await this.zk.create(path, Buffer.from(encodeAppInfo(a.info, a.info.status === 'AS_CREATING' ? 'AS_AVAILABLE' : 'AS_DROPPED')));
        this.log.info('server_state', `create app node ${path} ok`);
      } catch (e) {
        if (zkCode(e) !== ZK_CODE.NODE_EXISTS) {
          this.log.warn('server_state', `create app node failed, path(${path}) reason(${pegasusError(e)})`);
          return pegasusError(e);
        }
      }
    }
    for (const a of apps.values()) {
      await this.createPartitionNodes(a.info.app_id, a.partitions);
    }
    try {
      await this.zk.setData(this.appsRoot, Buffer.from(UNLOCK_STATE));
    } catch (e) {
      this.log.error('server_state', `set ${this.appsRoot} to unlock state in remote storage failed, reason(${pegasusError(e)})`);
      return pegasusError(e);
    }
    this.log.info('server_state', `set ${this.appsRoot} to unlock state in remote storage`);
    return 'ERR_OK';
  }
}

/** `initialize_default_apps`: one table per `[meta_server.apps.*]` section, ids from 1 in section order. */
export function defaultApps(sections: DefaultAppSection[], log: Logger, crash: Crash, nowSeconds: number): Map<number, LoadedApp> {
  const apps = new Map<number, LoadedApp>();
  for (const s of sections) {
    if (s.appName === '') {
      log.warn('server_state', `'[${s.section}] app_name' not specified, ignore this section`);
      continue;
    }
    if (s.appType === '') crash('server_state', `'[${s.section}] app_type' not specified`);
    if (s.partitionCount <= 0) crash('server_state', `partition_count of [${s.section}] must be > 0`);
    const envs: Record<string, string> = {};
    for (const kv of s.envs.split(',').filter((x) => x !== '')) {
      const i = kv.indexOf('=');
      if (i <= 0) crash('server_state', `'[${s.section}] envs' is invalid, envs = ${s.envs}`);
      envs[kv.slice(0, i)] = kv.slice(i + 1);
    }
    const info: AppInfo = {
      ...defaultAppInfo(),
      status: 'AS_CREATING',
      app_id: apps.size + 1,
      app_name: s.appName,
      app_type: s.appType,
      partition_count: s.partitionCount,
      is_stateful: s.stateful,
      max_replica_count: s.maxReplicaCount,
      create_second: nowSeconds,
      envs,
    };
    apps.set(info.app_id, { info, partitions: Array.from({ length: info.partition_count }, (_, i) => emptyPartition(info.app_id, i, info.max_replica_count)) });
  }
  return apps;
}
