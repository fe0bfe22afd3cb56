import * as fs from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { failFlagOf, RelFleet, restartZkLeader, stopNamed } from './fleet';
import type { Fault } from './matrix';

/**
 * Inject one fault of the matrix, now. Returns what was done, a promise for any delayed part
 * (a process that "systemd" brings back after RestartSec), and `afterRun` for what the operator
 * does once the run has ended (start an agent that was stopped and stayed down).
 */

export interface Injected {
  what: string;
  /** Settles when the delayed part of the fault (a restart after RestartSec) is done. */
  pending: Promise<void>;
  /** Once the coordinator has ended: undo what stays broken until someone acts. */
  afterRun: () => Promise<void>;
  /** For faults that may not fire at all: did it (checked after the run)? */
  fired?: () => boolean;
}

export interface Target {
  /** Meta host (inventory name) the fault acts on. */
  meta: string;
  source: string;
  target: string;
  coordinator: ChildProcess;
}

const none = async (): Promise<void> => undefined;

export async function inject(f: RelFleet, fault: Fault, t: Target): Promise<Injected> {
  switch (fault) {
    case 'coordinator-kill':
      t.coordinator.kill('SIGKILL');
      return { what: `coordinator pid ${t.coordinator.pid} SIGKILLed`, pending: Promise.resolve(), afterRun: none };
    case 'agent-kill': {
      const start = await stopNamed(f, 'agents', `agent-${t.meta}`, 'SIGKILL');
      return { what: `agent-${t.meta} SIGKILLed, restarted after 2 s`, pending: later(2000, start), afterRun: none };
    }
    case 'agent-stop': {
      const start = await stopNamed(f, 'agents', `agent-${t.meta}`, 'SIGTERM');
      return { what: `agent-${t.meta} stopped (SIGTERM), down until the run ended`, pending: Promise.resolve(), afterRun: async () => start() };
    }
    case 'zk-source-restart':
      return { what: `source ${await restartZkLeader(f, t.source)}`, pending: Promise.resolve(), afterRun: none };
    case 'zk-target-restart':
      return { what: `target ${await restartZkLeader(f, t.target)}`, pending: Promise.resolve(), afterRun: none };
    case 'meta-start-fails': {
      const flag = failFlagOf(f, t.meta);
      fs.writeFileSync(flag, 'injected by test/reliability\n');
      return {
        what: `next start of ${t.meta} fails`,
        pending: Promise.resolve(),
        // An unconsumed flag must not fail a later run's start.
        afterRun: async () => fs.rmSync(flag, { force: true }),
        fired: () => !fs.existsSync(flag),
      };
    }
    case 'replica-kill': {
      const start = await stopNamed(f, 'replicas', 'replica0', 'SIGKILL');
      return { what: 'replica0 SIGKILLed, restarted after 3 s', pending: later(3000, start), afterRun: none };
    }
  }
}

function later(ms: number, fn: () => void): Promise<void> {
  return new Promise((resolve) => setTimeout(() => resolve(fn()), ms));
}
