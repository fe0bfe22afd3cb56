import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InvalidInputError } from '../../../shared/errors';

/**
 * The sandbox's state file, `DIR/sandbox.json`: every process `zkmig sandbox up` started (pid and
 * the marker it carries), so that `down` and `status` find them all from another process. Written
 * before each process starts, so a failed or interrupted `up` can still be torn down.
 */

export const STATE_FILE = 'sandbox.json';

export interface ProcessRecord {
  /** meta0, agent-meta0, replica1, zk-old... */
  name: string;
  pid: number;
  /** 127.0.0.1:port it serves on. */
  address: string;
  log: string;
}

export interface ZkRecord {
  connectString: string;
  dir: string;
  pids: number[];
}

export interface SandboxState {
  version: 1;
  /** Random id carried by every node process in $ZKMIG_SANDBOX. */
  id: string;
  /** `-Dzkmig.owner=` value of the ZooKeeper servers. */
  javaMarker: string;
  dir: string;
  status: 'starting' | 'up';
  createdAt: string;
  cluster: string;
  clusterRoot: string;
  inventory: string;
  /** The meta list, `127.0.0.1:p1,...`. */
  metaServers: string;
  zk: { old?: ZkRecord; new?: ZkRecord };
  pki?: { dir: string; ca: string; cert: string; key: string };
  agents: ProcessRecord[];
  replicas: ProcessRecord[];
  /** Meta servers are run by the agents: their pids are in these pid files. */
  metas: { name: string; address: string; config: string; pidFile: string; log: string; agent: string }[];
  tables: { name: string; partitions: number }[];
  /** `--profile` it was started with (absent in state files written before profiles existed). */
  profile?: string;
  /** `up --secure`: both ensembles enforce SASL. */
  secure?: boolean;
}

/** `--dir`, else $ZKMIG_SANDBOX_DIR, else `<tmpdir>/zkmig-sandbox-<uid>`. */
export function sandboxDir(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag) return path.resolve(flag);
  if (env.ZKMIG_SANDBOX_DIR) return path.resolve(env.ZKMIG_SANDBOX_DIR);
  return path.join(os.tmpdir(), `zkmig-sandbox-${process.getuid?.() ?? 'user'}`);
}

export function readState(dir: string): SandboxState | undefined {
  const file = path.join(dir, STATE_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const s = JSON.parse(text) as SandboxState;
    if (s.version !== 1 || typeof s.id !== 'string') throw new Error('unknown version');
    return s;
  } catch (e) {
    throw new InvalidInputError(`${file} is not a zkmig sandbox state file: ${(e as Error).message}`, { cause: e });
  }
}

/** Atomic write (temp file + rename) so a reader never sees half a state file. */
export function writeState(s: SandboxState): void {
  const file = path.join(s.dir, STATE_FILE);
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(s, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
}

export function removeState(dir: string): void {
  fs.rmSync(path.join(dir, STATE_FILE), { force: true });
}
