import * as fs from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { AgentPool } from '../../coordinator/lib/fleet';
import { PegasusShell } from '../../coordinator/lib/shell';
import { failFlagOf, RelFleet, restartZkLeader, stopNamed } from './fleet';
import type { Fault } from './matrix';
import { agentCommand, supervise } from './supervisor';

/**
 * Inject one fault of the matrix, now. Returns what was done, a promise for any delayed part
 * (a process that "systemd" brings back after RestartSec), and `afterRun` for what the operator
 * does once the run has ended (start an agent that was stopped and stayed down).
 */

export interface Injected {
  what: string;
  /** Settles when the delayed part of the fault (a restart after RestartSec) is done. */
  pending: Promise<void>;
  /** Once the coordinator has ended: undo what stays broken until someone acts. Idempotent. */
  afterRun: () => Promise<void>;
  /** For faults that may not fire at all: did it (checked after the run)? */
  fired?: () => boolean;
  /** A job the fault started in the cluster (its nodes are ignored by the data checks, verified, then removed: jobs.ts). */
  job?: { kind: 'duplication' | 'bulk-load'; appId: number; dupid?: number };
  /** The supervisor's restarts so far (supervisor-restart). */
  restarts?: () => number;
}

export interface Target {
  /** Meta host (inventory name) the fault acts on. */
  meta: string;
  source: string;
  target: string;
  /** The coordinator running now (the migrate child, or the resume after it). */
  coordinator: () => ChildProcess;
}

const none = async (): Promise<void> => undefined;

/** The table the job faults act on: a user table (not the meta's own `stat`). */
async function someTable(f: RelFleet): Promise<{ appName: string; appId: number }> {
  const apps = (await PegasusShell.forCluster(f.cluster).listApps()).apps;
  const a = apps.find((x) => x.appName !== 'stat' && /AVAILABLE/.test(String(x.status))) ?? apps[0];
  if (!a) throw new Error('the cluster has no table');
  return { appName: a.appName, appId: a.appId };
}

export async function inject(f: RelFleet, fault: Fault, t: Target): Promise<Injected> {
  switch (fault) {
    case 'coordinator-kill': {
      const c = t.coordinator();
      c.kill('SIGKILL');
      return { what: `coordinator pid ${c.pid} SIGKILLed`, pending: Promise.resolve(), afterRun: none };
    }
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
    case 'dup-during-copy': {
      const app = await someTable(f);
      const r = await PegasusShell.forCluster(f.cluster).exec(`add_dup ${app.appName} reliability_remote`);
      const dupid = Number(/dupid: (\d+)\]/.exec(r.text)?.[1]);
      if (!dupid) throw new Error(`add_dup ${app.appName} failed: ${r.text.trim().split('\n').slice(-3).join(' / ')}`);
      return { what: `add_dup ${app.appName} (dupid ${dupid})`, pending: Promise.resolve(), afterRun: none, job: { kind: 'duplication', appId: app.appId, dupid } };
    }
    case 'bulk-load-during-blind': {
      // Injected as set-blind is journaled done. The coordinator is paused (SIGSTOP) while the bulk
      // load starts, so that it lands in the window between blind and the copy's first write, as an
      // operator's would that came a moment earlier; the copy's small tree is read faster than the
      // shell starts.
      const c = t.coordinator();
      c.kill('SIGSTOP');
      let r;
      try {
        const app = await someTable(f);
        r = { app, out: await PegasusShell.forCluster(f.cluster).exec(`start_bulk_load -a ${app.appName} -c reliability_remote -p local_service -r /bulk`) };
      } finally {
        c.kill('SIGCONT');
      }
      const { app } = r;
      const ok = /start bulk load succeed/.test(r.out.text);
      return { what: `start_bulk_load -a ${app.appName} (coordinator paused meanwhile): ${ok ? 'succeeded' : r.out.text.trim().split('\n').slice(-2).join(' / ')}`, pending: Promise.resolve(), afterRun: none, fired: () => ok, job: { kind: 'bulk-load', appId: app.appId } };
    }
    case 'supervisor-restart': {
      const host = f.cluster.metas.find((m) => m.name === t.meta)!;
      const sup = supervise(agentCommand(f, host.metaConfig), host);
      let undone = false;
      return {
        what: `${t.meta} supervised (restarted 300 ms after its port goes quiet)`,
        pending: Promise.resolve(),
        // The operator removes the supervisor, then starts the meta the way the agent runs it.
        afterRun: async () => {
          if (undone) return;
          undone = true;
          await sup.stop();
          const pool = new AgentPool({ coordinator: 'reliability-supervisor-fault' });
          try {
            await pool.client(host).controlService(host.metaService, 'start');
          } finally {
            pool.close();
          }
        },
        fired: () => sup.restarts() > 0,
        restarts: () => sup.restarts(),
      };
    }
  }
}

function later(ms: number, fn: () => void): Promise<void> {
  return new Promise((resolve) => setTimeout(() => resolve(fn()), ms));
}
