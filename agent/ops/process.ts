/**
 * Process facts from /proc (Linux): is a pid alive (zombies count as dead), when did it start (to
 * tell our process from a later one that reused its pid), and pid files.
 */
import * as fs from 'node:fs';
import { isAlive, procStatFields as statFields } from '../../shared/process';

export { isAlive };

/** Start time of `pid` in clock ticks since boot (proc(5) field 22), or undefined. */
export function startTime(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

/** The pid in a pid file, or 0 when the file is missing, empty or not a number. */
export function readPidFile(file: string): number {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return 0;
  }
  const m = /^\s*(\d+)\s*$/.exec(text.split('\n')[0] ?? '');
  const pid = m ? Number(m[1]) : 0;
  return Number.isSafeInteger(pid) && pid > 0 ? pid : 0;
}

/** Send `signal` to `pid` (or its process group); false when it is already gone. */
export function signal(pid: number, sig: NodeJS.Signals, group: boolean): boolean {
  // Last line of defence: never pid 1, never the agent, never kill(-1) or kill(0).
  if (!Number.isSafeInteger(pid) || pid <= 1 || pid === process.pid) throw new Error(`refusing to signal pid ${pid}`);
  try {
    process.kill(group ? -pid : pid, sig);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw e;
  }
}

/** The last `maxLines` lines of a log file (reading at most its last 16 KiB). */
export function tailFile(file: string, maxLines = 20): string {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = fs.fstatSync(fd).size;
    const len = Math.min(size, 16384);
    const buf = Buffer.alloc(len);
    fs.readSync(fd, buf, 0, len, size - len);
    const lines = buf.toString('utf8').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines.slice(-maxLines).join('\n');
  } finally {
    fs.closeSync(fd);
  }
}
