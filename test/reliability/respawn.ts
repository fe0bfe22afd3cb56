import * as fs from 'node:fs';
import { isAlive, sleep, startDetached } from '../../coordinator/lib/sandbox/processes';

/**
 * Stop a sandbox process and start the very same program again, as a service manager would: the
 * argv, environment and working directory are read from /proc before the signal, so nothing about
 * how the sandbox started it has to be known here (agents, replica servers and ZooKeeper members
 * alike). The new process carries the same sandbox marker, so `sandbox down` still finds it.
 */

export interface ProcessImage {
  argv: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  log: string;
}

/** What is needed to start `pid` again; `log` is where its output goes. */
export function imageOf(pid: number, log: string): ProcessImage {
  const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
  const env: NodeJS.ProcessEnv = {};
  for (const kv of fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
    const i = kv.indexOf('=');
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return { argv, env, cwd: fs.readlinkSync(`/proc/${pid}/cwd`), log };
}

/** Send `sig` and wait until the process is gone (SIGKILL after `graceMs` if it lingers). */
export async function stopProcess(pid: number, sig: 'SIGKILL' | 'SIGTERM', graceMs = 10000): Promise<void> {
  try {
    process.kill(pid, sig);
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await sleep(20);
  }
}

/** Start the image again, tied to this process (it dies with the runner). Returns the new pid. */
export function startImage(img: ProcessImage): number {
  const [file, ...args] = img.argv;
  return startDetached([file!, ...args], { logFile: img.log, env: img.env, cwd: img.cwd, tie: true });
}
