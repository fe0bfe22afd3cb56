/**
 * `npm run bench -- sim-load`: the simulated meta's leader load of `<cluster_root>/apps`
 * (sim/meta/app-store.ts, AppStore.load) alone, on Pegasus-shaped trees of about 10,000 and
 * 100,000 znodes in one local ZooKeeper 3.8. Every migration's write freeze ends only after the new
 * leader meta has loaded the tree, so this load must cost what a real meta's does (a second or two
 * at 100k), or the freeze figures measure the simulator.
 *
 * Each load runs in a fresh process (bench/_sim-load-child.ts), as a meta that just won the lock,
 * and reports wall time and that process's CPU, and the ZooKeeper server's CPU over the same load
 * (from /proc; both share this machine). One unreported load per tree warms the server first.
 * Three ways to read, each at the read windows of its flag:
 *   - `multiRead`: the meta's default (fast replies, getData batched in multiRead), --windows;
 *   - `getData`: fast replies, one raw getData per node, --getdata-windows;
 *   - `plain`: the client left as it is (`fastReplies: false`), one public getData per node, as
 *     before, --plain-windows.
 *
 * Flags: --trees=40x256,250x400 (tables x partitions), --windows=128,512,1000,all,
 * --getdata-windows=1000, --plain-windows=128 ('' for none), --repeat=3 (the best of N is
 * reported with all runs).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pegasusTreeSize, seedPegasusTree } from '../coordinator/lib/zk';
import { startZk } from '../test/harness/zookeeper';

function flag(args: string[], name: string, dflt: string): string {
  const a = args.find((x) => x === `--${name}` || x.startsWith(`--${name}=`));
  return a === undefined || !a.includes('=') ? dflt : a.slice(a.indexOf('=') + 1);
}

interface LoadRun {
  reads: number;
  requests: number;
  maxOutstanding: number;
  ms: number;
  cpuMs: number;
  apps: number;
  partitions: number;
}

/** A child run that did not finish within this is reported as timed out (the plain client at a deep window can take minutes). */
const CHILD_TIMEOUT_MS = 180_000;

type Mode = 'multiRead' | 'getData' | 'plain';

/** Utime + stime of a process in ms (clock ticks of 10 ms); undefined when it is gone. */
function cpuMsOf(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) * 10;
  } catch {
    return undefined;
  }
}

function child(args: { hosts: string; appsRoot: string; window: number | 'all'; fastReplies: boolean; multiRead: boolean }): LoadRun | { timedOut: true } {
  const r = spawnSync(process.execPath, [path.join(__dirname, '_sim-load-child.js'), JSON.stringify(args)], {
    encoding: 'utf8',
    maxBuffer: 16 << 20,
    timeout: CHILD_TIMEOUT_MS,
    killSignal: 'SIGKILL',
  });
  if (r.signal === 'SIGKILL') return { timedOut: true };
  if (r.status !== 0) throw new Error(`sim-load child failed (exit ${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as LoadRun;
}

function parseWindows(s: string): (number | 'all')[] {
  return s
    .split(',')
    .filter((w) => w !== '')
    .map((w) => {
      if (w === 'all') return 'all';
      const n = Number(w);
      if (!Number.isInteger(n) || n < 1) throw new Error(`--windows: '${w}' is neither a positive integer nor 'all'`);
      return n;
    });
}

export async function run(argv: string[]): Promise<Record<string, unknown>> {
  const trees = flag(argv, 'trees', '40x256,250x400')
    .split(',')
    .map((t) => {
      const m = /^(\d+)x(\d+)$/.exec(t);
      if (!m) throw new Error(`--trees: '${t}' is not TABLESxPARTITIONS`);
      return { apps: Number(m[1]), partitions: Number(m[2]) };
    });
  const windows: Record<Mode, (number | 'all')[]> = {
    multiRead: parseWindows(flag(argv, 'windows', '128,512,1000,all')),
    getData: parseWindows(flag(argv, 'getdata-windows', '1000')),
    plain: parseWindows(flag(argv, 'plain-windows', '128')),
  };
  const repeat = Math.max(1, Number(flag(argv, 'repeat', '3')));
  const log = (m: string): void => void process.stderr.write(`sim-load bench: ${m}\n`);
  const z = await startZk();
  try {
    const results = [];
    for (const [i, t] of trees.entries()) {
      const spec = { root: `/pegasus/simload${i}`, apps: t.apps, partitions: t.partitions };
      const znodes = pegasusTreeSize(spec);
      log(`seeding ${znodes.toLocaleString('en-US')} znodes (${t.apps} tables x ${t.partitions} partitions)`);
      await seedPegasusTree(z.zk.connectString, spec);
      const base = { hosts: z.zk.connectString, appsRoot: `${spec.root}/apps` };
      log('warm-up load (not reported)');
      child({ ...base, window: 1000, fastReplies: true, multiRead: false });
      const loads: Record<string, unknown>[] = [];
      const measure = (mode: Mode, window: number | 'all'): void => {
        const runs: ((LoadRun & { zkCpuMs: number | null }) | { timedOut: true })[] = [];
        for (let k = 0; k < repeat; k++) {
          log(`${mode}, window ${window}, run ${k + 1}/${repeat}`);
          const zk0 = cpuMsOf(z.zk.pids()[0]);
          const r = child({ ...base, window, fastReplies: mode !== 'plain', multiRead: mode === 'multiRead' });
          const zk1 = cpuMsOf(z.zk.pids()[0]);
          runs.push('timedOut' in r ? r : { ...r, zkCpuMs: zk0 !== undefined && zk1 !== undefined ? zk1 - zk0 : null });
          if ('timedOut' in r) break; // the next would time out too
        }
        const done = runs.filter((r): r is LoadRun & { zkCpuMs: number | null } => !('timedOut' in r));
        const best = done.reduce<(typeof done)[number] | undefined>((b, r) => (!b || r.ms < b.ms ? r : b), undefined);
        loads.push({
          mode,
          window,
          best: best ?? null,
          runs: runs.map((r) => ('timedOut' in r ? `timed out after ${CHILD_TIMEOUT_MS} ms` : { ms: r.ms, cpuMs: r.cpuMs, zkCpuMs: r.zkCpuMs })),
        });
      };
      for (const mode of ['multiRead', 'getData', 'plain'] as const) for (const w of windows[mode]) measure(mode, w);
      results.push({ tables: t.apps, partitions: t.partitions, znodes, loads });
    }
    return { trees: results, repeat, machine: { cpus: os.cpus().length, loadavg: os.loadavg().map((l) => Math.round(l * 100) / 100) } };
  } finally {
    await z.cleanup();
  }
}
