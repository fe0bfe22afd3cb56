/**
 * Host facts: the agent itself, each managed service with its state and main PID, each managed file
 * with size and sha256, and the Pegasus settings (meta port, ZooKeeper) read from those files.
 * Read-only; a part that cannot be read becomes an error string in the facts, not a failed call.
 */
import * as fs from 'node:fs';
import { isPegasusConfig, parseIni, pegasusSettings, PegasusSettings } from '../../shared/ini';
import { sha256 } from './ini-file';
import { kindOf, withFileDeadline } from './safe-open';
import type { ManagedFile } from './paths';
import type { ServiceBackend, ServiceStatus } from './service-types';

export interface FileFacts {
  path: string;
  exists: boolean;
  size: number;
  sha256: string;
  mtime: string;
  mode: number;
  uid: number;
  gid: number;
  pegasus: PegasusSettings | null;
  error: string;
}

/** Facts of one file; never longer than FILE_OP_TIMEOUT_MS, so one bad file cannot hold up the answer. */
export async function fileFacts(file: ManagedFile, maxBytes: number): Promise<FileFacts> {
  try {
    return await withFileDeadline(`reading ${file.path}`, readFacts(file, maxBytes));
  } catch (e) {
    return { path: file.path, exists: true, size: 0, sha256: '', mtime: '', mode: 0, uid: 0, gid: 0, pegasus: null, error: (e as Error).message };
  }
}

async function readFacts(file: ManagedFile, maxBytes: number): Promise<FileFacts> {
  const empty: FileFacts = { path: file.path, exists: false, size: 0, sha256: '', mtime: '', mode: 0, uid: 0, gid: 0, pegasus: null, error: '' };
  let fh: fs.promises.FileHandle;
  try {
    // O_NONBLOCK: a FIFO planted here would otherwise hold a pool thread until a writer appears.
    fh = await fs.promises.open(file.path, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return empty;
    if (code === 'ELOOP') return { ...empty, exists: true, error: `${file.path} is a symlink; the agent will not follow it` };
    if (code === 'ENXIO') return { ...empty, exists: true, error: `${file.path} is a socket, not a regular file` };
    return { ...empty, exists: true, error: (e as Error).message };
  }
  try {
    const st = await fh.stat();
    const base = { ...empty, exists: true, size: st.size, mtime: st.mtime.toISOString(), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
    if (!st.isFile()) return { ...base, error: `${file.path} is ${kindOf(st)}, not a regular file` };
    if (st.size > maxBytes) return { ...base, error: `larger than limits.maxFileBytes (${maxBytes})` };
    const bytes = await fh.readFile();
    const doc = parseIni(bytes.toString('utf8'));
    return { ...base, size: bytes.length, sha256: sha256(bytes), pegasus: isPegasusConfig(doc) ? pegasusSettings(doc) : null };
  } finally {
    await fh.close();
  }
}

const STATUS_TIMEOUT_MS = 5000;

/** A service's status, or an `unknown` one saying why it could not be read (facts never fail on one service). */
export async function serviceFacts(name: string, backend: ServiceBackend, fallback: Omit<ServiceStatus, 'state' | 'subState' | 'mainPid' | 'nRestarts' | 'execMainStatus' | 'detail' | 'startedAt'>): Promise<ServiceStatus> {
  let timer: NodeJS.Timeout | undefined;
  try {
    // One wedged systemctl must not hold up the whole facts answer.
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${STATUS_TIMEOUT_MS} ms`)), STATUS_TIMEOUT_MS);
    });
    return await Promise.race([backend.status(), timeout]);
  } catch (e) {
    return { ...fallback, name, state: 'unknown', subState: '', mainPid: 0, nRestarts: 0, execMainStatus: -1, startedAt: '', detail: `status unavailable: ${(e as Error).message}` };
  } finally {
    clearTimeout(timer);
  }
}
