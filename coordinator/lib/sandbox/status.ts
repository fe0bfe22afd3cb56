import * as fs from 'node:fs';
import { isAlive } from './processes';
import { SandboxState, readState } from './state';

/** `zkmig sandbox status`: every recorded process and whether it still runs. Reads only. */

export interface ProcessStatus {
  name: string;
  kind: 'zookeeper' | 'agent' | 'meta' | 'replica';
  pid: number;
  address: string;
  alive: boolean;
}

export interface SandboxStatus {
  dir: string;
  /** False when there is no sandbox state in the directory. */
  exists: boolean;
  /** At least one recorded process runs. */
  running: boolean;
  state?: SandboxState;
  processes: ProcessStatus[];
}

function pidFrom(file: string): number {
  try {
    const n = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : 0;
  } catch {
    return 0;
  }
}

/** The recorded processes of a sandbox (metas through their agents' pid files). */
export function recordedProcesses(s: SandboxState): Omit<ProcessStatus, 'alive'>[] {
  const out: Omit<ProcessStatus, 'alive'>[] = [];
  for (const [which, z] of [['old', s.zk.old], ['new', s.zk.new]] as const) {
    for (const pid of z?.pids ?? []) out.push({ name: `zk-${which}`, kind: 'zookeeper', pid, address: z!.connectString });
  }
  for (const a of s.agents) out.push({ name: a.name, kind: 'agent', pid: a.pid, address: a.address });
  for (const m of s.metas) out.push({ name: m.name, kind: 'meta', pid: pidFrom(m.pidFile), address: m.address });
  for (const r of s.replicas) out.push({ name: r.name, kind: 'replica', pid: r.pid, address: r.address });
  return out;
}

export function sandboxStatus(dir: string): SandboxStatus {
  const state = readState(dir);
  if (!state) return { dir, exists: false, running: false, processes: [] };
  const processes = recordedProcesses(state).map((p) => ({ ...p, alive: p.pid > 0 && isAlive(p.pid) }));
  return { dir, exists: true, running: processes.some((p) => p.alive), state, processes };
}
