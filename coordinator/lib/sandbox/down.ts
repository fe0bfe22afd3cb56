import * as fs from 'node:fs';
import * as path from 'node:path';
import { AppError } from '../../../shared/errors';
import { belongsTo, findByMarker, terminate } from './processes';
import { STATE_FILE, SandboxState, readState, removeState } from './state';
import { recordedProcesses } from './status';

/**
 * `zkmig sandbox down`: stop every process of the sandbox and check that none is left. Processes
 * are found twice: by the pids in the state file (each checked to still carry the sandbox's
 * marker, so a reused pid is never signalled) and by scanning /proc for the marker, which also
 * catches a meta an agent restarted after the state file was written.
 */

export interface SandboxDownResult {
  dir: string;
  /** False when the directory held no sandbox. */
  existed: boolean;
  stopped: number;
  /** Removed the directory (`--purge`). */
  purged: boolean;
}

/** Stop everything of `s`; throws when something survives SIGKILL. */
export async function teardown(s: SandboxState): Promise<number> {
  const recorded = recordedProcesses(s)
    .map((p) => p.pid)
    .filter((pid) => pid > 0 && belongsTo(pid, s.id, s.javaMarker));
  const all = [...new Set([...recorded, ...findByMarker(s.id, s.javaMarker)])];
  const left = await terminate(all, 3000);
  const stragglers = [...left, ...findByMarker(s.id, s.javaMarker)];
  if (stragglers.length > 0) throw new AppError('INTERNAL', `sandbox ${s.dir}: processes ${[...new Set(stragglers)].join(', ')} survived SIGKILL`);
  return all.length;
}

export async function sandboxDown(dir: string, o: { purge?: boolean } = {}): Promise<SandboxDownResult> {
  const s = readState(dir);
  if (!s) return { dir, existed: false, stopped: 0, purged: false };
  const stopped = await teardown(s);
  removeState(dir);
  let purged = false;
  // Only a directory we can prove is a sandbox (it had our state file) is ever removed.
  if (o.purge && fs.existsSync(path.join(dir, 'pki')) && !fs.existsSync(path.join(dir, STATE_FILE))) {
    fs.rmSync(dir, { recursive: true, force: true });
    purged = true;
  }
  return { dir, existed: true, stopped, purged };
}
