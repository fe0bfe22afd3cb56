import { ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AppError, TimeoutError, UsageError } from '../../shared/errors';
import { fourLetter, freePort, ZK_JAR } from './zk-server';

/**
 * Local ZooKeeper servers with dynamic reconfiguration on (`reconfigEnabled=true`, a
 * `dynamicConfigFile`, `standaloneEnabled=false`), for the reconfig tests, the bench and the
 * sandbox. Like zk-server.ts, not for production: loopback only, generated configs.
 *
 * The one rule this file encodes for joiners (ZooKeeper's reconfig guide): a new server starts
 * with the last committed config plus itself, and never more than one joiner as a participant in
 * the same initial config (two could form a quorum of their own).
 */

const SLF4J_SIMPLE = '/usr/share/java/slf4j-simple.jar';

export type ZkRole = 'participant' | 'observer';

export interface DynServer {
  id: number;
  clientPort: number;
  quorumPort: number;
  electionPort: number;
  dir: string;
  proc: ChildProcess | undefined;
  watchdog: ChildProcess | undefined;
}

export interface DynamicEnsembleOptions {
  baseDir: string;
  /** Server ids of the initial ensemble. @default [1, 2, 3] */
  ids?: number[];
  /** `user:password` of a digest super user (-Dzookeeper.DigestAuthenticationProvider.superDigest). */
  superUser?: string;
  /** -Dzookeeper.skipACL=yes (tests of the "no rights" preflight leave it off). @default false */
  skipAcl?: boolean;
  /** Start the servers with reconfigEnabled=false (to test the preflight's refusal). @default true */
  reconfigEnabled?: boolean;
  tickTime?: number;
  marker?: string;
  jvmArgs?: string[];
  /** Keep the java processes alive only while this Node process lives. @default true */
  tieToParent?: boolean;
}

/** The `server.N=` line of ZooKeeper's dynamic config format. */
export function serverLine(s: Pick<DynServer, 'id' | 'quorumPort' | 'electionPort' | 'clientPort'>, role: ZkRole): string {
  return `server.${s.id}=127.0.0.1:${s.quorumPort}:${s.electionPort}:${role};127.0.0.1:${s.clientPort}`;
}

/** The value ZooKeeper's DigestAuthenticationProvider expects for `user:password`: `user:base64(sha1(user:password))`. */
export function superDigest(userPassword: string): string {
  const i = userPassword.indexOf(':');
  if (i <= 0) throw new UsageError(`a digest user must be "user:password", got "${userPassword}"`);
  return `${userPassword.slice(0, i)}:${createHash('sha1').update(userPassword).digest('base64')}`;
}

export class DynamicEnsemble {
  readonly servers = new Map<number, DynServer>();

  private constructor(private readonly opts: DynamicEnsembleOptions) {}

  /** Client connect string of the given servers (default: every server started here). */
  connectString(ids: number[] = [...this.servers.keys()]): string {
    return ids.map((id) => `127.0.0.1:${this.server(id).clientPort}`).join(',');
  }

  server(id: number): DynServer {
    const s = this.servers.get(id);
    if (!s) throw new AppError('NOT_FOUND', `no ZooKeeper server ${id} in this ensemble`);
    return s;
  }

  /** Start the initial ensemble, every server a participant, and wait until each serves. */
  static async start(opts: DynamicEnsembleOptions): Promise<DynamicEnsemble> {
    if (!fs.existsSync(ZK_JAR)) throw new AppError('PRECONDITION', `ZooKeeper is not installed (${ZK_JAR} missing): run "apt-get install -y zookeeper"`);
    const ens = new DynamicEnsemble(opts);
    const ids = opts.ids ?? [1, 2, 3];
    for (const id of ids) await ens.allocate(id);
    const dyn = ids.map((id) => serverLine(ens.server(id), 'participant')).join('\n') + '\n';
    try {
      for (const id of ids) {
        ens.writeConfig(id, dyn);
        ens.spawn(id);
      }
      await Promise.all(ids.map((id) => ens.waitServing(id)));
    } catch (e) {
      await ens.stop();
      throw e;
    }
    return ens;
  }

  /**
   * Start a new server `id` with `committed` (the text of /zookeeper/config, the `version=` line
   * dropped) plus its own line as `role`; ZooKeeper's reconfig guide. Does not wait: a joiner
   * serves only once the ensemble has synced it.
   */
  async startJoiner(id: number, committed: string, role: ZkRole = 'observer'): Promise<DynServer> {
    if (this.servers.has(id)) throw new UsageError(`server id ${id} is taken`);
    const s = await this.allocate(id);
    const lines = committed.split('\n').filter((l) => /^server\.\d+=/.test(l.trim()));
    if (lines.some((l) => l.startsWith(`server.${id}=`))) throw new UsageError(`server id ${id} is already in the committed config`);
    this.writeConfig(id, [...lines, serverLine(s, role)].join('\n') + '\n');
    this.spawn(id);
    return s;
  }

  private async allocate(id: number): Promise<DynServer> {
    const dir = path.join(this.opts.baseDir, `zk${id}`);
    fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
    const s: DynServer = { id, clientPort: await freePort(), quorumPort: await freePort(), electionPort: await freePort(), dir, proc: undefined, watchdog: undefined };
    this.servers.set(id, s);
    return s;
  }

  private writeConfig(id: number, dynamic: string): void {
    const s = this.server(id);
    const dynFile = path.join(s.dir, 'zoo.cfg.dynamic');
    fs.writeFileSync(dynFile, dynamic);
    fs.writeFileSync(path.join(s.dir, 'data', 'myid'), `${id}\n`);
    const lines = [
      `tickTime=${this.opts.tickTime ?? 200}`,
      'initLimit=50',
      'syncLimit=25',
      `dataDir=${path.join(s.dir, 'data')}`,
      // The client port is in the dynamic config (`;host:port`), not here: both would conflict.
      `reconfigEnabled=${this.opts.reconfigEnabled === false ? 'false' : 'true'}`,
      'standaloneEnabled=false',
      `dynamicConfigFile=${dynFile}`,
      'minSessionTimeout=400',
      'maxSessionTimeout=120000',
      'maxClientCnxns=0',
      '4lw.commands.whitelist=*',
      'admin.enableServer=false',
      'forceSync=no',
    ];
    fs.writeFileSync(path.join(s.dir, 'zoo.cfg'), lines.join('\n') + '\n');
  }

  private spawn(id: number): void {
    const s = this.server(id);
    const marker = this.opts.marker ?? `pid-${process.pid}`;
    const args = [
      ...(this.opts.jvmArgs ?? ['-Xmx256m', '-XX:+UseSerialGC']),
      `-Dzkmig.owner=${marker}`,
      `-Dzookeeper.log.dir=${s.dir}`,
      ...(this.opts.skipAcl ? ['-Dzookeeper.skipACL=yes'] : []),
      ...(this.opts.superUser ? [`-Dzookeeper.DigestAuthenticationProvider.superDigest=${superDigest(this.opts.superUser)}`] : []),
      '-Dorg.slf4j.simpleLogger.showDateTime=true',
      '-cp',
      // slf4j-simple (Debian's libslf4j-java) gives server.log real lines: reconfig failures are read there.
      fs.existsSync(SLF4J_SIMPLE) ? `${ZK_JAR}:${SLF4J_SIMPLE}` : ZK_JAR,
      'org.apache.zookeeper.server.quorum.QuorumPeerMain',
      path.join(s.dir, 'zoo.cfg'),
    ];
    const log = fs.openSync(path.join(s.dir, 'server.log'), 'a');
    const tie = this.opts.tieToParent ?? true;
    const proc = spawn('java', args, { stdio: ['ignore', log, log], detached: !tie });
    fs.closeSync(log);
    proc.on('error', () => undefined);
    s.proc = proc;
    if (tie) {
      // Same watchdog as zk-server.ts: when this Node process dies, the pipe closes and the server goes.
      const wd = spawn('sh', ['-c', 'cat >/dev/null; kill -9 "$0" 2>/dev/null', String(proc.pid)], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
      wd.on('error', () => undefined);
      wd.unref();
      (wd.stdin as NodeJS.WritableStream & { unref?: () => void }).unref?.();
      s.watchdog = wd;
      proc.once('exit', () => wd.stdin?.end());
    } else proc.unref();
  }

  /** `leader`, `follower`, `observer` or undefined when the server does not serve. */
  async mode(id: number): Promise<string | undefined> {
    const out = await fourLetter(this.server(id).clientPort, 'srvr', 500);
    return /^Mode: (\w+)/m.exec(out)?.[1];
  }

  /** Resolve once server `id` serves (leader, follower or observer). */
  async waitServing(id: number, timeoutMs = 60000): Promise<void> {
    const s = this.server(id);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = await this.mode(id);
      if (m === 'leader' || m === 'follower' || m === 'observer') return;
      if (s.proc && s.proc.exitCode !== null) {
        const log = fs.existsSync(path.join(s.dir, 'server.log')) ? fs.readFileSync(path.join(s.dir, 'server.log'), 'utf8').slice(-2000) : '';
        throw new AppError('UNAVAILABLE', `ZooKeeper server ${id} exited with code ${s.proc.exitCode} while starting:\n${log}`);
      }
      if (Date.now() > deadline) throw new TimeoutError(`ZooKeeper server ${id} on port ${s.clientPort} not serving after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The id of the server that says it leads, among the running ones. */
  async leader(): Promise<number | undefined> {
    for (const id of this.servers.keys()) if ((await this.mode(id)) === 'leader') return id;
    return undefined;
  }

  private async signal(id: number, sig: NodeJS.Signals): Promise<void> {
    const s = this.server(id);
    const p = s.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill(sig);
    await exited;
    s.proc = undefined;
  }

  stopServer(id: number): Promise<void> {
    return this.signal(id, 'SIGTERM');
  }

  killServer(id: number): Promise<void> {
    return this.signal(id, 'SIGKILL');
  }

  /** Start a stopped server again on its own files (ZooKeeper has rewritten them to its last committed config). */
  async restartServer(id: number, o: { wait?: boolean } = {}): Promise<void> {
    await this.stopServer(id);
    this.spawn(id);
    if (o.wait ?? true) await this.waitServing(id);
  }

  /**
   * Start a joiner again with a fresh initial config (`committed` plus itself). A joiner that
   * synced has rewritten its dynamic config to the leader's, which does not name it, so a plain
   * restart dies with "My id N not in the peer list" (ZooKeeper's reconfig guide).
   */
  async rejoin(id: number, committed: string, role: ZkRole = 'observer'): Promise<void> {
    await this.stopServer(id);
    const s = this.server(id);
    for (const f of fs.readdirSync(s.dir)) if (f.startsWith('zoo.cfg.dynamic')) fs.rmSync(path.join(s.dir, f));
    const lines = committed.split('\n').filter((l) => /^server\.\d+=/.test(l.trim()) && !l.startsWith(`server.${id}=`));
    this.writeConfig(id, [...lines, serverLine(s, role)].join('\n') + '\n');
    this.spawn(id);
  }

  running(id: number): boolean {
    const p = this.servers.get(id)?.proc;
    return !!p && p.exitCode === null && p.signalCode === null;
  }

  pids(): number[] {
    return [...this.servers.values()].map((s) => s.proc?.pid).filter((p): p is number => typeof p === 'number');
  }

  async stop(): Promise<void> {
    await Promise.all([...this.servers.keys()].map((id) => this.signal(id, 'SIGKILL')));
  }
}
