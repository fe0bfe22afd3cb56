import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AppError, UsageError } from '../../../shared/errors';

/**
 * Where run journals live: `--state-dir`, else `ZKMIG_STATE_DIR`, else `$XDG_STATE_HOME/zkmig`,
 * else `~/.local/state/zkmig`. One file per run, `<run>.jsonl`.
 */
export function resolveStateDir(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag) return path.resolve(flag);
  if (env.ZKMIG_STATE_DIR) return path.resolve(env.ZKMIG_STATE_DIR);
  if (env.XDG_STATE_HOME) return path.join(env.XDG_STATE_HOME, 'zkmig');
  return path.join(env.HOME ?? os.homedir(), '.local', 'state', 'zkmig');
}

const RUN_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}$/;

/** A run id: `<cluster>-<UTC yyyymmddThhmmss>-<4 hex>`; sortable by time within a cluster. */
export function newRunId(cluster: string, now = new Date()): string {
  const ts = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${cluster}-${ts}-${Math.floor(Math.random() * 0x10000).toString(16).padStart(4, '0')}`;
}

export function runFile(stateDir: string, run: string): string {
  if (!RUN_RE.test(run)) throw new UsageError(`"${run}" is not a run id (see "zkmig status" for the list)`);
  return path.join(stateDir, `${run}.jsonl`);
}

/** Every run in the state dir, newest first (by file modification time). */
export function listRuns(stateDir: string): { run: string; file: string; mtimeMs: number }[] {
  if (!fs.existsSync(stateDir)) return [];
  return fs
    .readdirSync(stateDir)
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => {
      const file = path.join(stateDir, f);
      return { run: f.slice(0, -'.jsonl'.length), file, mtimeMs: fs.statSync(file).mtimeMs };
    })
    .sort((a, b) => b.mtimeMs - a.mtimeMs);
}

export function requireRun(stateDir: string, run: string): string {
  const file = runFile(stateDir, run);
  if (!fs.existsSync(file)) throw new AppError('NOT_FOUND', `no run ${run} in ${stateDir} (see "zkmig status")`);
  return file;
}
