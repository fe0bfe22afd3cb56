/**
 * Process facts from /proc (Linux) and the one `sleep`, shared by the agent, the coordinator's
 * sandbox and the simulator.
 */
import * as fs from 'node:fs';

/** Fields of /proc/PID/stat after the `(comm)` field, which may itself contain spaces and parentheses. */
export function procStatFields(pid: number): string[] | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** True when `pid` exists and is not a zombie (a process another user owns counts: EPERM means it exists). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const state = procStatFields(pid)?.[0];
  return state !== undefined && state !== 'Z' && state !== 'X';
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
