/**
 * The `command` backend, for meta servers run by scripts or a supervisor instead of a systemd unit
 * (and for the Pegasus simulator in tests and the sandbox).
 *
 * - type `simple`: start is a foreground program. The agent launches it detached: its own session
 *   (setsid), stdin from /dev/null, stdout and stderr appended to logFile, pid in pidFile plus a
 *   sidecar `<pidFile>.zkmig.json` with the process start time. The process is not the agent's
 *   child in any way that matters, so it survives an agent restart (the unit uses KillMode=process
 *   for that), and the start time tells it apart from a later process that reuses its pid.
 * - type `forking`: start is a script that daemonizes and writes pidFile itself.
 * - stop: the configured argv, else SIGTERM to the pid (its whole process group for `simple`),
 *   SIGKILL after the stop timeout.
 * - status: the configured argv (LSB exit codes: 0 running, 1/2 dead with pid file, 3 stopped),
 *   else "the pid in pidFile is alive".
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ExecError, PreconditionError, TimeoutError } from '../../shared/errors';
import type { ResolvedCommand } from '../config';
import { BASE_ENV, Exec } from '../exec';
import { findOrphan } from './orphan';
import { agentSecret, carriesMark, MARK_VAR, markOf, pgrpOf, signallable, untrustedWhy } from './pid-trust';
import { isAlive, readPidFile, signal, startTime, tailFile } from './process';
import * as crypto from 'node:crypto';
import type { ActiveState, ServiceBackend, ServiceStatus } from './service-types';

interface Sidecar {
  pid: number;
  startTime: string;
  argv: string[];
  startedAt: string;
}

export interface CommandBackendDeps {
  exec: Exec;
  sleep: (ms: number) => Promise<void>;
  /** The agent's own directory (root-only): the sidecar records and the secret mark live there. */
  stateDir: string;
}

export class CommandBackend implements ServiceBackend {
  /** Exit of processes this agent launched, by pid (from the child's exit event). */
  private readonly exits = new Map<number, { code: number | null; signal: string | null; at: number }>();
  private earlyCrashes = 0;
  /** Resolves when a process this agent launched has been reaped (its exit event fired). */
  private readonly reaped = new Map<number, Promise<void>>();

  constructor(
    private readonly name: string,
    private readonly cmd: ResolvedCommand,
    private readonly configFile: string,
    private readonly deps: CommandBackendDeps,
  ) {}

  /**
   * The agent's record of what it started. It lives in the agent's own state directory, never
   * beside a pid file another user may be able to write (for the default pidFile it is
   * `<pidFile>.zkmig.json`).
   */
  /** `user:`/`group:` as spawn options; empty: the agent's own ids. */
  private get ids(): { uid?: number; gid?: number } {
    return { ...(this.cmd.uid !== null ? { uid: this.cmd.uid } : {}), ...(this.cmd.gid !== null ? { gid: this.cmd.gid } : {}) };
  }

  private get sidecarPath(): string {
    return path.join(this.deps.stateDir, 'services', `${this.name}.pid.zkmig.json`);
  }

  private secret: string | undefined;
  private get mark(): string {
    this.secret ??= agentSecret(this.deps.stateDir);
    return markOf(this.name, this.secret);
  }

  private readSidecar(pid: number): Sidecar | undefined {
    try {
      const fd = fs.openSync(this.sidecarPath, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
      try {
        if (!fs.fstatSync(fd).isFile()) return undefined;
        const s = JSON.parse(fs.readFileSync(fd, 'utf8')) as Sidecar;
        return s.pid === pid ? s : undefined;
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      return undefined;
    }
  }

  /**
   * The recorded pid when it is alive and still the process that was started; else a process this
   * agent started but never recorded (orphan.ts), which is adopted; 0 otherwise, with why.
   * `group`: the pid leads a process group this agent created (a `simple` start), so stop may
   * signal the whole group.
   */
  private livePid(): { pid: number; recorded: number; why: string; group: boolean } {
    const r = this.recordedPid();
    if (r.pid > 0 || this.cmd.type === 'forking') return r;
    const { ours, foreign } = findOrphan(this.cmd.start, this.cmd.cwd, this.mark);
    if (ours === undefined) {
      if (foreign.length > 0) {
        const f = foreign.map((p) => `pid ${p.pid} (uid ${p.uid ?? '?'})`).join(', ');
        return { ...r, why: `conflict: ${f} runs the same command but was not started by this agent; it is neither adopted nor signalled` };
      }
      return r;
    }
    const side: Sidecar = { pid: ours, startTime: startTime(ours) ?? '', argv: this.cmd.start, startedAt: new Date().toISOString() };
    fs.mkdirSync(path.dirname(this.sidecarPath), { recursive: true, mode: 0o750 });
    writeSmallFile(this.sidecarPath, JSON.stringify(side) + '\n');
    writeSmallFile(this.cmd.pidFile, `${ours}\n`);
    return { pid: ours, recorded: ours, why: '', group: pgrpOf(ours) === ours };
  }

  private recordedPid(): { pid: number; recorded: number; why: string; group: boolean } {
    const recorded = readPidFile(this.cmd.pidFile);
    const no = (why: string): { pid: number; recorded: number; why: string; group: boolean } => ({ pid: 0, recorded, why, group: false });
    if (recorded === 0) return no(`no pid in ${this.cmd.pidFile}`);
    if (!signallable(recorded)) return no(`${this.cmd.pidFile} names pid ${recorded}, which the agent never signals`);
    if (!isAlive(recorded)) return no(`pid ${recorded} from ${this.cmd.pidFile} is not running`);
    const side = this.readSidecar(recorded);
    if (side) {
      if (side.startTime !== startTime(recorded)) return no(`pid ${recorded} now belongs to another process (pid reused since ${side.startedAt})`);
      // Ours, as recorded by us; a `simple` start made it a session (and group) leader.
      return { pid: recorded, recorded, why: '', group: this.cmd.type === 'simple' && pgrpOf(recorded) === recorded };
    }
    const untrusted = untrustedWhy(this.cmd.pidFile);
    if (untrusted && !carriesMark(recorded, this.mark)) {
      return no(`pid ${recorded} from ${this.cmd.pidFile} was not started by this agent (${untrusted}, and the process lacks the agent's mark); it is not signalled`);
    }
    return { pid: recorded, recorded, why: '', group: false };
  }

  private status0(state: ActiveState, pid: number, detail: string, execMainStatus = -1): ServiceStatus {
    return {
      name: this.name,
      backend: 'command',
      state,
      subState: pid > 0 ? 'running' : 'dead',
      mainPid: pid,
      nRestarts: this.earlyCrashes,
      execMainStatus,
      unit: this.cmd.start.join(' '),
      configFile: this.configFile,
      detail,
      startedAt: pidFileMtime(this.cmd.pidFile),
    };
  }

  async status(): Promise<ServiceStatus> {
    const live = this.livePid();
    // /proc shows our child as a zombie a moment before Node reaps it and reports its exit status;
    // wait for that (briefly) so a crash is reported with its exit code.
    const reaping = this.reaped.get(live.recorded);
    if (live.pid === 0 && reaping && !this.exits.has(live.recorded)) await Promise.race([reaping, this.deps.sleep(1000)]);
    const exit = this.exits.get(live.recorded);
    const exitStatus = exit ? (exit.code ?? 128 + 15) : -1;
    if (this.cmd.status) {
      const r = await this.deps.exec(this.cmd.status, { timeoutMs: 15000, env: this.cmd.env, cwd: this.cmd.cwd, ...this.ids });
      const out = (r.stdout.trim() || r.stderr.trim()).split('\n')[0] ?? '';
      const state: ActiveState = r.exitCode === 0 ? 'active' : r.exitCode === 3 ? 'inactive' : r.exitCode === 1 || r.exitCode === 2 ? 'failed' : 'unknown';
      return this.status0(state, state === 'active' ? live.pid : 0, `status command exited ${r.exitCode ?? r.signal}${out ? `: ${out}` : ''}`, exitStatus);
    }
    if (live.pid > 0) return this.status0('active', live.pid, `pid ${live.pid} from ${this.cmd.pidFile}`, exitStatus);
    if (live.recorded === 0) return this.status0('inactive', 0, live.why, exitStatus);
    // LSB "dead but pid file exists" is a failure, unless we saw it exit cleanly.
    const clean = exit !== undefined && exit.code === 0;
    const how = exit ? (exit.code !== null ? `exited with status ${exit.code}` : `was killed by ${exit.signal}`) : '';
    return this.status0(clean ? 'inactive' : 'failed', 0, how ? `pid ${live.recorded} ${how}` : live.why, exitStatus);
  }

  async start(timeoutMs: number): Promise<void> {
    fs.mkdirSync(path.dirname(this.cmd.pidFile), { recursive: true, mode: 0o750 });
    if (this.cmd.type === 'forking') {
      const r = await this.deps.exec(this.cmd.start, { timeoutMs, env: { ...this.cmd.env, [MARK_VAR]: this.mark }, cwd: this.cmd.cwd, ...this.ids });
      if (r.exitCode !== 0) {
        throw new ExecError(this.cmd.start, r.exitCode, r.signal, r.stderr, `start command of ${this.name} exited with ${r.exitCode ?? r.signal}: ${r.stderr.trim().split('\n').slice(-1)[0] ?? ''}`);
      }
      return;
    }
    fs.mkdirSync(path.dirname(this.cmd.logFile), { recursive: true, mode: 0o750 });
    fs.mkdirSync(path.dirname(this.sidecarPath), { recursive: true, mode: 0o750 });
    // Never through a symlink (a planted one would make root append to any file), never a FIFO.
    const C = fs.constants;
    let log: number;
    try {
      log = fs.openSync(this.cmd.logFile, C.O_WRONLY | C.O_APPEND | C.O_CREAT | C.O_NOFOLLOW | C.O_NONBLOCK, 0o640);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw new PreconditionError(`cannot start ${this.name}: logFile ${this.cmd.logFile} is a symlink; the agent never writes through one`);
      throw e;
    }
    try {
      if (!fs.fstatSync(log).isFile()) throw new PreconditionError(`cannot start ${this.name}: logFile ${this.cmd.logFile} is not a regular file`);
      fs.writeSync(log, `--- zkmig-agent: starting ${this.name} at ${new Date().toISOString()}: ${this.cmd.start.join(' ')}\n`);
      const [bin, ...args] = this.cmd.start;
      const child = spawn(bin as string, args, {
        detached: true,
        stdio: ['ignore', log, log],
        cwd: this.cmd.cwd,
        env: { ...BASE_ENV, ...this.cmd.env, [MARK_VAR]: this.mark },
        ...this.ids,
      });
      const pid = await new Promise<number>((resolve, reject) => {
        child.once('error', (e) => reject(new ExecError(this.cmd.start, null, null, e.message, `cannot start ${this.name}: ${e.message}`, { cause: e })));
        child.once('spawn', () => resolve(child.pid as number));
      });
      let onReaped!: () => void;
      this.reaped.set(pid, new Promise<void>((r) => (onReaped = r)));
      child.once('exit', (code, sig) => {
        this.exits.set(pid, { code, signal: sig, at: Date.now() });
        onReaped();
        this.reaped.delete(pid);
        // Only recent exits matter (status of the current pid file); keep the map small.
        for (const k of [...this.exits.keys()].slice(0, Math.max(0, this.exits.size - 8))) this.exits.delete(k);
      });
      child.unref();
      const side: Sidecar = { pid, startTime: startTime(pid) ?? '', argv: this.cmd.start, startedAt: new Date().toISOString() };
      writeSmallFile(this.sidecarPath, JSON.stringify(side) + '\n');
      writeSmallFile(this.cmd.pidFile, `${pid}\n`);
    } finally {
      fs.closeSync(log);
    }
  }

  async stop(timeoutMs: number): Promise<void> {
    const before = this.livePid();
    if (this.cmd.stop) {
      const r = await this.deps.exec(this.cmd.stop, { timeoutMs, env: this.cmd.env, cwd: this.cmd.cwd, ...this.ids });
      if (r.exitCode !== 0) {
        throw new ExecError(this.cmd.stop, r.exitCode, r.signal, r.stderr, `stop command of ${this.name} exited with ${r.exitCode ?? r.signal}: ${r.stderr.trim().split('\n').slice(-1)[0] ?? ''}`);
      }
    } else if (before.pid > 0) {
      signal(before.pid, 'SIGTERM', before.group);
    }
    if (before.pid > 0 && !(await this.waitDead(before.pid, timeoutMs))) {
      signal(before.pid, 'SIGKILL', before.group);
      if (!(await this.waitDead(before.pid, 5000))) throw new TimeoutError(`${this.name} (pid ${before.pid}) is still alive after SIGKILL`);
    }
    // Remove the pid file once its process is gone, or when it never was ours (pid reused).
    if (readPidFile(this.cmd.pidFile) === before.recorded && (before.pid === 0 || !isAlive(before.recorded))) {
      fs.rmSync(this.cmd.pidFile, { force: true });
      fs.rmSync(this.sidecarPath, { force: true });
    }
  }

  private async waitDead(pid: number, ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    while (isAlive(pid)) {
      if (Date.now() >= until) return false;
      await this.deps.sleep(50);
    }
    return true;
  }

  async logTail(): Promise<string> {
    return this.cmd.type === 'simple' ? tailFile(this.cmd.logFile) : '';
  }

  /** Called by service control when a start died within its grace period. */
  recordEarlyCrash(): void {
    this.earlyCrashes++;
  }
}

function pidFileMtime(file: string): string {
  const st = fs.statSync(file, { throwIfNoEntry: false });
  return st ? String(st.mtimeMs) : '';
}

/**
 * Write a small file atomically enough for a pid file: a random temp name opened O_EXCL|O_NOFOLLOW
 * (a name planted in advance, or a symlink, fails instead of being written through), fsync, rename.
 */
function writeSmallFile(file: string, text: string): void {
  const tmp = `${file}.tmp-${crypto.randomBytes(6).toString('hex')}`;
  const C = fs.constants;
  const fd = fs.openSync(tmp, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o644);
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
