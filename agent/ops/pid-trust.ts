/**
 * What the agent may believe about a pid before it signals it (it runs as root with CAP_KILL).
 * A pid file in a directory another user can write is that user's to fill in: without these
 * checks the agent would SIGTERM/SIGKILL whatever process (or process group, `kill(-1)` included)
 * that user names.
 * - pid 1, the agent itself, and anything that is not a positive integer are never signalled;
 * - every process the agent starts carries a secret mark in its environment
 *   (`ZKMIG_AGENT_MARK=<service>:<secret>`); /proc/PID/environ is readable only by the process's
 *   owner and root, and the secret lives in the root-only state directory, so no other user can
 *   fake it. A look-alike process (same argv and cwd) without it is reported, never adopted;
 * - a pid file is trusted as written only when it and its directory are writable by the agent's
 *   user alone; elsewhere its pid must carry the mark.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const MARK_VAR = 'ZKMIG_AGENT_MARK';

/** The agent's secret (created once, 0600, in the state directory). */
export function agentSecret(stateDir: string): string {
  const file = path.join(stateDir, 'agent-mark');
  try {
    const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      const s = fs.readFileSync(fd, 'utf8').trim();
      if (/^[0-9a-f]{32,}$/.test(s)) return s;
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o750 });
  const secret = crypto.randomBytes(16).toString('hex');
  const tmp = `${file}.tmp-${crypto.randomBytes(6).toString('hex')}`;
  const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
  try {
    fs.writeSync(fd, secret + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  return secret;
}

export function markOf(service: string, secret: string): string {
  return `${service}:${secret}`;
}

/** True when /proc/PID/environ holds ZKMIG_AGENT_MARK=<mark>. */
export function carriesMark(pid: number, mark: string): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`${MARK_VAR}=${mark}`);
  } catch {
    return false;
  }
}

/** Real uid of a process, or undefined. */
export function uidOf(pid: number): number | undefined {
  try {
    const m = /^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Process group of a process, or undefined. */
export function pgrpOf(pid: number): number | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return undefined;
  }
}

/** A pid the agent may ever signal: a positive integer, not 1, not itself. */
export function signallable(pid: number): boolean {
  return Number.isSafeInteger(pid) && pid > 1 && pid !== process.pid;
}

const myUid = (): number => (typeof process.getuid === 'function' ? process.getuid() : 0);

/** Owned by root or the agent's user, and not writable by group or others. */
function ownedSafely(st: fs.Stats): boolean {
  return (st.uid === 0 || st.uid === myUid()) && (st.mode & 0o022) === 0;
}

/**
 * Why a file in `file`'s directory is not the agent's alone ('' when it is): the directory, and
 * the file if it exists, must be owned by root or the agent's user and not group/other-writable.
 */
export function untrustedWhy(file: string): string {
  const dir = path.dirname(file);
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    return '';
  }
  if (!ownedSafely(st)) return `${dir} is writable by users other than the agent's (owner uid ${st.uid}, mode ${(st.mode & 0o7777).toString(8)})`;
  try {
    const f = fs.lstatSync(file);
    if (f.isSymbolicLink()) return `${file} is a symlink`;
    if (!ownedSafely(f)) return `${file} is writable by users other than the agent's (owner uid ${f.uid}, mode ${(f.mode & 0o7777).toString(8)})`;
  } catch {
    /* missing: nothing to distrust */
  }
  return '';
}
