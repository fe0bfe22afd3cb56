/**
 * Many real agents for load tests and benchmarks, each managing its own config file with its own
 * agent.yaml, all with mutual TLS on loopback. Two shapes:
 *
 * - `perProcess: 1`: one real `zkmig-agent` process (dist/agent/main.js) per agent, exactly as
 *   deployed. Each Node start-up costs ~0.25 s of CPU, so 100 of them take 25-60 s on 2 busy cores:
 *   the benchmark's shape (bench/load.ts).
 * - `perProcess: N > 1`: N agent servers per Node process (agent-farm-main.ts). The coordinator still
 *   sees one TLS endpoint per agent, and the agents still serve from several processes: the shape
 *   `npm test` can afford.
 *
 * Processes are started in bounded parallel batches so start-up does not starve the machine.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import YAML from 'yaml';
import { mapLimit } from '../../coordinator/lib/fleet/fan-out';
import { agentNodeFlags, TestAgent } from './agent';
import type { TestPki } from './certs';

const FARM_MAIN = path.join(__dirname, 'agent-farm-main.js');

export interface AgentFarmOptions {
  /** Working directory for agent configs and state (the caller owns and removes it). */
  dir: string;
  pki: TestPki;
  /** One agent per file; agent i manages files[i]. */
  files: string[];
  /** Agent servers per Node process; 1 runs real zkmig-agent processes. @default 10 */
  perProcess?: number;
  /** Processes being started at once. @default 8 */
  startConcurrency?: number;
}

export interface AgentFarm {
  /** ports[i] is the agent managing files[i]. */
  ports: number[];
  /** Pids of the processes serving them: pids[k] serves agents k*perProcess .. (k+1)*perProcess-1. */
  pids: number[];
  /** Wall time from the first spawn until every agent served. */
  startMs: number;
  /** Resident memory of each process now, MiB. */
  rssMiB(): number[];
  /** SIGTERM every process and wait for them to exit. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();

/** For test.after.always: SIGKILL every farm process still running. */
export function killAllFarms(): void {
  for (const p of live) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  live.clear();
}

function agentYaml(dir: string, pki: TestPki, file: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const cfg = path.join(dir, 'agent.yaml');
  fs.writeFileSync(
    cfg,
    YAML.stringify({ listen: '127.0.0.1:0', stateDir: path.join(dir, 'state'), tls: { ca: pki.ca, cert: pki.agent.cert, key: pki.agent.key }, files: [{ path: file }], auditSink: 'stderr' }),
  );
  return cfg;
}

async function spawnFarm(configs: string[], stderrFile: string): Promise<{ proc: ChildProcess; ports: number[] }> {
  const err = fs.openSync(stderrFile, 'a');
  const proc = spawn(process.execPath, [...agentNodeFlags(), FARM_MAIN, ...configs], { stdio: ['ignore', 'pipe', err] });
  fs.closeSync(err);
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  const line = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: proc.stdout! }).once('line', resolve);
    proc.once('exit', (c) => reject(new Error(`agent farm process exited with ${c}: ${fs.readFileSync(stderrFile, 'utf8').slice(-2000)}`)));
  });
  return { proc, ports: (JSON.parse(line) as { ports: number[] }).ports };
}

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 102.4) / 10 : 0;
  } catch {
    return 0;
  }
}

/** Start one agent per file; resolves once all of them serve. On failure, whatever started is stopped. */
export async function startAgentFarm(o: AgentFarmOptions): Promise<AgentFarm> {
  const per = o.perProcess ?? 10;
  const limit = o.startConcurrency ?? 8;
  const started = Date.now();
  const groups: number[][] = [];
  for (let i = 0; i < o.files.length; i += per) groups.push(Array.from({ length: Math.min(per, o.files.length - i) }, (_, k) => i + k));
  const ports: number[] = new Array(o.files.length);
  const stops: (() => Promise<unknown>)[] = [];
  const pids: number[] = [];
  const settled = await mapLimit(groups, limit, async (g, gi) => {
    if (per === 1) {
      const i = g[0]!;
      const dir = path.join(o.dir, `agent${i}`);
      fs.mkdirSync(dir, { recursive: true });
      const a = await TestAgent.start({ dir, pki: o.pki, files: [o.files[i]!] });
      ports[i] = a.port;
      pids[gi] = a.proc!.pid!;
      stops.push(() => a.stop());
      return;
    }
    const configs = g.map((i) => agentYaml(path.join(o.dir, `agent${i}`), o.pki, o.files[i]!));
    const { proc, ports: got } = await spawnFarm(configs, path.join(o.dir, `farm${gi}.stderr`));
    g.forEach((i, k) => (ports[i] = got[k]!));
    pids[gi] = proc.pid!;
    stops.push(async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await gone;
    });
  });
  const stop = async (): Promise<void> => {
    await Promise.all(stops.map((s) => s()));
  };
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return { ports, pids, startMs: Date.now() - started, rssMiB: () => pids.map(rssOf), stop };
}
