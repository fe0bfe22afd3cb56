import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AppError, PreconditionError, toAppError, UsageError } from '../../../shared/errors';
import { DynamicEnsemble } from '../zk-dynamic';
import { connectAdmin, readConfig } from '../zk/reconfig';
import { SIM_BIN, SimCluster, SimTiming } from '../../../sim/cluster';
import { AgentClient } from '../agent-client';
import { appInfoJson } from '../zk/pegasus-tree';
import { seedNodes } from '../zk/seed';
import { clusterRootNodes, existingReplicas, existingTableNodes, existingTables, writeReplicaStore } from './existing-cluster';
import { ZkEnsemble, ZkServerOptions, freePort } from '../zk-server';
import { withZkSecurity } from '../../../shared/zk/client';
import type { ZkSaslOptions } from '../../../shared/zk/security';
import { teardown } from './down';
import { AGENT_MAIN, META_SERVICE, makePki, writeAgentConfig, writeInventory } from './files';
import { SANDBOX_PROFILES, SandboxProfile, sandboxProfile } from './profiles';
import { SANDBOX_ENV, isAlive, sleep, startDetached } from './processes';
import { ensureSandboxDir, SandboxState, readState, removeState, writeState } from './state';
import { sandboxStatus } from './status';

/**
 * `zkmig sandbox up`: a complete local Pegasus fleet to try zkmig on. Two real ZooKeeper servers
 * (the "old" ensemble the cluster runs on and an empty "new" one), a private CA and certificates
 * from deploy/make-certs.sh, three simulated meta servers each run by its own zkmig-agent over
 * mutual TLS (command backend), three simulated replica servers, a few tables, and an Ansible
 * inventory whose `pegasus_shell` is the simulated shell. Everything runs detached and outlives
 * this command; `sandbox down` stops it all.
 */

export interface SandboxTable {
  name: string;
  partitions: number;
}

export interface SandboxUpOptions {
  /** Directory for everything (created). */
  dir: string;
  /** Pegasus cluster name (also the inventory group). @default 'sandbox' */
  cluster?: string;
  /** Size of the fleet (profiles.ts; `--profile`). Bad names are a UsageError. @default 'default' */
  profile?: string;
  /** Tables created after start (the meta also creates its default `stat` table). @default the profile's */
  tables?: SandboxTable[];
  /**
   * Tests: every process dies with this Node process (ZooKeeper watchdogs, PEGASUS_SIM_PARENT_PID
   * for the simulator, a watchdog per agent). @default false
   */
  tie?: boolean;
  /** `-Dzkmig.owner=` marker of the ZooKeeper servers. @default `zkmig-sandbox-<id>` */
  javaMarker?: string;
  /**
   * Grow the cluster tree before the metas first start: this many dropped tables (their nodes
   * stay in ZooKeeper, as Pegasus keeps dropped apps) of `partitions` partitions each, written
   * into the old ensemble. For a realistically large tree (the migration benchmark's 10,000
   * znodes) without making the simulated replica servers host thousands of replicas. @default the profile's (none for default)
   */
  ballast?: { droppedTables: number; partitions: number };
  /**
   * Members of each ensemble: 3 gives a real quorum, so that one member can be restarted while the
   * ensemble keeps serving (the fault matrix restarts members of both). @default { old: 1, new: 1 } ({ old: 3, new: 3 } with `reconfig`)
   */
  zkMembers?: { old?: 1 | 3; new?: 1 | 3 };
  /**
   * Tests: failure-detector and balancer timings of the simulated cluster on top of the fast
   * defaults (a replica lease that outlives a restart of every meta, say). @default the fast timing
   */
  timing?: Partial<SimTiming>;
  /**
   * Secured ZooKeeper (`sandbox up --secure`): both ensembles require SASL DIGEST-MD5
   * (`authProvider.sasl`, a JAAS `Server` section, `enforce.auth.enabled=true`), the metas log in
   * with `[zookeeper] sasl_*` and the inventory gives zkmig its login (`zk_sasl_*`). No TLS: Pegasus's
   * metas speak none to ZooKeeper. @default false
   */
  secure?: boolean;
  /**
   * For `--method reconfig` (`sandbox up --reconfig`): the old ensemble runs with dynamic
   * reconfiguration on (zk-dynamic.ts, skipACL: a loopback toy), and the "new" servers are joiners
   * started with its last committed config plus themselves, following its leader as non-voting
   * members: one ensemble, so the "new" servers already serve the cluster's tree. @default false
   */
  reconfig?: boolean;
  /** Progress lines (only shown on a terminal by the CLI). */
  progress?: (msg: string) => void;
}

export interface SandboxInfo {
  dir: string;
  cluster: string;
  clusterRoot: string;
  inventory: string;
  /** ZooKeeper the cluster runs on. */
  oldZk: string;
  /** The empty ensemble to migrate to. */
  newZk: string;
  metaServers: string;
  tables: SandboxTable[];
  /** The size profile (`default`, `large`). */
  profile: string;
  /** True when a running sandbox was found and left as it was. */
  alreadyUp: boolean;
  /** Both ensembles enforce SASL (`--secure`); the login is in the inventory. */
  secure: boolean;
  /** `--reconfig`: the new servers are joiners of the old ensemble (migrate with --method reconfig). */
  reconfig: boolean;
}

/** What `up` creates in the sandbox directory (and may therefore remove again). */
const OWN_ENTRIES = ['zk-old', 'zk-new', 'zk-dyn', 'zk-sasl', 'cluster', 'agents', 'pki', 'inventory.yaml'];

/** The SASL user of a `--secure` sandbox (metas and zkmig alike). */
export const SANDBOX_SASL_USER = 'pegasus';

export const DEFAULT_TABLES: SandboxTable[] = SANDBOX_PROFILES.default!.tables;

export function infoOf(s: SandboxState, alreadyUp: boolean): SandboxInfo {
  return {
    dir: s.dir,
    cluster: s.cluster,
    clusterRoot: s.clusterRoot,
    inventory: s.inventory,
    oldZk: s.zk.old?.connectString ?? '',
    newZk: s.zk.new?.connectString ?? '',
    metaServers: s.metaServers,
    tables: s.tables,
    profile: s.profile ?? 'default',
    alreadyUp,
    secure: s.secure === true,
    reconfig: s.reconfig === true,
  };
}

export async function sandboxUp(o: SandboxUpOptions): Promise<SandboxInfo> {
  // Validated before anything is created or started.
  const profile = sandboxProfile(o.profile ?? 'default');
  if (o.reconfig && o.secure) throw new UsageError('--reconfig and --secure cannot be combined (the reconfig sandbox runs its ensemble without ACLs)');
  const dir = ensureSandboxDir(o.dir);
  const existing = readState(dir);
  if (existing) {
    const st = sandboxStatus(dir);
    if (st.running && st.processes.every((p) => p.alive)) return infoOf(existing, true);
    throw new PreconditionError(`a sandbox in ${dir} is ${st.running ? 'partly running' : 'recorded but not running'}; run "zkmig sandbox down --dir ${dir}" first`);
  }
  // Leftovers of an earlier sandbox in this directory (ZooKeeper data, replica data) would mix old
  // metadata into the new fleet: start from empty sub-directories. Only our own names are removed.
  for (const sub of OWN_ENTRIES) fs.rmSync(path.join(dir, sub), { recursive: true, force: true });
  const id = crypto.randomBytes(6).toString('hex');
  const cluster = o.cluster ?? 'sandbox';
  const say = o.progress ?? (() => undefined);
  const state: SandboxState = {
    version: 1,
    id,
    javaMarker: o.javaMarker ?? `zkmig-sandbox-${id}`,
    dir,
    status: 'starting',
    createdAt: new Date().toISOString(),
    cluster,
    clusterRoot: `/pegasus/${cluster}`,
    inventory: path.join(dir, 'inventory.yaml'),
    metaServers: '',
    zk: {},
    agents: [],
    replicas: [],
    metas: [],
    tables: o.tables ?? profile.tables,
    profile: profile.name,
    ...(o.secure ? { secure: true } : {}),
    ...(o.reconfig ? { reconfig: true } : {}),
  };
  writeState(state);
  try {
    await bringUp(state, o, profile, say);
  } catch (e) {
    say('start failed; stopping what was started');
    await teardown(state).catch(() => undefined);
    removeState(dir);
    throw e;
  }
  return infoOf(state, false);
}

async function bringUp(state: SandboxState, o: SandboxUpOptions, profile: SandboxProfile, say: (m: string) => void): Promise<void> {
  const dir = state.dir;
  const tie = o.tie ?? false;
  const nodeEnv: Record<string, string> = { [SANDBOX_ENV]: state.id, ...(tie ? { PEGASUS_SIM_PARENT_PID: String(process.pid) } : {}) };

  const sasl = o.secure ? saslFiles(path.join(dir, 'zk-sasl')) : undefined;
  say(o.reconfig ? 'starting one ZooKeeper ensemble with dynamic reconfiguration and its joiners' : `starting two ZooKeeper ensembles (old and new)${sasl ? ', both requiring SASL DIGEST-MD5' : ''}`);
  const zkOpts = { marker: state.javaMarker, tieToParent: tie, jvmArgs: ['-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'], ...(sasl ? sasl.server : {}) };
  const oldZk = o.reconfig ? await startReconfigZk(state, o, zkOpts) : await startZkPair(state, o, zkOpts);
  writeState(state);

  say('making certificates with deploy/make-certs.sh');
  const pki = makePki(path.join(dir, 'pki'));
  state.pki = { dir: pki.dir, ca: pki.ca, cert: pki.cert, key: pki.key };

  const sim = await SimCluster.create({
    baseDir: path.join(dir, 'cluster'),
    zkHosts: oldZk.connectString,
    clusterName: state.cluster,
    metaCount: profile.metaServers,
    replicaCount: profile.replicaServers,
    tieToParent: tie,
    timing: o.timing ?? profile.timing ?? 'fast',
    ...(sasl ? { zkSasl: { user: SANDBOX_SASL_USER, passwordFile: sasl.passwordFile } } : {}),
  });
  state.clusterRoot = sim.opts.clusterRoot;
  state.metaServers = sim.metaList;

  const ballast = o.ballast ?? profile.ballast;
  // existing-cluster.ts: the large profile's tables exist before the first start (see there why).
  const existing = profile.existing && !o.tables ? existingTables(state.tables, (ballast?.droppedTables ?? 0) + 1, sim.replicas.map((r) => r.address), profile.replicasPerPartition, Math.floor(Date.now() / 1000) - 86400) : [];
  if ((ballast && ballast.droppedTables > 0) || existing.length > 0) {
    if (ballast && ballast.droppedTables > 0) say(`seeding ${ballast.droppedTables} dropped tables of ${ballast.partitions} partitions into the old ensemble`);
    if (existing.length > 0) say(`seeding ${existing.length} existing tables (${existing.reduce((n, t) => n + t.partitions.length, 0)} partitions) into the old ensemble and onto the replica servers' disks`);
    const nodes = function* (): Generator<{ path: string; data: Buffer }> {
      yield* clusterRootNodes(state.clusterRoot);
      if (ballast) yield* ballastNodes(state.clusterRoot, ballast.droppedTables, ballast.partitions);
      yield* existingTableNodes(state.clusterRoot, existing);
    };
    const seed = (): Promise<unknown> => seedNodes(oldZk.connectString, nodes());
    await (sasl ? withZkSecurity(() => ({ sasl: sasl.client }), seed) : seed());
    if (existing.length > 0) {
      const held = existingReplicas(existing);
      for (const r of sim.replicas) writeReplicaStore(sim.dataDir(r), held.get(r.address) ?? new Map());
    }
  }

  say(`starting ${sim.replicas.length} replica servers`);
  for (const r of sim.replicas) {
    const env = { ...process.env, ...nodeEnv };
    const pid = startDetached([process.execPath, SIM_BIN.replica, '--config', r.configPath], { logFile: r.logPath, env, cwd: r.dir, tie });
    state.replicas.push({ name: `replica${r.index}`, pid, address: r.address, log: r.logPath });
  }
  writeState(state);

  say(`starting ${sim.metas.length} zkmig agents (mutual TLS), one per meta server`);
  const agentPorts: number[] = [];
  for (const m of sim.metas) {
    let port = await freePort();
    while (agentPorts.includes(port) || sim.metas.some((x) => x.port === port)) port = await freePort();
    agentPorts.push(port);
    const files = writeAgentConfig({ dir: path.join(dir, 'agents', `meta${m.index}`), listen: `127.0.0.1:${port}`, pki, metaConfig: m.configPath, metaLog: m.logPath, metaDir: m.dir, env: nodeEnv });
    const pid = startDetached([process.execPath, AGENT_MAIN, '--config', files.config], { logFile: files.log, env: { ...process.env, ...nodeEnv }, cwd: files.dir, tie });
    state.agents.push({ name: `agent-meta${m.index}`, pid, address: `127.0.0.1:${port}`, log: files.log });
    state.metas.push({ name: `meta${m.index}`, address: m.address, config: m.configPath, pidFile: files.pidFile, log: m.logPath, agent: `127.0.0.1:${port}` });
  }
  writeState(state);
  const clients = state.agents.map((a) => new AgentClient({ address: a.address, tls: { ca: pki.ca, cert: pki.cert, key: pki.key, serverName: 'localhost' }, retry: { maxAttempts: 1 }, deadlines: { readMs: 2000 } }));
  try {
    await Promise.all(state.agents.map((a, i) => waitServing(a, clients[i]!)));
    say('starting the meta servers through their agents');
    await Promise.all(
      clients.map((c, i) =>
        c.controlService(META_SERVICE, 'start').catch((e: unknown) => {
          // The agent's answer says that it died, the meta's own log says why (a port taken, a config refused).
          throw new AppError('INTERNAL', `${toAppError(e).message}; its log ${state.metas[i]!.log} ends with:\n${tail(state.metas[i]!.log, 8)}`, { cause: e });
        }),
      ),
    );
  } finally {
    for (const c of clients) c.close();
  }

  say(existing.length > 0 ? 'waiting for a leader, waiting until healthy' : 'waiting for a leader, creating tables, waiting until healthy');
  await sim.waitForLeader(60000);
  // Time scales with the partitions to place (the large profile's 10,240 take a few minutes on 2 cores).
  // A batch's allowance includes a leader failover (a new leader reloads the whole tree, ~30-40 s at
  // 100,000 znodes, and re-places what the failover disturbed), which a loaded machine can cause.
  const partitions = state.tables.reduce((n, t) => n + t.partitions, 0);
  const batch = Math.max(1, profile.createConcurrency);
  for (let i = 0; existing.length === 0 && i < state.tables.length; i += batch) {
    await Promise.all(state.tables.slice(i, i + batch).map((t) => sim.createTable(t.name, t.partitions, profile.replicasPerPartition, 120000 + t.partitions * batch * 150)));
  }
  await sim.waitHealthy(120000 + partitions * 60);

  writeInventory(
    state.inventory,
    state.cluster,
    sim.metas.map((m, i) => ({ name: `meta${m.index}`, metaPort: m.port, agentPort: agentPorts[i]!, metaConfig: m.configPath })),
    pki,
    sasl ? { zk_sasl_user: SANDBOX_SASL_USER, zk_sasl_password_file: sasl.passwordFile } : {},
  );
  state.status = 'up';
  writeState(state);
}

type ZkOpts = { marker: string; tieToParent: boolean; jvmArgs: string[] } & Pick<ZkServerOptions, 'extraConfig' | 'extraJvmArgs'>;

/** Two separate ensembles: the cluster's and an empty one (copy, recover). Returns the old one. */
async function startZkPair(state: SandboxState, o: SandboxUpOptions, zkOpts: ZkOpts): Promise<{ connectString: string }> {
  const dir = state.dir;
  const [oldZk, newZk] = await Promise.all([
    ZkEnsemble.start({ ...zkOpts, members: o.zkMembers?.old ?? 1, baseDir: path.join(dir, 'zk-old') }),
    ZkEnsemble.start({ ...zkOpts, members: o.zkMembers?.new ?? 1, baseDir: path.join(dir, 'zk-new') }),
  ]);
  state.zk = {
    old: { connectString: oldZk.connectString, dir: path.join(dir, 'zk-old'), pids: oldZk.pids() },
    new: { connectString: newZk.connectString, dir: path.join(dir, 'zk-new'), pids: newZk.pids() },
  };
  return oldZk;
}

/**
 * One ensemble with dynamic reconfiguration (reconfig): the old members as participants, then
 * each new server started with the last committed /zookeeper/config plus itself as an observer
 * (ZooKeeper's reconfig guide), waited for until it follows the leader. Ids: old 1..n, new after.
 */
async function startReconfigZk(state: SandboxState, o: SandboxUpOptions, zkOpts: ZkOpts): Promise<{ connectString: string }> {
  const base = path.join(state.dir, 'zk-dyn');
  // Three voters by default: ZooKeeper cannot promote an observer next to a single voter (reconfig-preflight.ts).
  const nOld = o.zkMembers?.old ?? 3;
  const nNew = o.zkMembers?.new ?? 3;
  const oldIds = Array.from({ length: nOld }, (_, i) => i + 1);
  const newIds = Array.from({ length: nNew }, (_, i) => nOld + i + 1);
  const ens = await DynamicEnsemble.start({ baseDir: base, ids: oldIds, marker: zkOpts.marker, tieToParent: zkOpts.tieToParent, jvmArgs: zkOpts.jvmArgs, skipAcl: true });
  const pidsOf = (ids: number[]): number[] => ids.map((id) => ens.server(id).proc?.pid).filter((p): p is number => typeof p === 'number');
  state.zk = { old: { connectString: ens.connectString(oldIds), dir: base, pids: pidsOf(oldIds) } };
  writeState(state);
  const c = await connectAdmin(ens.connectString(oldIds), { connectTimeoutMs: 15000 });
  let committed: string;
  try {
    committed = (await readConfig(c)).text;
  } finally {
    c.close();
  }
  for (const id of newIds) await ens.startJoiner(id, committed, 'observer');
  state.zk.new = { connectString: ens.connectString(newIds), dir: base, pids: pidsOf(newIds) };
  writeState(state);
  await Promise.all(newIds.map((id) => ens.waitServing(id)));
  return { connectString: ens.connectString(oldIds) };
}

/**
 * The secrets of a `--secure` sandbox: a random password in a 0600 file (what the metas'
 * `sasl_password_file` and the inventory's `zk_sasl_password_file` name) and the servers' JAAS
 * file with the same user (DigestLoginModule), plus the zoo.cfg lines that enforce SASL.
 */
function saslFiles(dir: string): { passwordFile: string; client: ZkSaslOptions; server: Pick<ZkServerOptions, 'extraConfig' | 'extraJvmArgs'> } {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const password = crypto.randomBytes(18).toString('base64url');
  const passwordFile = path.join(dir, `${SANDBOX_SASL_USER}.pw`);
  fs.writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  const jaas = path.join(dir, 'jaas.conf');
  fs.writeFileSync(jaas, `Server {\n org.apache.zookeeper.server.auth.DigestLoginModule required\n user_${SANDBOX_SASL_USER}="${password}";\n};\n`, { mode: 0o600 });
  return {
    passwordFile,
    client: { mechanism: 'DIGEST-MD5', user: SANDBOX_SASL_USER, password },
    server: {
      extraJvmArgs: [`-Djava.security.auth.login.config=${jaas}`],
      extraConfig: ['authProvider.sasl=org.apache.zookeeper.server.auth.SASLAuthenticationProvider', 'enforce.auth.enabled=true', 'enforce.auth.schemes=sasl'],
    },
  };
}

/**
 * Dropped tables as Pegasus keeps them (docs/pegasus-internals.md §2.3): the app node with AS_DROPPED and one
 * partition node per partition, flagged dropped and without members, so that the metas register
 * no replica server from them (fake members would show up as UNALIVE nodes and freeze the cluster).
 */
function* ballastNodes(root: string, tables: number, partitions: number): Generator<{ path: string; data: Buffer }> {
  for (let id = 1; id <= tables; id++) {
    yield { path: `${root}/apps/${id}`, data: Buffer.from(appInfoJson(id, partitions, true)) };
    for (let p = 0; p < partitions; p++) {
      const pc = { pid: `${id}.${p}`, ballot: 3, max_replica_count: 3, primary: 'invalid address', secondaries: [], last_drops: [], last_committed_decree: 1000 + p, partition_flags: 1 };
      yield { path: `${root}/apps/${id}/${p}`, data: Buffer.from(JSON.stringify(pc)) };
    }
  }
}

async function waitServing(a: { name: string; pid: number; log: string }, c: AgentClient): Promise<void> {
  const deadline = Date.now() + 30000;
  for (;;) {
    if (!isAlive(a.pid)) throw new AppError('UNAVAILABLE', `${a.name} exited while starting; its log ${a.log} ends with:\n${tail(a.log)}`);
    try {
      if ((await c.health()) === 'SERVING') return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new AppError('TIMEOUT', `${a.name} did not serve within 30 s; see ${a.log}`);
    await sleep(100);
  }
}

/** The last `lines` lines of a log file (read whole: a log at start is small), or nothing. */
function tail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
