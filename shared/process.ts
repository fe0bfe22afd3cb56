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

/**
 * True when `pid` exists and is not a finished zombie (a process another user owns counts: EPERM
 * means it exists).
 *
 * A zombie main thread is not a finished process: when a multi-threaded process (Node, a Pegasus
 * meta) exits, its main thread turns zombie first and the others tear down after it, the last one
 * releasing the process's memory and files, its listening port and ZooKeeper connection among them
 * (the kernel's do_exit: exit_files runs per thread, the files_struct is shared). Measured: a Node
 * process with a large heap showed state Z with 2 threads and still accepted connections on its
 * port for ~55 ms after SIGTERM. So a zombie counts as gone only once it is the last thread
 * (num_threads, /proc/PID/stat field 20); waitpid itself waits for that (delay_group_leader).
 */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const f = procStatFields(pid);
  const state = f?.[0];
  if (state === undefined) return false;
  if (state !== 'Z' && state !== 'X') return true;
  return Number(f?.[17]) > 1;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
