/**
 * # Pegasus simulator: cluster library
 *
 * Builds and runs a simulated Pegasus cluster (meta servers, replica servers, the shell) on loopback
 * against a real ZooKeeper, for tests, the sandbox and the migration tests. The simulator's behaviour
 * is specified by docs/pegasus-internals.md; sim/README.md lists what it models.
 *
 * ## Typical use
 * ```ts
 * const cluster = await SimCluster.create({ baseDir, zkHosts: zk.connectString });
 * cluster.startAll();                             // 2 metas + 3 replicas by default (startMetas/startReplicas)
 * const leader = await cluster.waitForLeader();   // '127.0.0.1:<port>'
 * await cluster.createTable('temp', 8, 3);        // through the simulated shell's `create`
 * await cluster.waitHealthy();                    // `ls -d` fully healthy, `nodes` all ALIVE
 * const r = await cluster.shell(['cluster_info', 'nodes -d']);   // {stdout, stderr, code}
 * await cluster.stopMeta(0);                      // SIGTERM (killMeta: SIGKILL), resolves {code, signal}
 * cluster.setMetaConfig('all', 'zookeeper', 'hosts_list', newEnsemble);  // read at the next start
 * await cluster.close();                          // SIGKILLs whatever still runs (use in after.always)
 * ```
 *
 * Mechanisms other tests build on (simulator v2):
 * ```ts
 * cluster.killReplica(2); cluster.startReplica(2);           // a replica server crash and restart
 * cluster.replicaState(0).get('1.0')                         // {ballot, status, config}: the replica's own ballot
 * readPartitions(zkSession, cluster.opts.clusterRoot, 1)     // sim/testing.ts: the meta's configs (ballots) in ZooKeeper
 * SimCluster.create({ ..., supervise: true })                // metas restart on exit (systemd Restart=always)
 * cluster.setSupervised(0, false); cluster.waitRestarted(0, oldPid)
 * SimCluster.create({ ..., learnSecondsPerGb: 1, tableDataGb: { temp: 4 } })   // learning takes 4 s per secondary of temp
 * cluster.shell('add_dup temp remote')                       // duplication: progress nodes written at any level
 * cluster.shell('start_bulk_load -a temp -c remote -p local_service -r /bulk')  // sets the level to steady
 * cluster.shell('add_backup_policy -p daily -b local_service -a 2 -i 86400 -s 01:00 -c 3')  // backup/<name>
 * cluster.shell('drop temp -r 1')                            // replicas kept until expired and level > steady
 * ```
 * Ballots move both ways: the meta proposes, the replica asks for ballot + 1 and the meta answers
 * ERR_INVALID_VERSION to any other ballot (sim/README.md, "Ballots").
 *
 * Other helpers: `stop(node, signal)`, `waitExit(node)` (a meta exiting on its own: 0, 1 or 134),
 * `log(node)` / `logTail(node)`, `leader()`, `writeShellConfig(rpcTimeoutMs)`, `runShell(args, input)`
 * (any meta list), `isFullyHealthy(lsDetailedOutput)`, and sim/testing.ts for the
 * ZooKeeper side (lock nodes, seeding trees, mzxids).
 *
 * ## What it writes
 * `<baseDir>/meta<i>/config.ini` (one real Pegasus-format config per meta: `[apps.meta] ports`,
 * `[meta_server] server_list / cluster_root / distributed_lock_service_parameters /
 * recover_from_replica_server / meta_function_level_on_start`, `[zookeeper] hosts_list / timeout_ms`,
 * `[replication] cluster_name` and the timing keys), `<baseDir>/meta<i>/meta.log` (its stdout+stderr),
 * and the same for `replica<i>/` plus its data dir `replica<i>/data`. An external supervisor (the
 * agent, systemd) can run a meta itself from `metas[i].configPath` with
 * `node <SIM_BIN.meta> --config <configPath>`; `setMetaConfig` edits those files in place.
 *
 * ## Timing
 * All intervals are real Pegasus keys (`[zookeeper] timeout_ms`, `[replication] fd_*`,
 * `config_sync_interval_ms`, `lb_interval_ms`). `timing: 'fast'` (default) shortens them for tests;
 * `'production'` keeps the template's values. A meta fails over after `zkTimeoutMs` (its lock node is
 * ephemeral); a stopped replica is UNALIVE after `fdGraceSeconds`.
 *
 * ## Processes
 * Every process is a real child (`node dist/sim/bin/*.js`). With `tieToParent` (default)
 * children exit by themselves when this process dies, so a crashed test leaves nothing behind; still
 * call `close()` in `test.after.always`.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePort } from '../shared/net';
import { CONFIG_TEMPLATE, SHELL_CONFIG_TEMPLATE, renderPlaceholders, setIniKey } from './config-template';
import { LevelName } from './common/config';
import { STATE_FILE } from './replica/replica-store';

/** Compiled entry points (this file lives in dist/sim/ once built). */
export const SIM_BIN = {
  meta: path.join(__dirname, 'bin', 'meta.js'),
  replica: path.join(__dirname, 'bin', 'replica.js'),
  shell: path.join(__dirname, 'bin', 'shell.js'),
};

export interface SimTiming {
  /** `[zookeeper] timeout_ms`: ZK session timeout (= failover time after a kill -9) and connect wait. */
  zkTimeoutMs: number;
  fdCheckIntervalSeconds: number;
  fdBeaconIntervalSeconds: number;
  fdLeaseSeconds: number;
  fdGraceSeconds: number;
  configSyncIntervalMs: number;
  lbIntervalMs: number;
  /** `[replication] group_check_interval_ms`: how soon a primary notices a dead secondary itself. */
  groupCheckIntervalMs: number;
}

/** Short intervals for tests (still whole seconds where Pegasus's keys are in seconds). */
export const FAST_TIMING: SimTiming = {
  zkTimeoutMs: 3000,
  fdCheckIntervalSeconds: 1,
  fdBeaconIntervalSeconds: 1,
  fdLeaseSeconds: 2,
  fdGraceSeconds: 3,
  configSyncIntervalMs: 1000,
  lbIntervalMs: 500,
  groupCheckIntervalMs: 1000,
};

/** The production template's values (src/server/config.ini). */
export const PRODUCTION_TIMING: SimTiming = {
  zkTimeoutMs: 10000,
  fdCheckIntervalSeconds: 2,
  fdBeaconIntervalSeconds: 3,
  fdLeaseSeconds: 20,
  fdGraceSeconds: 22,
  configSyncIntervalMs: 30000,
  lbIntervalMs: 10000,
  groupCheckIntervalMs: 10000,
};

export interface DefaultTable {
  name: string;
  partitionCount: number;
  replicaCount: number;
}

export interface SimClusterOptions {
  /** Directory for configs, logs and data; created if missing. */
  baseDir: string;
  /** `[zookeeper] hosts_list` of every meta. */
  zkHosts: string;
  /** SASL DIGEST-MD5 to ZooKeeper for every meta (`[zookeeper] sasl_*`). @default off */
  zkSasl?: { user: string; passwordFile: string };
  /** `[replication] cluster_name`; also names the default roots. @default 'simcluster' */
  clusterName?: string;
  /** @default 2 */
  metaCount?: number;
  /** @default 3 (min_live_node_count_for_unfreeze is 3: fewer nodes keep the cluster freezed) */
  replicaCount?: number;
  /** @default `/pegasus/<clusterName>` */
  clusterRoot?: string;
  /** `distributed_lock_service_parameters`. @default `/pegasus/<clusterName>/lock` */
  lockRoot?: string;
  /** @default free ports */
  metaPorts?: number[];
  /** @default free ports */
  replicaPorts?: number[];
  /** @default 'fast' */
  timing?: 'fast' | 'production' | Partial<SimTiming>;
  /** `[meta_server.apps.*]` sections. @default [{ name: 'stat', partitionCount: 4, replicaCount: 3 }] */
  defaultTables?: DefaultTable[];
  /** @default false */
  recoverFromReplicaServer?: boolean;
  /** @default 'steady' */
  metaFunctionLevelOnStart?: LevelName;
  /** More keys for every meta config, e.g. `{section: 'meta_server', key: 'min_live_node_count_for_unfreeze', value: '2'}`. */
  extraKeys?: { section: string; key: string; value: string }[];
  /** Children exit when this process dies. @default true */
  tieToParent?: boolean;
  /**
   * Metas run under a supervisor that restarts them whenever they exit, as supervisord
   * `autorestart=true` or systemd `Restart=always` would (also after SIGKILL). `true` = every meta, or
   * the indexes to supervise; change it later with `setSupervised`. @default false
   */
  supervise?: boolean | number[];
  /**
   * Learning (simulator-only `[sim]` keys of every replica config): a re-added secondary counts only
   * after learning `tableDataGb[table] * learnSecondsPerGb` seconds. @default 0 (instant)
   */
  learnSecondsPerGb?: number;
  /** Data size per partition replica, by table name, in GB. @default {} (0 GB) */
  tableDataGb?: Record<string, number>;
  /** Delay before a supervised meta is restarted (systemd's RestartSec). @default 500 */
  superviseRestartMs?: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SimNode {
  kind: 'meta' | 'replica';
  index: number;
  port: number;
  /** `127.0.0.1:<port>` */
  address: string;
  dir: string;
  configPath: string;
  logPath: string;
  proc?: ChildProcess;
  exited?: Promise<ExitInfo>;
  /** Under the supervisor (metas only): restarted whenever it exits. */
  supervised?: boolean;
  /** How many times the supervisor restarted it. */
  restarts?: number;
}

export interface ShellResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

export interface ShellOptions {
  format?: 'v2.5.0' | 'master';
  /** Kill the shell after this long. @default 120000 */
  timeoutMs?: number;
  /** Meta list to use instead of the cluster's. */
  cluster?: string;
  /** `[task..default] rpc_timeout_milliseconds` via a generated shell config (the real shell's 10 s otherwise). */
  rpcTimeoutMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export class SimCluster {
  private constructor(
    readonly opts: Required<Pick<SimClusterOptions, 'baseDir' | 'zkHosts' | 'clusterName' | 'clusterRoot' | 'lockRoot' | 'tieToParent'>>,
    readonly timing: SimTiming,
    readonly metas: SimNode[],
    readonly replicas: SimNode[],
    private readonly superviseRestartMs = 500,
  ) {}

  private closing = false;

  /** Allocate ports and write every config; starts nothing. */
  static async create(o: SimClusterOptions): Promise<SimCluster> {
    const clusterName = o.clusterName ?? 'simcluster';
    const clusterRoot = o.clusterRoot ?? `/pegasus/${clusterName}`;
    const base = {
      baseDir: path.resolve(o.baseDir),
      zkHosts: o.zkHosts,
      clusterName,
      clusterRoot,
      lockRoot: o.lockRoot ?? `${clusterRoot.replace(/\/$/, '')}/lock`,
      tieToParent: o.tieToParent ?? true,
    };
    const timing = o.timing === 'production' ? PRODUCTION_TIMING : { ...FAST_TIMING, ...(typeof o.timing === 'object' ? o.timing : {}) };
    const metaCount = o.metaCount ?? 2;
    const replicaCount = o.replicaCount ?? 3;
    const metaPorts = o.metaPorts ?? (await ports(metaCount));
    const replicaPorts = o.replicaPorts ?? (await ports(replicaCount));
    const node = (kind: 'meta' | 'replica', index: number, port: number): SimNode => {
      const dir = path.join(base.baseDir, `${kind}${index}`);
      return { kind, index, port, address: `127.0.0.1:${port}`, dir, configPath: path.join(dir, 'config.ini'), logPath: path.join(dir, `${kind}.log`) };
    };
    const c = new SimCluster(
      base,
      timing,
      metaPorts.map((p, i) => node('meta', i, p)),
      replicaPorts.map((p, i) => node('replica', i, p)),
      o.superviseRestartMs ?? 500,
    );
    c.metas.forEach((m, i) => (m.supervised = o.supervise === true || (Array.isArray(o.supervise) && o.supervise.includes(i))));
    for (const n of [...c.metas, ...c.replicas]) {
      fs.mkdirSync(n.dir, { recursive: true });
      fs.writeFileSync(n.configPath, c.renderConfig(n, o));
    }
    return c;
  }

  /** The node's `[replication] data_dirs` (a replica server keeps its replicas there). */
  dataDir(n: SimNode): string {
    return path.join(n.dir, 'data');
  }

  /** `127.0.0.1:p1,127.0.0.1:p2,...` (the metas' `server_list`). */
  get metaList(): string {
    return this.metas.map((m) => m.address).join(',');
  }

  private renderConfig(n: SimNode, o: SimClusterOptions): string {
    let text = renderPlaceholders(CONFIG_TEMPLATE, {
      'cluster.name': this.opts.clusterName,
      'meta.server.list': this.metaList,
      'zk.server.list': this.opts.zkHosts,
      'app.dir': n.dir,
      'data.dirs': this.dataDir(n),
      'home.dir': n.dir,
      'meta.port': String(n.kind === 'meta' ? n.port : 34601),
      'replica.port': String(n.kind === 'replica' ? n.port : 34801),
    });
    const t = this.timing;
    const set = (s: string, k: string, v: string): void => {
      text = setIniKey(text, s, k, v);
    };
    set('meta_server', 'cluster_root', this.opts.clusterRoot);
    set('meta_server', 'distributed_lock_service_parameters', this.opts.lockRoot);
    set('meta_server', 'recover_from_replica_server', String(o.recoverFromReplicaServer ?? false));
    set('meta_server', 'meta_function_level_on_start', o.metaFunctionLevelOnStart ?? 'steady');
    set('zookeeper', 'timeout_ms', String(t.zkTimeoutMs));
    if (o.zkSasl) {
      set('zookeeper', 'sasl_mechanisms_type', 'DIGEST-MD5');
      set('zookeeper', 'sasl_user_name', o.zkSasl.user);
      set('zookeeper', 'sasl_password_file', o.zkSasl.passwordFile);
    }
    set('replication', 'fd_check_interval_seconds', String(t.fdCheckIntervalSeconds));
    set('replication', 'fd_beacon_interval_seconds', String(t.fdBeaconIntervalSeconds));
    set('replication', 'fd_lease_seconds', String(t.fdLeaseSeconds));
    set('replication', 'fd_grace_seconds', String(t.fdGraceSeconds));
    set('replication', 'config_sync_interval_ms', String(t.configSyncIntervalMs));
    set('replication', 'lb_interval_ms', String(t.lbIntervalMs));
    set('replication', 'group_check_interval_ms', String(t.groupCheckIntervalMs));
    for (const d of o.defaultTables ?? [{ name: 'stat', partitionCount: 4, replicaCount: 3 }]) {
      const s = `meta_server.apps.${d.name}`;
      set(s, 'app_name', d.name);
      set(s, 'app_type', 'pegasus');
      set(s, 'partition_count', String(d.partitionCount));
      set(s, 'max_replica_count', String(d.replicaCount));
      set(s, 'stateful', 'true');
    }
    if (n.kind === 'replica') {
      if (o.learnSecondsPerGb) set('sim', 'learn_seconds_per_gb', String(o.learnSecondsPerGb));
      const sizes = Object.entries(o.tableDataGb ?? {});
      if (sizes.length) set('sim', 'table_data_gb', sizes.map(([k, v]) => `${k}:${v}`).join(','));
    }
    for (const e of o.extraKeys ?? []) set(e.section, e.key, e.value);
    return text;
  }

  /** Rewrite one key of a meta's config.ini (e.g. `zookeeper`/`hosts_list`); takes effect at its next start. */
  setMetaConfig(which: number | 'all', section: string, key: string, value: string): void {
    for (const m of which === 'all' ? this.metas : [this.metas[which]!]) {
      fs.writeFileSync(m.configPath, setIniKey(fs.readFileSync(m.configPath, 'utf8'), section, key, value));
    }
  }

  /** Same for replica configs. */
  setReplicaConfig(which: number | 'all', section: string, key: string, value: string): void {
    for (const r of which === 'all' ? this.replicas : [this.replicas[which]!]) {
      fs.writeFileSync(r.configPath, setIniKey(fs.readFileSync(r.configPath, 'utf8'), section, key, value));
    }
  }

  private spawnNode(n: SimNode): void {
    if (n.proc && n.proc.exitCode === null && n.proc.signalCode === null) throw new Error(`${n.kind}${n.index} is already running (pid ${n.proc.pid})`);
    const log = fs.openSync(n.logPath, 'a');
    const env = { ...process.env, ...(this.opts.tieToParent ? { PEGASUS_SIM_PARENT_PID: String(process.pid) } : {}) };
    const proc = spawn(process.execPath, [n.kind === 'meta' ? SIM_BIN.meta : SIM_BIN.replica, '--config', n.configPath], { stdio: ['ignore', log, log], env });
    fs.closeSync(log);
    n.proc = proc;
    n.exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
    LIVE.add(proc);
    void n.exited.then(() => {
      LIVE.delete(proc);
      if (n.supervised && !this.closing) {
        setTimeout(() => {
          if (!n.supervised || this.closing || n.proc !== proc) return;
          n.restarts = (n.restarts ?? 0) + 1;
          fs.appendFileSync(n.logPath, `[supervisor] ${n.kind}${n.index} exited, restart #${n.restarts}\n`);
          this.spawnNode(n);
        }, this.superviseRestartMs);
      }
    });
  }

  /**
   * Turn the restart-on-exit supervisor on or off for a meta (or all). Off does not stop a running
   * meta; use it before `stopMeta` to stop one for good, as `systemctl stop` would.
   */
  setSupervised(which: number | 'all', on: boolean): void {
    for (const m of which === 'all' ? this.metas : [this.metas[which]!]) m.supervised = on;
  }

  /**
   * Wait until a supervised meta runs again after an exit: resolves once a process newer than
   * `since` (a pid) is running.
   */
  async waitRestarted(i: number, sincePid: number | undefined, timeoutMs = 30000): Promise<number> {
    const m = this.metas[i]!;
    return poll(`meta${i} to be restarted by its supervisor`, async () => (this.isRunning(m) && m.proc!.pid !== sincePid ? m.proc!.pid : undefined), timeoutMs, 100);
  }

  startMeta(i: number): void {
    this.spawnNode(this.metas[i]!);
  }

  startReplica(i: number): void {
    this.spawnNode(this.replicas[i]!);
  }

  /** Start every meta and replica. */
  startAll(): void {
    this.startMetas();
    this.startReplicas();
  }

  /** Start every meta (skip this when a supervisor such as the agent runs them from `configPath`). */
  startMetas(): void {
    this.metas.forEach((_, i) => this.startMeta(i));
  }

  startReplicas(): void {
    this.replicas.forEach((_, i) => this.startReplica(i));
  }

  isRunning(n: SimNode): boolean {
    return !!n.proc && n.proc.exitCode === null && n.proc.signalCode === null;
  }

  /** Send `signal` and wait for the exit. */
  async stop(n: SimNode, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10000): Promise<ExitInfo> {
    if (!n.proc || !n.exited) throw new Error(`${n.kind}${n.index} was never started`);
    if (this.isRunning(n)) n.proc.kill(signal);
    return this.waitExit(n, timeoutMs);
  }

  stopMeta(i: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<ExitInfo> {
    return this.stop(this.metas[i]!, signal);
  }

  killMeta(i: number): Promise<ExitInfo> {
    return this.stop(this.metas[i]!, 'SIGKILL');
  }

  stopReplica(i: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<ExitInfo> {
    return this.stop(this.replicas[i]!, signal);
  }

  /** SIGKILL a replica server (a crash: its replicas stay on disk). Restart it with `startReplica`. */
  killReplica(i: number): Promise<ExitInfo> {
    return this.stop(this.replicas[i]!, 'SIGKILL');
  }

  /**
   * What replica server `i` holds on disk, by gpid (`<app_id>.<pidx>`): its own ballot, status and the
   * last config it accepted. The replica's ballot is what it compares proposals and config syncs to.
   */
  replicaState(i: number): Map<string, { ballot: number; status: string; config?: { ballot: number; primary: string; secondaries: string[] } }> {
    const file = path.join(this.dataDir(this.replicas[i]!), STATE_FILE);
    const out = new Map<string, { ballot: number; status: string; config?: { ballot: number; primary: string; secondaries: string[] } }>();
    try {
      const data = JSON.parse(fs.readFileSync(file, 'utf8')) as { replicas: Record<string, { ballot: number; status: string; config?: { ballot: number; primary: string; secondaries: string[] } }> };
      for (const [pid, r] of Object.entries(data.replicas ?? {})) out.set(pid, { ballot: r.ballot, status: r.status, config: r.config });
    } catch {
      /* not written yet */
    }
    return out;
  }

  /** Wait for a process to exit on its own (e.g. a crash condition). */
  async waitExit(n: SimNode, timeoutMs = 30000): Promise<ExitInfo> {
    if (!n.exited) throw new Error(`${n.kind}${n.index} was never started`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${n.kind}${n.index} did not exit within ${timeoutMs} ms; log tail:\n${this.logTail(n)}`)), timeoutMs);
    });
    try {
      return await Promise.race([n.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  log(n: SimNode): string {
    try {
      return fs.readFileSync(n.logPath, 'utf8');
    } catch {
      return '';
    }
  }

  logTail(n: SimNode, lines = 30): string {
    return this.log(n).split('\n').slice(-lines).join('\n');
  }

  /** Write a shell config (`[pegasus.clusters] <name> = <metas>`, rpc timeout) and return its path. */
  writeShellConfig(rpcTimeoutMs: number, metas = this.metaList): string {
    const file = path.join(this.opts.baseDir, `shell-config.${rpcTimeoutMs}.ini`);
    fs.writeFileSync(file, renderPlaceholders(SHELL_CONFIG_TEMPLATE, { 'cluster.name': this.opts.clusterName, 'meta.server.list': metas, 'rpc.timeout.ms': String(rpcTimeoutMs) }));
    return file;
  }

  /** Run the simulated shell with `commands` on stdin (one per line). */
  shell(commands: string | string[], o: ShellOptions = {}): Promise<ShellResult> {
    const input = (Array.isArray(commands) ? commands.join('\n') : commands) + '\n';
    const args = o.rpcTimeoutMs
      ? ['-n', this.opts.clusterName, '-c', this.writeShellConfig(o.rpcTimeoutMs, o.cluster ?? this.metaList)]
      : ['--cluster', o.cluster ?? this.metaList];
    if (o.format) args.push('--format', o.format);
    return runShell(args, input, { timeoutMs: o.timeoutMs, cwd: o.cwd ?? this.opts.baseDir, env: o.env });
  }

  /** The leader as `cluster_info` reports it, or undefined. */
  async leader(rpcTimeoutMs = 2000): Promise<string | undefined> {
    const r = await this.shell('cluster_info', { rpcTimeoutMs });
    return /^primary_meta_server\s+:\s+(\S+)/m.exec(r.stdout)?.[1];
  }

  async waitForLeader(timeoutMs = 30000): Promise<string> {
    return poll('a leader meta that answers cluster_info', () => this.leader(), timeoutMs);
  }

  /**
   * `create <name> -p <partitions> -r <replicas>` through the shell; throws unless it succeeds. A
   * cluster whose replicas have not all beaconed yet is (automatically) freezed and refuses DDL with
   * ERR_STATE_FREEZED, exactly like Pegasus, and a leader still loading answers ERR_SERVICE_NOT_ACTIVE;
   * such answers are retried for up to `timeoutMs` (a retried create of an existing table succeeds).
   */
  async createTable(name: string, partitions: number, replicas = 3, timeoutMs = 30000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // The shell's create waits until the table is ready: let it run as long as this call may.
      const r = await this.shell(`create ${name} -p ${partitions} -r ${replicas}`, { timeoutMs: Math.max(120000, deadline - Date.now()) });
      if (r.stdout.includes(`create app "${name}" succeed`)) return;
      const transient = /ERR_STATE_FREEZED|ERR_SERVICE_NOT_ACTIVE|ERR_TIMEOUT|ERR_BUSY_CREATING/.test(r.stdout);
      if (!transient || Date.now() > deadline) throw new Error(`create ${name} failed:\n${r.stdout}\n${r.stderr}`);
      await new Promise((res) => setTimeout(res, 300));
    }
  }

  /**
   * Wait until `ls -d` shows every table fully healthy (the check of pegasus_rolling_update.sh) and
   * `nodes` lists every replica server ALIVE.
   */
  async waitHealthy(timeoutMs = 60000): Promise<void> {
    await poll(
      'every table fully healthy and every replica ALIVE',
      async () => {
        const r = await this.shell(['ls -d', 'nodes'], { rpcTimeoutMs: 3000 });
        return isFullyHealthy(r.stdout) && this.replicas.every((n) => new RegExp(`^${n.address.replace(/\./g, '\\.')}\\s+ALIVE`, 'm').test(r.stdout));
      },
      timeoutMs,
      300,
    );
  }

  /** Kill every process this cluster started and wait for them. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(
      [...this.metas, ...this.replicas].map(async (n) => {
        if (n.proc && this.isRunning(n)) {
          n.proc.kill('SIGKILL');
          await n.exited;
        }
      }),
    );
  }
}

/**
 * The healthy check of admin_tools/pegasus_rolling_update.sh on `ls -d` output: in `[healthy_info]`,
 * every row with 7+ fields has partition_count == fully_healthy. False when the table is missing.
 */
export function isFullyHealthy(lsDetailed: string): boolean {
  let inTable = false;
  let seen = false;
  for (const line of lsDetailed.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (inTable) {
      if (f.length < 7) {
        inTable = false;
        continue;
      }
      if (f[2] !== f[3]) return false;
    }
    if (/ fully_healthy /.test(line)) {
      inTable = true;
      seen = true;
    }
  }
  return seen;
}

/** Run the shell binary with `args`, feeding `input`; never rejects (a timeout kills it). */
export function runShell(args: string[], input: string, o: { timeoutMs?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ShellResult> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [SIM_BIN.shell, ...args], { cwd: o.cwd, env: { ...process.env, ...(o.env ?? {}) }, stdio: ['pipe', 'pipe', 'pipe'] });
    LIVE.add(proc);
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), o.timeoutMs ?? 120000);
    proc.on('close', (code) => {
      clearTimeout(timer);
      LIVE.delete(proc);
      resolve({ stdout, stderr, code });
    });
    proc.stdin.end(input);
  });
}

async function poll<T>(what: string, f: () => Promise<T | undefined | false>, timeoutMs: number, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function ports(n: number): Promise<number[]> {
  const out: number[] = [];
  while (out.length < n) {
    const p = await freePort();
    if (!out.includes(p)) out.push(p);
  }
  return out;
}

/** Children still running; killed if this process exits without closing its clusters. */
const LIVE = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of LIVE) {
    try {
      p.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
});
