/**
 * Shared by the migrate-*.test.ts files: one sandbox fleet per test file (two real ZooKeepers,
 * three real agents over mutual TLS running simulated metas, simulated replica servers), built by
 * the sandbox library with every process tied to the test worker; helpers to run the real CLI
 * in-process or as a child, to read journals, and to look at both ensembles.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../coordinator/cli';
import { checkHealth, HealthReport } from '../../coordinator/lib/health';
import { CliIO } from '../../coordinator/lib/io';
import { loadInventory, selectCluster } from '../../coordinator/lib/inventory';
import type { PegasusCluster } from '../../coordinator/lib/inventory';
import type { JournalEntry } from '../../coordinator/lib/migrate/journal';
import { onSession, removeTree } from '../../coordinator/lib/zk/rm';
import { fingerprint, TreeFingerprint } from '../../coordinator/lib/zk/tree-read';
import { readState, sandboxDown, sandboxUp, SandboxInfo } from '../../coordinator/lib/sandbox';
import { isAlive } from '../../coordinator/lib/sandbox/processes';
import { writeState } from '../../coordinator/lib/sandbox/state';
import { PegasusShell } from '../../coordinator/lib/shell';
import { ZkSession, readLong } from '../../shared/zk/client';
import { tempDir, waitFor } from '../harness/tmp';
import { imageOf, startImage, stopProcess } from '../reliability/respawn';
import type { SimTiming } from '../../sim/cluster';

export const CLI = path.join(__dirname, '..', '..', 'coordinator', 'cli.js');

export interface Fleet {
  info: SandboxInfo;
  cluster: PegasusCluster;
  stateDir: string;
  env: NodeJS.ProcessEnv;
  /** Stop everything and remove the directory (test.after.always). */
  close: () => Promise<void>;
}

export async function startFleet(prefix: string, o: { tables?: { name: string; partitions: number }[]; timing?: Partial<SimTiming>; secure?: boolean; reconfig?: boolean } = {}): Promise<Fleet> {
  const tmp = tempDir(prefix);
  const dir = path.join(tmp.dir, 'sandbox');
  const stateDir = path.join(tmp.dir, 'state');
  // Markers "pid-<worker>..." let the posttest reaper find a ZooKeeper a crashed worker left.
  const info = await sandboxUp({ dir, tie: true, javaMarker: `pid-${process.pid}-sandbox`, ...(o.tables ? { tables: o.tables } : {}), ...(o.timing ? { timing: o.timing } : {}), ...(o.secure ? { secure: true } : {}), ...(o.reconfig ? { reconfig: true } : {}) });
  const env: NodeJS.ProcessEnv = { ...process.env, ZKMIG_STATE_DIR: stateDir, ZKMIG_INVENTORY: info.inventory };
  const cluster = selectCluster(loadInventory({ file: info.inventory, env }), info.cluster);
  return {
    info,
    cluster,
    stateDir,
    env,
    close: async () => {
      await sandboxDown(dir).catch(() => undefined);
      tmp.cleanup();
    },
  };
}

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** The real CLI in this process with captured output (no terminal: confirm answers no). */
export async function cli(fleet: Fleet, args: string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const io: CliIO = { out: (t) => void (out += t), err: (t) => void (err += t), isTTY: false, env: fleet.env, confirm: async () => false };
  const code = await main(args, io);
  return { code, out, err };
}

/** The real CLI as a child process (so that a test can SIGKILL it). */
export function cliChild(fleet: Fleet, args: string[]): { proc: ChildProcess; done: Promise<CliRun> } {
  const proc = spawn(process.execPath, [CLI, ...args], { env: fleet.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<CliRun>((resolve) => proc.on('close', (code, sig) => resolve({ code: code ?? (sig ? -1 : -2), out, err })));
  return { proc, done };
}

/** Journal files in the state dir, oldest first. */
export function journals(fleet: Fleet): string[] {
  if (!fs.existsSync(fleet.stateDir)) return [];
  return fs
    .readdirSync(fleet.stateDir)
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => path.join(fleet.stateDir, f))
    .sort((a, b) => fs.statSync(a).mtimeMs - fs.statSync(b).mtimeMs);
}

export function readJournal(file: string): JournalEntry[] {
  const out: JournalEntry[] = [];
  for (const l of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!l) continue;
    try {
      out.push(JSON.parse(l) as JournalEntry);
    } catch {
      /* a line being written */
    }
  }
  return out;
}

export function runIdOf(file: string): string {
  return path.basename(file, '.jsonl');
}

/** A journal that appeared after `before` (the run a child started). */
export async function newJournal(fleet: Fleet, before: string[], timeoutMs = 30000): Promise<string> {
  return waitFor('a new run journal', () => journals(fleet).find((j) => !before.includes(j)), timeoutMs, 20);
}

export async function withZk<T>(hosts: string, fn: (s: ZkSession) => Promise<T>): Promise<T> {
  const s = await ZkSession.connect(hosts, { sessionTimeoutMs: 10000, connectTimeoutMs: 10000 });
  try {
    return await fn(s);
  } finally {
    s.close();
  }
}

export function treeFingerprint(hosts: string, root: string): Promise<TreeFingerprint> {
  return fingerprint(hosts, root);
}

export function health(fleet: Fleet, zkHosts: string): Promise<HealthReport> {
  return checkHealth({ cluster: fleet.cluster, shell: PegasusShell.forCluster(fleet.cluster), expectZk: { hosts: zkHosts, root: fleet.info.clusterRoot } });
}

/** The ensemble the leader serves from now. */
export async function currentZk(fleet: Fleet): Promise<string> {
  return (await PegasusShell.forCluster(fleet.cluster).clusterInfo()).zookeeperHosts;
}

/** Pids of the sandbox's processes, from its state file. */
export function sandboxPids(fleet: Fleet): { zkOld: number[]; zkNew: number[]; agents: Record<string, number> } {
  const s = readState(fleet.info.dir)!;
  return { zkOld: s.zk.old?.pids ?? [], zkNew: s.zk.new?.pids ?? [], agents: Object.fromEntries(s.agents.map((a) => [a.name, a.pid])) };
}

/**
 * Watch the leader-lock directory of an ensemble until stopped: every LOCKNODE seen, with whether
 * it was ephemeral. Polls (watches would miss short-lived nodes just the same).
 */
export function watchLockNodes(hosts: string, root: string): { stop: () => Promise<{ name: string; ephemeral: boolean }[]> } {
  const dir = `${root}/lock/dsn.meta.server.leader`;
  const seen = new Map<string, boolean>();
  let stopped = false;
  const loop = (async () => {
    const s = await ZkSession.connect(hosts, { sessionTimeoutMs: 10000, connectTimeoutMs: 10000 });
    try {
      while (!stopped) {
        try {
          for (const name of await s.getChildren(dir)) {
            try {
              const st = await s.exists(`${dir}/${name}`);
              if (st) seen.set(name, (seen.get(name) ?? true) && readLong(st.ephemeralOwner) !== 0n);
            } catch {
              /* gone meanwhile */
            }
          }
        } catch {
          /* not there yet */
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    } finally {
      s.close();
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return [...seen].map(([name, ephemeral]) => ({ name, ephemeral }));
    },
  };
}

/** SIGKILL a replica server of the sandbox; returns a function that starts it again. */
export async function killReplica(f: Fleet, name: string): Promise<() => void> {
  const rec = readState(f.info.dir)!.replicas.find((p) => p.name === name)!;
  const img = imageOf(rec.pid, rec.log);
  await stopProcess(rec.pid, 'SIGKILL');
  return () => {
    const st = readState(f.info.dir)!;
    const r = st.replicas.find((p) => p.name === name)!;
    if (isAlive(r.pid)) return;
    r.pid = startImage(img);
    writeState(st);
  };
}

export function sha256File(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

export interface KillResult {
  run: string;
  /** Steps the journal recorded as done when the coordinator was killed. */
  doneAtKill: string[];
  resume: CliRun;
  from: string;
  to: string;
}

/**
 * The ensemble the cluster serves from (`from`) and the other one (`to`), emptied of the previous
 * migration's tree so that a migration to it starts from an empty target.
 */
export async function nextMigration(fleet: Fleet): Promise<{ from: string; to: string }> {
  const from = await currentZk(fleet);
  const to = from === fleet.info.oldZk ? fleet.info.newZk : fleet.info.oldZk;
  if ((await treeFingerprint(to, fleet.info.clusterRoot)).exists) {
    // The previous iteration's source: no meta uses it any more (zkmig cleanup would also check that
    // the current tree holds all of it, which a recovered tree need not).
    await withZk(to, (s) => removeTree({ ...onSession(s, fleet.info.clusterRoot), recursive: true, ifExists: true, waitEphemeralUntil: Date.now() + 20000 }));
  }
  return { from, to };
}

/**
 * Migrate (copy) to the other ensemble with the real CLI as a child process, SIGKILL it as soon as
 * the journal shows its `n`th step-done line (watching the file: no special code path in the
 * coordinator), then `zkmig resume RUN`. The target is emptied first (nextMigration).
 */
export async function killAfterStepThenResume(fleet: Fleet, n: number, method: 'copy' | 'recover' = 'copy', o: { precopy?: boolean } = {}): Promise<KillResult> {
  const { from, to } = await nextMigration(fleet);
  const before = journals(fleet);
  // copy: the steps of --no-precopy (COPY_STEPS below) unless `precopy` (migrate-precopy.test.ts).
  const child = cliChild(fleet, ['migrate', '--cluster', fleet.info.cluster, '--to', to, '--method', method, ...(method === 'copy' && !o.precopy ? ['--no-precopy'] : []), '--yes', '--json']);
  const file = await newJournal(fleet, before);
  const doneSteps = (): string[] => readJournal(file).flatMap((e) => (e.kind === 'step-done' ? [e.step] : []));
  let exited = false;
  void child.done.then(() => (exited = true));
  await waitFor(`step-done #${n} in ${file}`, () => doneSteps().length >= n || exited, 120000, 5);
  child.proc.kill('SIGKILL');
  const r = await child.done;
  const doneAtKill = doneSteps();
  if (doneAtKill.length < n) throw new Error(`the run ended before step ${n}: ${r.err}${r.out.slice(-2000)}`);
  const run = runIdOf(file);
  const resume = await cli(fleet, ['resume', run, '--yes']);
  return { run, doneAtKill, resume, from, to };
}

/** The copy method's steps with --no-precopy, in order (what a completed journal records as done). */
export const COPY_STEPS = ['preflight', 'stop-followers', 'set-blind', 'copy', 'check-source', 'stop-leader', 'recheck-source', 'update-configs', 'start-leader', 'wait-leader', 'start-followers', 'final-health'];

/** The recover method's steps, in order. */
export const RECOVER_STEPS = ['preflight', 'backup-lists', 'stop-metas', 'wait-inactive', 'configure-recovery', 'start-recovery-meta', 'recover', 'disable-recovery', 'restart-recovered-meta', 'start-others', 'wait-converged', 'final-health'];
