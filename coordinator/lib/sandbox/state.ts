import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InvalidInputError, PreconditionError } from '../../../shared/errors';

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
  /** `up --reconfig`: one dynamic-reconfig ensemble; the "new" servers are its joiners. */
  reconfig?: boolean;
}

/** `--dir`, else $ZKMIG_SANDBOX_DIR, else `<tmpdir>/zkmig-sandbox-<uid>`. */
export function sandboxDir(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag) return path.resolve(flag);
  if (env.ZKMIG_SANDBOX_DIR) return path.resolve(env.ZKMIG_SANDBOX_DIR);
  return path.join(os.tmpdir(), `zkmig-sandbox-${process.getuid?.() ?? 'user'}`);
}

/**
 * Create the sandbox directory (0700), or check an existing one. The default path is predictable
 * (`<tmpdir>/zkmig-sandbox-<uid>`) and /tmp is shared: another user can plant a symlink or a
 * directory of their own there first, and everything the sandbox writes (its state, ZooKeeper data,
 * a PKI with keys) would land where they chose. So the directory must be a real directory (not a
 * symlink), owned by us, and writable by nobody else.
 */
export function ensureSandboxDir(dir: string): string {
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const st = fs.lstatSync(dir);
  const me = process.getuid?.() ?? st.uid;
  if (st.isSymbolicLink()) throw new PreconditionError(`sandbox directory ${dir} is a symlink (to ${fs.readlinkSync(dir)}); refusing to follow it. Remove it, or pass --dir with a directory of your own`, { context: { path: dir } });
  if (!st.isDirectory()) throw new PreconditionError(`sandbox directory ${dir} exists and is not a directory`, { context: { path: dir } });
  if (st.uid !== me) throw new PreconditionError(`sandbox directory ${dir} belongs to uid ${st.uid}, not to you (uid ${me}); refusing to use it. Remove it, or pass --dir`, { context: { path: dir } });
  if ((st.mode & 0o022) !== 0) throw new PreconditionError(`sandbox directory ${dir} is writable by others (mode ${(st.mode & 0o777).toString(8)}); chmod go-w it, or pass --dir`, { context: { path: dir } });
  return fs.realpathSync(dir);
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
  // A fresh name, created exclusively and never through a symlink.
  const tmp = `${file}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
  try {
    fs.writeFileSync(fd, JSON.stringify(s, null, 2) + '\n');
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

export function removeState(dir: string): void {
  fs.rmSync(path.join(dir, STATE_FILE), { force: true });
}
