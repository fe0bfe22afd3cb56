/**
 * `npm run bench -- sandbox`: bring up `zkmig sandbox up --profile large` (40 tables × 256
 * partitions × 3 replicas over 5 replica servers, ~100,000 znodes with the dropped tables) and report:
 * the time from start to healthy, the peak RSS (VmHWM) of every simulator process, agent and
 * ZooKeeper server, and of this process (which runs the coordinator's `sandbox up`), the leader's
 * load of the tree as its log reports it, and the same load done node by node (window 1, what the
 * simulator did before it pipelined its reads) and pipelined (the meta's window) on the same tree.
 *
 * Flags: --profile=NAME (large), --keep (leave the sandbox running).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sandboxUp } from '../coordinator/lib/sandbox';
import { teardownBenchSandbox } from './_sandbox-teardown';
import { profileZnodes, sandboxProfile } from '../coordinator/lib/sandbox/profiles';
import { readState } from '../coordinator/lib/sandbox/state';
import { ZkSession } from '../shared/zk/client';
import { Logger } from '../sim/common/log';
import { AppStore, READ_WINDOW } from '../sim/meta/app-store';

function flag(args: string[], name: string, def: string): string {
  const a = args.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : def;
}

/** Peak resident set (VmHWM) of a live process, in MiB; undefined when it is gone. */
function peakRssMb(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

function pidOf(file: string): number {
  try {
    return Number(fs.readFileSync(file, 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}

async function loadOnce(hosts: string, appsRoot: string, window: number): Promise<{ ms: number; cpuMs: number; reads: number; maxOutstanding: number }> {
  const s = await ZkSession.connect(hosts, { sessionTimeoutMs: 30000 });
  try {
    const store = new AppStore(s, appsRoot, new Logger('bench'), (m, msg) => {
      throw new Error(`${m}: ${msg}`);
    }, window);
    await store.load();
    return { ...store.loadStats };
  } finally {
    s.close();
  }
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const profile = sandboxProfile(flag(args, 'profile', 'large'));
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'zkmig-bench-sandbox-'));
  const dir = path.join(base, 'sandbox');
  const say = (m: string): void => void process.stderr.write(`  ${m}\n`);
  const t0 = Date.now();
  try {
    const info = await sandboxUp({ dir, profile: profile.name, progress: (m) => say(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${m}`) });
    const upMs = Date.now() - t0;
    say(`healthy after ${upMs} ms`);
    const st = readState(info.dir)!;
    const group = (pids: { name: string; pid: number }[]): Record<string, number | null> => Object.fromEntries(pids.map((p) => [p.name, peakRssMb(p.pid) ?? null]));
    const metas = group(st.metas.map((m) => ({ name: m.name, pid: pidOf(m.pidFile) })));
    const replicas = group(st.replicas);
    const agents = group(st.agents);
    const zk = group([...(st.zk.old?.pids ?? []).map((pid, i) => ({ name: `old${i}`, pid })), ...(st.zk.new?.pids ?? []).map((pid, i) => ({ name: `new${i}`, pid }))]);
    const sum = (r: Record<string, number | null>): number => Object.values(r).reduce<number>((n, v) => n + (v ?? 0), 0);
    const coordinatorMb = Math.round(process.resourceUsage().maxRSS / 1024);
    // The leader's own load, as its log reports it (the first leader; a failover would log again).
    const loads = st.metas
      .map((m) => /read (\d+) nodes from remote storage in (\d+) ms \((\d+) ms of CPU\), at most (\d+) outstanding/.exec(fs.readFileSync(m.log, 'utf8')))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ reads: Number(m[1]), ms: Number(m[2]), cpuMs: Number(m[3]), maxOutstanding: Number(m[4]) }));
    say('loading the tree node by node, then pipelined, from this process');
    const appsRoot = `${st.clusterRoot}/apps`;
    const serial = await loadOnce(info.oldZk, appsRoot, 1);
    const pipelined = await loadOnce(info.oldZk, appsRoot, READ_WINDOW);
    return {
      profile: profile.name,
      expectedZnodes: profileZnodes(profile),
      livePartitions: info.tables.reduce((n, t) => n + t.partitions, 0),
      replicaServers: st.replicas.length,
      startToHealthyMs: upMs,
      peakRssMb: { metas, replicas, agents, zookeeper: zk, simulatorTotal: sum(metas) + sum(replicas), coordinator: coordinatorMb },
      leaderTreeLoad: loads[0] ?? null,
      treeLoad: { window1: serial, [`window${READ_WINDOW}`]: pipelined, speedup: Math.round((serial.ms / Math.max(1, pipelined.ms)) * 10) / 10 },
      machine: { cpus: os.cpus().length, loadavg: os.loadavg().map((l) => Math.round(l * 100) / 100) },
    };
  } finally {
    await teardownBenchSandbox(args, dir, base, say);
  }
}
