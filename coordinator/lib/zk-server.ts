import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { AppError, TimeoutError } from '../../shared/errors';
import { freePort } from '../../shared/net';

export { freePort };

/**
 * Local ZooKeeper servers from Debian's `zookeeper` package, for the test harness, the benchmarks
 * and the sandbox. Not for production: it runs ZooKeeperServerMain / QuorumPeerMain with a
 * generated zoo.cfg on loopback.
 */

/** Where Debian puts the server jar (3.8.0 on bookworm); its manifest Class-Path names the dependencies. */
export const ZK_JAR = '/usr/share/java/zookeeper.jar';

/**
 * What the Netty connection factory (TLS) needs beyond the jar's manifest Class-Path on Debian
 * (SslHandler lives in netty-codec), and a logger so a secured server's refusals reach server.log.
 */
const SECURE_EXTRA_JARS = ['netty-codec', 'netty-resolver', 'netty-transport-native-unix-common', 'slf4j-simple'].map((j) => `/usr/share/java/${j}.jar`);

export interface ZkServerOptions {
  /** Directory that holds one sub-directory per member. */
  baseDir: string;
  /** 1 for a standalone server, 3 (or 5) for a quorum. @default 1 */
  members?: number;
  /** ZooKeeper tick. Session timeouts are bounded by min/maxSessionTimeout below, not by the tick. @default 200 */
  tickTime?: number;
  /** fsync the transaction log. Off for tests and benchmarks on tmpfs-like dirs. @default false */
  forceSync?: boolean;
  /** Extra JVM flags. @default ['-Xmx512m', '-XX:+UseSerialGC'] */
  jvmArgs?: string[];
  /** A -D marker so leftover processes can be found and reaped (`-Dzkmig.owner=<marker>`). */
  marker?: string;
  /** Keep the java process alive only while this Node process lives (a watchdog kills it when our pipe closes). @default true */
  tieToParent?: boolean;
  /** Ports to use instead of free ones (for restarting a saved sandbox). */
  clientPorts?: number[];
  /**
   * Serve TLS too, on a `secureClientPort` per member (Netty connection factory, PEM key and trust
   * stores). The plaintext client port stays open for the four-letter health checks.
   */
  tls?: ZkServerTls;
  /** Secure ports to use instead of free ones (with `tls`). */
  secureClientPorts?: number[];
  /** Lines appended to every member's zoo.cfg (authProvider.*, enforce.auth.*, ...). */
  extraConfig?: string[];
  /** JVM flags added after `jvmArgs` (-Djava.security.auth.login.config=..., -Dzookeeper.*). */
  extraJvmArgs?: string[];
}

export interface ZkServerTls {
  /** PEM file holding the server's private key and certificate chain. */
  keyStore: string;
  /** PEM file of the CA certificates the server trusts for client certificates. */
  trustStore: string;
  /** `need` (client certificate required), `want` or `none`. @default 'need' */
  clientAuth?: 'need' | 'want' | 'none';
}

export interface ZkMember {
  id: number;
  clientPort: number;
  /** The TLS port, when the ensemble serves TLS. */
  secureClientPort?: number;
  dir: string;
  proc: ChildProcess | undefined;
  watchdog: ChildProcess | undefined;
}

/** Send a four-letter word (`ruok`, `srvr`, `mntr`...) and return the answer, or '' on any connection error. */
export function fourLetter(port: number, word: string, timeoutMs = 1000, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    let out = '';
    const done = (): void => {
      sock.destroy();
      resolve(out);
    };
    sock.setTimeout(timeoutMs, done);
    sock.on('connect', () => sock.write(word));
    sock.on('data', (d) => (out += d.toString()));
    sock.on('end', done);
    sock.on('error', done);
  });
}

function memberCfg(
  opts: Required<Pick<ZkServerOptions, 'tickTime' | 'forceSync'>> & Pick<ZkServerOptions, 'tls' | 'extraConfig'>,
  m: ZkMember,
  quorum: { id: number; peer: number; election: number }[],
): string {
  const lines = [
    `tickTime=${opts.tickTime}`,
    `initLimit=50`,
    `syncLimit=25`,
    `dataDir=${path.join(m.dir, 'data')}`,
    `clientPort=${m.clientPort}`,
    `clientPortAddress=127.0.0.1`,
    // Pegasus asks for 10-60 s sessions; tests ask for well under a second. Allow both.
    `minSessionTimeout=400`,
    `maxSessionTimeout=120000`,
    `maxClientCnxns=0`,
    `4lw.commands.whitelist=*`,
    `admin.enableServer=false`,
    `forceSync=${opts.forceSync ? 'yes' : 'no'}`,
    `autopurge.snapRetainCount=3`,
  ];
  if (opts.tls && m.secureClientPort !== undefined) {
    lines.push(
      `secureClientPort=${m.secureClientPort}`,
      `secureClientPortAddress=127.0.0.1`,
      'serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory',
      `ssl.keyStore.location=${opts.tls.keyStore}`,
      'ssl.keyStore.type=PEM',
      `ssl.trustStore.location=${opts.tls.trustStore}`,
      'ssl.trustStore.type=PEM',
      `ssl.clientAuth=${opts.tls.clientAuth ?? 'need'}`,
    );
  }
  lines.push(...(opts.extraConfig ?? []));
  if (quorum.length > 1) for (const q of quorum) lines.push(`server.${q.id}=127.0.0.1:${q.peer}:${q.election}`);
  return lines.join('\n') + '\n';
}

/** A running local ensemble (standalone or quorum). */
export class ZkEnsemble {
  readonly members: ZkMember[];
  private readonly opts: ZkServerOptions;

  private constructor(opts: ZkServerOptions, members: ZkMember[]) {
    this.opts = opts;
    this.members = members;
  }

  /** `127.0.0.1:p1,127.0.0.1:p2,...` */
  get connectString(): string {
    return this.members.map((m) => `127.0.0.1:${m.clientPort}`).join(',');
  }

  /** `127.0.0.1:s1,...` over the TLS ports; throws when the ensemble serves no TLS. */
  get secureConnectString(): string {
    if (this.members.some((m) => m.secureClientPort === undefined)) throw new AppError('PRECONDITION', 'this ensemble serves no TLS port');
    return this.members.map((m) => `127.0.0.1:${m.secureClientPort}`).join(',');
  }

  static async start(opts: ZkServerOptions): Promise<ZkEnsemble> {
    if (!fs.existsSync(ZK_JAR)) {
      throw new AppError('PRECONDITION', `ZooKeeper is not installed (${ZK_JAR} missing): run "apt-get install -y zookeeper"`);
    }
    const n = opts.members ?? 1;
    const tickTime = opts.tickTime ?? 200;
    const forceSync = opts.forceSync ?? false;
    fs.mkdirSync(opts.baseDir, { recursive: true });
    const quorum: { id: number; peer: number; election: number }[] = [];
    const members: ZkMember[] = [];
    for (let i = 1; i <= n; i++) {
      const dir = path.join(opts.baseDir, `zk${i}`);
      fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
      const clientPort = opts.clientPorts?.[i - 1] ?? (await freePort());
      const member: ZkMember = { id: i, clientPort, dir, proc: undefined, watchdog: undefined };
      if (opts.tls) member.secureClientPort = opts.secureClientPorts?.[i - 1] ?? (await freePort());
      members.push(member);
      quorum.push({ id: i, peer: await freePort(), election: await freePort() });
    }
    for (const m of members) {
      // Keep peer ports stable across restarts of the saved config.
      const cfgPath = path.join(m.dir, 'zoo.cfg');
      if (!fs.existsSync(cfgPath) || !opts.clientPorts) fs.writeFileSync(cfgPath, memberCfg({ tickTime, forceSync, tls: opts.tls, extraConfig: opts.extraConfig }, m, quorum));
      if (n > 1) fs.writeFileSync(path.join(m.dir, 'data', 'myid'), `${m.id}\n`);
    }
    const ens = new ZkEnsemble(opts, members);
    try {
      for (const m of members) ens.spawnMember(m);
      await Promise.all(members.map((m) => ens.waitServing(m.id)));
    } catch (e) {
      await ens.stop();
      throw e;
    }
    return ens;
  }

  private member(id: number): ZkMember {
    const m = this.members.find((x) => x.id === id);
    if (!m) throw new AppError('NOT_FOUND', `no ZooKeeper member ${id}`);
    return m;
  }

  private spawnMember(m: ZkMember): void {
    const n = this.members.length;
    const main = n > 1 ? 'org.apache.zookeeper.server.quorum.QuorumPeerMain' : 'org.apache.zookeeper.server.ZooKeeperServerMain';
    const marker = this.opts.marker ?? `pid-${process.pid}`;
    const secure = this.opts.tls !== undefined || (this.opts.extraConfig?.length ?? 0) > 0 || (this.opts.extraJvmArgs?.length ?? 0) > 0;
    const args = [
      ...(this.opts.jvmArgs ?? ['-Xmx512m', '-XX:+UseSerialGC']),
      ...(this.opts.extraJvmArgs ?? []),
      `-Dzkmig.owner=${marker}`,
      `-Dzookeeper.log.dir=${m.dir}`,
      ...(secure ? ['-Dorg.slf4j.simpleLogger.defaultLogLevel=warn'] : []),
      '-cp',
      secure ? [ZK_JAR, ...SECURE_EXTRA_JARS.filter((j) => fs.existsSync(j))].join(':') : ZK_JAR,
      main,
      path.join(m.dir, 'zoo.cfg'),
    ];
    const log = fs.openSync(path.join(m.dir, 'server.log'), 'a');
    const tie = this.opts.tieToParent ?? true;
    const proc = spawn('java', args, { stdio: ['ignore', log, log], detached: !tie });
    fs.closeSync(log);
    proc.on('error', () => undefined);
    m.proc = proc;
    if (tie) {
      // The watchdog holds a pipe from us: when this Node process dies for any reason (even SIGKILL),
      // the pipe closes, `cat` returns and the server is killed. No java outlives its test.
      const wd = spawn('sh', ['-c', 'cat >/dev/null; kill -9 "$0" 2>/dev/null', String(proc.pid)], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
      wd.on('error', () => undefined);
      wd.unref();
      (wd.stdin as NodeJS.WritableStream & { unref?: () => void }).unref?.();
      m.watchdog = wd;
      proc.once('exit', () => wd.stdin?.end());
    } else {
      proc.unref();
    }
  }

  /** Resolve once member `id` answers `srvr` with a Mode line (leader, follower or standalone). */
  async waitServing(id: number, timeoutMs = 60000): Promise<void> {
    const m = this.member(id);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const out = await fourLetter(m.clientPort, 'srvr', 500);
      if (/^Mode: (leader|follower|standalone)/m.test(out)) return;
      if (m.proc && m.proc.exitCode !== null) {
        const log = fs.existsSync(path.join(m.dir, 'server.log')) ? fs.readFileSync(path.join(m.dir, 'server.log'), 'utf8').slice(-2000) : '';
        throw new AppError('UNAVAILABLE', `ZooKeeper member ${id} exited with code ${m.proc.exitCode} while starting:\n${log}`);
      }
      if (Date.now() > deadline) throw new TimeoutError(`ZooKeeper member ${id} on port ${m.clientPort} not serving after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The Mode of member `id` (`leader`, `follower`, `standalone`) or undefined when it does not serve. */
  async mode(id: number): Promise<string | undefined> {
    const out = await fourLetter(this.member(id).clientPort, 'srvr', 500);
    return /^Mode: (\w+)/m.exec(out)?.[1];
  }

  private async signal(id: number, sig: NodeJS.Signals): Promise<void> {
    const m = this.member(id);
    const p = m.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill(sig);
    await exited;
    m.proc = undefined;
  }

  /** Graceful stop (SIGTERM) of one member. */
  stopMember(id: number): Promise<void> {
    return this.signal(id, 'SIGTERM');
  }

  /** kill -9 of one member. */
  killMember(id: number): Promise<void> {
    return this.signal(id, 'SIGKILL');
  }

  /** Start a stopped member again on the same ports and data, and wait until it serves. */
  async restartMember(id: number, opts: { wait?: boolean } = {}): Promise<void> {
    const m = this.member(id);
    if (m.proc && m.proc.exitCode === null) await this.stopMember(id);
    this.spawnMember(m);
    if (opts.wait ?? true) await this.waitServing(id);
  }

  /** Pids of running members (for the sandbox's state file). */
  pids(): number[] {
    return this.members.map((m) => m.proc?.pid).filter((p): p is number => typeof p === 'number');
  }

  /** Stop every member (SIGKILL: the data dirs are throwaway) and wait for the processes to go. */
  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => this.signal(m.id, 'SIGKILL')));
  }
}
