import * as fs from 'node:fs';
import { carriesMark, uidOf } from './pid-trust';
import { isAlive } from './process';

/**
 * Find a `simple` command service's process that no pid file names: the agent spawns it and only
 * then writes the pid file, so an agent killed in between (SIGKILL, OOM, a host hiccup) leaves the
 * service running with nothing recording it. The next agent would report it stopped, a "stop"
 * would leave it running, and a "start" would launch a second copy (the fault matrix saw exactly
 * that: a meta kept leading on the new ensemble during a rollback, the restarted copy failing with
 * EADDRINUSE). The process is recognised by its exact argv and working directory, both of which
 * the agent itself chose when it started it, AND by the secret mark in its environment
 * (pid-trust.ts): argv and cwd are visible to every user, so without the mark any local user could
 * start a look-alike and make the agent report the meta as running. Look-alikes without the mark
 * come back as `foreign`, for the status to report as a conflict.
 */
export function findOrphan(argv: readonly string[], cwd: string, mark: string): { ours: number | undefined; foreign: { pid: number; uid: number | undefined }[] } {
  const want = argv.join('\0');
  let dirs: string[];
  try {
    dirs = fs.readdirSync('/proc');
  } catch {
    return { ours: undefined, foreign: [] };
  }
  const found: number[] = [];
  const foreign: { pid: number; uid: number | undefined }[] = [];
  for (const d of dirs) {
    if (!/^\d+$/.test(d)) continue;
    const pid = Number(d);
    if (pid === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0$/, '') !== want) continue;
      if (fs.realpathSync(`/proc/${pid}/cwd`) !== fs.realpathSync(cwd)) continue;
    } catch {
      continue; // gone meanwhile, or not ours to read
    }
    if (!isAlive(pid)) continue;
    if (carriesMark(pid, mark)) found.push(pid);
    else foreign.push({ pid, uid: uidOf(pid) });
  }
  // Two marked candidates: adopting either would be a guess.
  return { ours: found.length === 1 ? found[0] : undefined, foreign };
}
