import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadInventory, selectCluster } from '../../coordinator/lib/inventory';
import { onSession, removeTree } from '../../coordinator/lib/zk/rm';
import { readState, sandboxDown, sandboxUp, SandboxInfo } from '../../coordinator/lib/sandbox';
import type { SandboxUpOptions } from '../../coordinator/lib/sandbox/up';
import { writeState } from '../../coordinator/lib/sandbox/state';
import { isAlive } from '../../coordinator/lib/sandbox/processes';
import { fourLetter } from '../../coordinator/lib/zk-server';
import { FAIL_NEXT_START_FILE } from '../../sim/common/fault-flags';
import { waitFor } from '../harness/tmp';
import { currentZk, Fleet, health, treeFingerprint, withZk } from '../integration/migrate-support';
import { imageOf, ProcessImage, startImage, stopProcess } from './respawn';

/**
 * One sandbox fleet for the fault matrix: like the migrate tests' fleet, but both ensembles are
 * 3-member quorums (so a member can be restarted under a live cluster, on either side). A fleet is
 * built once per worker (certificates, ZooKeepers, agents, metas, replicas) and reused by every run
 * it executes: each run migrates the cluster to the other ensemble, so runs alternate direction.
 */

export type Side = 'source' | 'target';

export interface RelFleet extends Fleet {
  /** Sandbox directory (its state file lists every process). */
  dir: string;
  /** How each agent and replica server was started, by name (taken once, while all were up). */
  images: Map<string, ProcessImage>;
}

export async function startRelFleet(baseDir: string, name: string): Promise<RelFleet> {
  const dir = path.join(baseDir, name, 'sandbox');
  const stateDir = path.join(baseDir, name, 'state');
  const info = await upWithRetry({ dir, tie: true, javaMarker: `pid-${process.pid}-rel-${name}`, zkMembers: { old: 3, new: 3 } });
  const env: NodeJS.ProcessEnv = { ...process.env, ZKMIG_STATE_DIR: stateDir, ZKMIG_INVENTORY: info.inventory };
  const cluster = selectCluster(loadInventory({ file: info.inventory, env }), info.cluster);
  const s = readState(dir)!;
  const images = new Map([...s.agents, ...s.replicas].map((p) => [p.name, imageOf(p.pid, p.log)]));
  return { info, cluster, stateDir, env, dir, images, close: async () => void (await sandboxDown(dir).catch(() => undefined)) };
}

/**
 * A quorum member can lose the race for a peer or election port that freePort() handed out (other
 * test processes take ports too); sandboxUp tears down what it started, so trying again is clean.
 */
async function upWithRetry(o: SandboxUpOptions, attempts = 3): Promise<SandboxInfo> {
  for (let i = 1; ; i++) {
    try {
      return await sandboxUp(o);
    } catch (e) {
      if (i >= attempts) throw e;
    }
  }
}

/** The ensemble on the other side of `zk`. */
export function otherZk(f: Fleet, zk: string): string {
  return zk === f.info.oldZk ? f.info.newZk : f.info.oldZk;
}

function zkKey(f: Fleet, hosts: string): 'old' | 'new' {
  return hosts === f.info.oldZk ? 'old' : 'new';
}

/** The zoo.cfg a ZooKeeper member runs with: the last argument of its command line. */
function zooCfgOf(pid: number): string {
  const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  return argv[argv.length - 1]!;
}

/** Client port of a ZooKeeper member, from its zoo.cfg. */
function clientPortOf(pid: number): number {
  return Number(/^clientPort=(\d+)/m.exec(fs.readFileSync(zooCfgOf(pid), 'utf8'))?.[1] ?? 0);
}

/**
 * Restart the member of `hosts` that leads its quorum (the harshest single-member restart: the
 * ensemble must elect again): SIGTERM, then start the same command line at once, without waiting
 * for it to serve (the run goes on meanwhile).
 */
export async function restartZkLeader(f: RelFleet, hosts: string): Promise<string> {
  const s = readState(f.dir)!;
  const rec = s.zk[zkKey(f, hosts)]!;
  let victim = rec.pids[0]!;
  for (const pid of rec.pids) {
    if (!isAlive(pid)) continue;
    if (/^Mode: leader/m.test(await fourLetter(clientPortOf(pid), 'srvr', 500))) victim = pid;
  }
  // The member directory (dirname of its zoo.cfg) holds its server.log.
  const img = imageOf(victim, path.join(path.dirname(zooCfgOf(victim)), 'server.log'));
  await stopProcess(victim, 'SIGTERM');
  const pid = startImage(img);
  rec.pids = rec.pids.map((p) => (p === victim ? pid : p));
  writeState(s);
  return `zk member pid ${victim} (port ${clientPortOf(pid)}) restarted`;
}


/** Wait until every member of both ensembles serves (after a restart). */
export async function waitZkServing(f: RelFleet, timeoutMs = 60000): Promise<void> {
  const s = readState(f.dir)!;
  for (const rec of [s.zk.old!, s.zk.new!]) {
    for (const pid of rec.pids) {
      const port = clientPortOf(pid);
      await waitFor(`ZooKeeper on port ${port} to serve`, async () => /^Mode: (leader|follower|standalone)/m.test(await fourLetter(port, 'srvr', 500)), timeoutMs, 100);
    }
  }
}

export type ProcKind = 'agents' | 'replicas';

/** Stop one agent or replica server by name; returns a function that starts it again (once). */
export async function stopNamed(f: RelFleet, kind: ProcKind, name: string, sig: 'SIGKILL' | 'SIGTERM'): Promise<() => void> {
  const rec = readState(f.dir)![kind].find((p) => p.name === name);
  if (!rec) throw new Error(`no ${kind} record ${name}`);
  await stopProcess(rec.pid, sig);
  let started = false;
  return () => {
    if (started) return;
    started = true;
    startNamed(f, kind, name);
  };
}

function startNamed(f: RelFleet, kind: ProcKind, name: string): void {
  const st = readState(f.dir)!;
  const r = st[kind].find((p) => p.name === name)!;
  if (isAlive(r.pid)) return;
  r.pid = startImage(f.images.get(name)!);
  writeState(st);
}

/** Start every agent and replica server that is not running (what systemd or the operator would do). */
export function reviveAll(f: RelFleet): string[] {
  const s = readState(f.dir)!;
  const dead = (['agents', 'replicas'] as const).flatMap((kind) => s[kind].filter((p) => !isAlive(p.pid)).map((p) => ({ kind, name: p.name })));
  for (const d of dead) startNamed(f, d.kind, d.name);
  return dead.map((d) => d.name);
}

/** Flag files of the simulator's "next start fails" knob, one per meta. */
export function failFlagOf(f: Fleet, meta: string): string {
  const m = f.cluster.metas.find((x) => x.name === meta);
  if (!m) throw new Error(`no meta ${meta}`);
  return path.join(path.dirname(m.metaConfig), FAIL_NEXT_START_FILE);
}

/**
 * Before a run: every process up, no fault flag left, the cluster healthy where it runs, and the
 * other ensemble's copy of the tree (the previous run's source, no longer used by any meta) removed
 * so that the run starts from an empty target. Returns the source and target ensembles.
 */
export async function prepare(f: RelFleet): Promise<{ source: string; target: string }> {
  for (const m of f.cluster.metas) fs.rmSync(failFlagOf(f, m.name), { force: true });
  await waitZkServing(f);
  const source = await waitFor('a meta leader', () => currentZk(f).catch(() => undefined), 60000, 200);
  await waitFor(
    `the cluster to be healthy on ${source}`,
    async () => (await health(f, source).catch(() => undefined))?.verdict === 'healthy',
    120000,
    500,
  );
  // Healthy is not yet quiet: a replica server that just came back (the previous run's fault) makes
  // the meta rewrite partition nodes for a while. A run must start on a tree nobody else is
  // changing, or "the old tree's digest is unchanged" would blame zkmig for the cluster's own writes.
  let last = '';
  await waitFor(
    `the tree on ${source} to stop changing`,
    async () => {
      const now = (await treeFingerprint(source, f.info.clusterRoot)).digest;
      const quiet = now === last;
      last = now;
      return quiet;
    },
    60000,
    1000,
  );
  const target = otherZk(f, source);
  if ((await treeFingerprint(target, f.info.clusterRoot)).exists) await withZk(target, (s) => removeTree({ ...onSession(s, f.info.clusterRoot), recursive: true, ifExists: true, waitEphemeralUntil: Date.now() + 20000 }));
  return { source, target };
}
