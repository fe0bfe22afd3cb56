import { EXIT, Logger, crash, exitProcess } from './log';

/**
 * Process plumbing shared by the simulator's entry points.
 *
 * `PEGASUS_SIM_PARENT_PID` (set by sim/cluster.ts when `tieToParent` is on) makes the
 * process exit once that pid is gone, so a crashed test worker never leaves servers behind. Servers
 * run by a supervisor (systemd, the agent) do not set it.
 */
export function tieToParent(env: NodeJS.ProcessEnv = process.env): void {
  const ppid = Number(env.PEGASUS_SIM_PARENT_PID ?? 0);
  if (!ppid) return;
  const t = setInterval(() => {
    try {
      process.kill(ppid, 0);
    } catch {
      exitProcess(EXIT.OK);
    }
  }, 1000);
  t.unref();
}

/** Any error nobody handled is a crash, as an unexpected state would abort the real server. */
export function crashOnUnhandled(log: Logger): void {
  process.on('uncaughtException', (e) => crash(log, 'main', `uncaught exception: ${e.stack ?? String(e)}`));
  process.on('unhandledRejection', (e) => crash(log, 'main', `unhandled rejection: ${(e as Error)?.stack ?? String(e)}`));
}

/** `--name value` / `--name=value` flags; returns undefined when absent. */
export function flag(argv: string[], ...names: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    for (const n of names) {
      if (a === n) return argv[i + 1];
      if (a.startsWith(n + '=')) return a.slice(n.length + 1);
    }
  }
  return undefined;
}
