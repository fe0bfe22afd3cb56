/**
 * Timestamped backups of managed files, made before every write: `config.ini.20261123T194800.123Z.zkmig-backup`
 * beside the file (or in the configured backup directory, where the name also carries a short hash
 * of the file's path so that two files called config.ini cannot be confused). Restore only accepts a
 * path this scheme produced for that very file.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NotFoundError, PermissionDeniedError } from '../../shared/errors';
import { atomicWrite, syncDir, WriteMode } from './atomic-write';
import { openRegularSync } from './safe-open';
import type { ManagedFile } from './paths';

const SUFFIX = '.zkmig-backup';

/** ListBackups hashes backups up to this size (a managed file is far smaller; see limits.maxFileBytes). */
export const DEFAULT_MAX_HASH_BYTES = 16 * 1024 * 1024;

export interface BackupInfo {
  path: string;
  size: number;
  sha256: string;
  /** ISO 8601, from the name (the agent's clock when it made the backup). */
  created: string;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The fixed part of every backup name of `file`. */
function prefixOf(file: ManagedFile): string {
  const base = path.basename(file.path);
  if (file.backupDir === path.dirname(file.path)) return base;
  return `${base}.${crypto.createHash('sha256').update(file.path).digest('hex').slice(0, 8)}`;
}

function nameRe(file: ManagedFile): RegExp {
  return new RegExp(`^${escapeRe(prefixOf(file))}\\.(\\d{8}T\\d{6}\\.\\d{3}Z)(?:-(\\d+))?${escapeRe(SUFFIX)}$`);
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '');
}

function isoFromStamp(s: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})\.(\d{3})Z$/.exec(s);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z` : s;
}

/**
 * Keep the file's current content as a backup; returns the backup's path.
 *
 * With `linkFrom` (the file itself, about to be replaced by a rename) the backup is a hard link to
 * the current inode: no copy, and owner, mode and bytes are exactly the old file's. The rename
 * that follows gives the file a new inode and leaves the backup with the old one. When a link is
 * not possible (backup directory on another filesystem), `content` is written atomically instead.
 * The caller fsyncs the file's directory after its rename; a separate backup directory is synced here.
 */
export async function writeBackup(file: ManagedFile, content: Buffer, owner: WriteMode, now: Date, linkFrom?: string): Promise<string> {
  // Beside the file, the directory exists (the file is in it); a separate one may have to be made.
  if (file.backupDir !== path.dirname(file.path)) fs.mkdirSync(file.backupDir, { recursive: true, mode: 0o750 });
  const base = path.join(file.backupDir, `${prefixOf(file)}.${stamp(now)}`);
  for (let i = 0; ; i++) {
    const p = i === 0 ? base + SUFFIX : `${base}-${i}${SUFFIX}`;
    if (linkFrom) {
      try {
        fs.linkSync(linkFrom, p);
        if (file.backupDir !== path.dirname(file.path)) await syncDir(file.backupDir);
        return p;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') continue;
        if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK') throw e;
      }
    }
    if (fs.existsSync(p)) continue;
    await atomicWrite(p, content, owner);
    return p;
  }
}

/**
 * The backups of `file` (names this scheme produced, regular files only), newest first. "Newest"
 * is the inode's change time, which the kernel sets when the agent links or writes the backup and
 * which nobody can set back or forward by hand (unlike the time in the name, or the mtime that
 * `touch -d` sets): a backup name planted with a far-future time, or one made while the host clock
 * was wrong, cannot pass for the newest.
 */
function ownBackups(file: ManagedFile): { n: string; p: string; m: RegExpExecArray; st: fs.BigIntStats }[] {
  const re = nameRe(file);
  let names: string[];
  try {
    names = fs.readdirSync(file.backupDir);
  } catch {
    return [];
  }
  const out: { n: string; p: string; m: RegExpExecArray; st: fs.BigIntStats }[] = [];
  for (const n of names) {
    const m = re.exec(n);
    if (!m) continue;
    const p = path.join(file.backupDir, n);
    const st = fs.lstatSync(p, { throwIfNoEntry: false, bigint: true });
    if (st?.isFile()) out.push({ n, p, m, st });
  }
  // Ties (same nanosecond) fall back to the name: time, then the -N suffix.
  const order = (x: { m: RegExpExecArray }): string => `${x.m[1]}.${(x.m[2] ?? '0').padStart(6, '0')}`;
  return out.sort((a, b) => (a.st.ctimeNs !== b.st.ctimeNs ? (a.st.ctimeNs < b.st.ctimeNs ? 1 : -1) : order(a) < order(b) ? 1 : order(a) > order(b) ? -1 : 0));
}

/** The sha256 of a backup no larger than `maxBytes`, read without following links or blocking; '' otherwise. */
function hashOf(p: string, size: bigint, maxBytes: number): string {
  if (size > BigInt(maxBytes)) return '';
  try {
    const { fd } = openRegularSync(p);
    try {
      return crypto.createHash('sha256').update(fs.readFileSync(fd)).digest('hex');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

/** Backups of `file`, newest first; files over `maxHashBytes` (not ours to read) get no hash. */
export function listBackups(file: ManagedFile, withHashes = true, maxHashBytes = DEFAULT_MAX_HASH_BYTES): BackupInfo[] {
  return ownBackups(file).map(({ p, m, st }) => ({
    path: p,
    size: Number(st.size),
    sha256: withHashes ? hashOf(p, st.size, maxHashBytes) : '',
    created: isoFromStamp(m[1] as string),
  }));
}

/** Check that `backupPath` is a backup this agent made of `file`; throws PermissionDenied/NotFound. */
export function checkBackupPath(file: ManagedFile, backupPath: unknown): string {
  if (typeof backupPath !== 'string' || backupPath === '') throw new PermissionDeniedError('backup_file is empty');
  if (backupPath.split('/').includes('..') || path.dirname(backupPath) !== file.backupDir || !nameRe(file).test(path.basename(backupPath))) {
    throw new PermissionDeniedError(`${JSON.stringify(backupPath)} is not a backup of ${file.path} made by this agent (they live in ${file.backupDir} as ${prefixOf(file)}.<time>${SUFFIX})`, {
      context: { path: backupPath },
    });
  }
  const st = fs.lstatSync(backupPath, { throwIfNoEntry: false });
  if (!st) throw new NotFoundError(`backup ${backupPath} does not exist`);
  if (!st.isFile()) throw new PermissionDeniedError(`backup ${backupPath} is not a regular file (symlink?)`);
  if (fs.realpathSync.native(path.dirname(backupPath)) !== file.backupDir) {
    throw new PermissionDeniedError(`backup directory ${file.backupDir} now resolves elsewhere through a symlink`);
  }
  return backupPath;
}

/**
 * Delete the oldest backups beyond `keep` (oldest by change time, see ownBackups); returns what
 * was removed. `justMade`, the backup of the write that triggered the pruning, is never removed,
 * whatever other files claim. Unlinking the last name of a file frees its blocks, which costs a
 * millisecond or more on a journaling filesystem, so the unlinks run on the thread pool.
 */
export async function pruneBackups(file: ManagedFile, keep: number, justMade = ''): Promise<string[]> {
  const ours = ownBackups(file);
  if (ours.length <= keep) return [];
  const mine = ours.filter((b) => b.p === justMade);
  const ordered = [...mine, ...ours.filter((b) => b.p !== justMade)];
  const removed: string[] = [];
  for (const { p } of ordered.slice(keep)) {
    await fs.promises.rm(p, { force: true });
    removed.push(p);
  }
  return removed;
}
