import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import type { MetaHost } from '../../coordinator/lib/inventory';
import { portAnswers } from '../../coordinator/lib/migrate/stay-stopped';
import type { Fleet } from '../integration/migrate-support';

/**
 * A supervisor the agent cannot see (like supervisord `autorestart=true` around the same command):
 * it runs the agent's own start command (same argv, cwd and env, without the agent's mark) whenever
 * the meta port goes quiet. Used by test/integration/migrate-supervisor and the fault matrix.
 */

export interface Supervisor {
  restarts: () => number;
  /** Stop supervising and kill the copy it started, if any. Idempotent. */
  stop: () => Promise<void>;
}

export interface StartCommand {
  start: string[];
  cwd: string;
  env: Record<string, string>;
}

/** Restart the meta with the agent's command whenever its port stops answering (after restartMs). */
export function supervise(cmd: StartCommand, host: MetaHost, restartMs = 300): Supervisor {
  let stopped = false;
  let child: ChildProcess | undefined;
  let restarts = 0;
  const alive = (): boolean => child !== undefined && child.exitCode === null && child.signalCode === null;
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  const loop = (async () => {
    while (!stopped) {
      await sleep(100);
      if (alive() || (await portAnswers(host.address, host.metaPort, 500))) continue;
      await sleep(restartMs);
      if (stopped || (await portAnswers(host.address, host.metaPort, 500))) continue;
      const [bin, ...args] = cmd.start;
      child = spawn(bin!, args, { cwd: cmd.cwd, env: { ...process.env, ...cmd.env }, stdio: 'ignore' });
      restarts++;
    }
  })();
  return {
    restarts: () => restarts,
    stop: async () => {
      stopped = true;
      await loop;
      if (alive()) {
        const exited = new Promise((r) => child!.once('exit', r));
        child!.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** The agent's command for the meta whose config is `metaConfig` (the sandbox's agent.yaml files). */
export function agentCommand(fleet: Fleet, metaConfig: string): StartCommand {
  const dir = path.join(fleet.info.dir, 'agents');
  for (const d of fs.readdirSync(dir)) {
    const cfg = YAML.parse(fs.readFileSync(path.join(dir, d, 'agent.yaml'), 'utf8')) as { services: { configFile: string; command: StartCommand }[] };
    const s = cfg.services.find((x) => x.configFile === metaConfig);
    if (s) return s.command;
  }
  throw new Error(`no agent runs ${metaConfig}`);
}
