import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { isAlive, sleep } from '../../../shared/process';

/**
 * Process plumbing for the sandbox: start programs detached (so they outlive `zkmig sandbox up`),
 * find every process of one sandbox again (by pid, and by a marker in its environment or command
 * line so that nothing is missed after a crash), and stop them. Linux only (/proc), like the agent.
 */

/** Environment variable carried by every node process a sandbox starts; its value is the sandbox id. */
export const SANDBOX_ENV = 'ZKMIG_SANDBOX';

export { isAlive, sleep };

export interface DetachedOptions {
  /** Appended stdout and stderr. */
  logFile: string;
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /**
   * Kill the process when this Node process dies (tests): a tiny `sh` watchdog holds a pipe from us
   * and SIGKILLs the child once the pipe closes, even if we are SIGKILLed. @default false
   */
  tie?: boolean;
}

/** Start `argv` in its own session with output appended to a log file; returns its pid. */
export function startDetached(argv: string[], o: DetachedOptions): number {
  const [file, ...args] = argv;
  if (!file) throw new Error('startDetached: empty argv');
  const log = fs.openSync(o.logFile, 'a');
  const child = spawn(file, args, { stdio: ['ignore', log, log], env: o.env, cwd: o.cwd, detached: true });
  fs.closeSync(log);
  child.on('error', () => undefined);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`cannot start ${file}`);
  child.unref();
  if (o.tie) {
    const wd = spawn('sh', ['-c', 'cat >/dev/null; kill -9 "$0" 2>/dev/null', String(pid)], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    wd.on('error', () => undefined);
    wd.unref();
    (wd.stdin as NodeJS.WritableStream & { unref?: () => void }).unref?.();
    child.once('exit', () => wd.stdin?.end());
  }
  return pid;
}

function readProc(pid: number, what: 'environ' | 'cmdline'): string {
  try {
    return fs.readFileSync(`/proc/${pid}/${what}`, 'utf8');
  } catch {
    return '';
  }
}

/** Does `pid` still belong to this sandbox (pid reuse check before any signal)? */
export function belongsTo(pid: number, id: string, javaMarker: string): boolean {
  const env = readProc(pid, 'environ').split('\0');
  if (env.includes(`${SANDBOX_ENV}=${id}`)) return true;
  return readProc(pid, 'cmdline').split('\0').includes(`-Dzkmig.owner=${javaMarker}`);
}

/** Every live process of this sandbox found by its marker (node processes by env, ZooKeeper by -D flag). */
export function findByMarker(id: string, javaMarker: string): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const pid = Number(d);
    if (pid === process.pid) continue;
    if (isAlive(pid) && belongsTo(pid, id, javaMarker)) out.push(pid);
  }
  return out;
}

/** SIGTERM (whole group when it leads one), then SIGKILL after `graceMs`; resolves when every pid is gone. */
export async function terminate(pids: number[], graceMs = 3000): Promise<number[]> {
  const live = pids.filter(isAlive);
  const send = (sig: NodeJS.Signals): void => {
    for (const pid of live) {
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, sig);
        } catch {
          /* not a group leader, or gone */
        }
      }
    }
  };
  send('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (live.some(isAlive) && Date.now() < deadline) await sleep(50);
  if (live.some(isAlive)) {
    send('SIGKILL');
    const hard = Date.now() + 5000;
    while (live.some(isAlive) && Date.now() < hard) await sleep(50);
  }
  return live.filter(isAlive);
}

