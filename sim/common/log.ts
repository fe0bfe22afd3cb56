/**
 * Pegasus-style log lines (rDSN simple_logger):
 * `I2024-05-01 12:00:00.123 (1714564800123 4242) meta.127.0.0.1:34601: server_state: message`.
 * Levels D/I go to stdout, W/E/F to stderr (the real server mirrors WARNING and above to stderr,
 * `[tools.simple_logger] stderr_start_level`). Nothing is written to files: a supervisor (systemd,
 * the agent's command backend, a test) captures both streams.
 */

export type Level = 'D' | 'I' | 'W' | 'E' | 'F';

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

export function timestamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export class Logger {
  constructor(private readonly who: string) {}

  private write(level: Level, module: string, msg: string): void {
    const now = Date.now();
    const line = `${level}${timestamp(now)} (${now} ${process.pid}) ${this.who}: ${module}: ${msg}\n`;
    if (level === 'D' || level === 'I') process.stdout.write(line);
    else process.stderr.write(line);
  }

  info(module: string, msg: string): void {
    this.write('I', module, msg);
  }
  warn(module: string, msg: string): void {
    this.write('W', module, msg);
  }
  error(module: string, msg: string): void {
    this.write('E', module, msg);
  }
  fatal(module: string, msg: string): void {
    this.write('F', module, msg);
  }
}

/**
 * Exit statuses of the simulated servers, documented for supervisors:
 * - 0: ZooKeeper session expired or the meta's own lock node vanished (Pegasus `dsn_exit(0)`,
 *   docs/pegasus-internals.md §2.5 step 8), or the parent test process went away;
 * - 1: start-up failure (ZooKeeper unreachable within `[zookeeper] timeout_ms`, bad config, port in
 *   use), like Pegasus's `start app failed, err = ...`;
 * - 134: a CHECK failure, where Pegasus aborts (SIGABRT, 128 + 6). The simulator exits with the same
 *   number instead of raising SIGABRT so it never leaves a core file behind.
 * A SIGTERM/SIGKILL kills the process by signal, exactly as it does the real server (no handler, so
 * the ZooKeeper session is not closed and its lock node lingers until the session times out).
 */
export const EXIT = { OK: 0, START_FAILED: 1, CRASH: 134 } as const;

/** Write the write-buffered streams out, then exit. */
export function exitProcess(code: number): never {
  // stdout/stderr are synchronous for files and pipes on Linux, so nothing is lost here.
  process.exit(code);
}

/** Pegasus `CHECK(false, ...)`: log at fatal level and abort with EXIT.CRASH. */
export function crash(log: Logger, module: string, msg: string): never {
  log.fatal(module, `assertion failed: ${msg}`);
  exitProcess(EXIT.CRASH);
}
