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
import type { ManagedFile } from './paths';

const SUFFIX = '.zkmig-backup';

export interface BackupInfo {
  path: string;
  size: number;
  sha256: string;
  /** ISO 8601, from the name. */
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

/** Backups of `file`, newest first. */
export function listBackups(file: ManagedFile, withHashes = true): BackupInfo[] {
  const re = nameRe(file);
  let names: string[];
  try {
    names = fs.readdirSync(file.backupDir);
  } catch {
    return [];
  }
  const out: (BackupInfo & { order: string })[] = [];
  for (const n of names) {
    const m = re.exec(n);
    if (!m) continue;
    const p = path.join(file.backupDir, n);
    const st = fs.lstatSync(p, { throwIfNoEntry: false });
    if (!st || !st.isFile()) continue;
    out.push({
      path: p,
      size: st.size,
      sha256: withHashes ? crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex') : '',
      created: isoFromStamp(m[1] as string),
      // Time, then the -N suffix of backups made within the same millisecond.
      order: `${m[1]}.${(m[2] ?? '0').padStart(6, '0')}`,
    });
  }
  return out.sort((a, b) => (a.order < b.order ? 1 : a.order > b.order ? -1 : 0)).map(({ order: _order, ...b }) => b);
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
 * Delete the oldest backups beyond `keep`; returns what was removed. Unlinking the last name of a
 * file frees its blocks, which costs a millisecond or more on a journaling filesystem, so the
 * unlinks run on the thread pool, not on the event loop.
 */
export async function pruneBackups(file: ManagedFile, keep: number): Promise<string[]> {
  const re = nameRe(file);
  let names: string[];
  try {
    names = fs.readdirSync(file.backupDir);
  } catch {
    return [];
  }
  const ours = names.flatMap((n) => {
    const m = re.exec(n);
    return m ? [{ n, order: `${m[1]}.${(m[2] ?? '0').padStart(6, '0')}` }] : [];
  });
  if (ours.length <= keep) return [];
  ours.sort((a, b) => (a.order < b.order ? 1 : a.order > b.order ? -1 : 0));
  const removed: string[] = [];
  for (const { n } of ours.slice(keep)) {
    const p = path.join(file.backupDir, n);
    await fs.promises.rm(p, { force: true });
    removed.push(p);
  }
  return removed;
}
