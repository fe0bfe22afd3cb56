/**
 * The file allowlist. A request names a file by the absolute path listed in the agent's config,
 * byte for byte; anything else is PERMISSION_DENIED, and so is a listed path whose real path has
 * changed (the file or a directory on the way replaced by a symlink): an agent running as root
 * must not be talked into editing /etc/shadow through a link planted in a config directory.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidInputError, NotFoundError, PermissionDeniedError } from '../../shared/errors';
import { kindOf } from './safe-open';

export interface ManagedFile {
  path: string;
  backupDir: string;
}

export class FileAllowlist {
  private readonly byPath: Map<string, ManagedFile>;

  constructor(readonly files: readonly ManagedFile[]) {
    this.byPath = new Map(files.map((f) => [f.path, f]));
  }

  /**
   * The managed file for `requested`, after checking that it is listed, that it exists, and that
   * nothing on the way is a symlink. Throws InvalidInputError, PermissionDeniedError or NotFoundError.
   */
  resolve(requested: unknown): ManagedFile {
    if (typeof requested !== 'string' || requested === '') throw new InvalidInputError('path is empty');
    if (requested.includes('\0')) throw new InvalidInputError('path contains a NUL byte');
    if (requested.split('/').includes('..')) {
      throw new PermissionDeniedError(`path ${JSON.stringify(requested)} contains "..": only the exact paths in the agent's allowlist may be used`, { context: { path: requested } });
    }
    const file = this.byPath.get(requested);
    if (!file) {
      throw new PermissionDeniedError(`path ${JSON.stringify(requested)} is not in the agent's allowlist (files: ${this.files.map((f) => f.path).join(', ') || 'none'})`, {
        context: { path: requested },
      });
    }
    let st: fs.Stats;
    try {
      st = fs.lstatSync(file.path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`${file.path} does not exist`, { context: { path: file.path } });
      throw e;
    }
    if (st.isSymbolicLink()) {
      throw new PermissionDeniedError(`${file.path} is now a symlink (to ${safeReadlink(file.path)}); refusing to follow it out of the allowlist`, { context: { path: file.path } });
    }
    const real = fs.realpathSync.native(file.path);
    if (real !== file.path) {
      throw new PermissionDeniedError(`${file.path} now resolves to ${real} through a symlinked directory; refusing to follow it out of the allowlist`, { context: { path: file.path } });
    }
    if (!st.isFile()) throw new PermissionDeniedError(`${file.path} is ${kindOf(st)}, not a regular file; the agent reads and edits only regular files`, { context: { path: file.path } });
    return file;
  }

  /** Directories the agent writes in (file directories and backup directories), for hardening and cleanup. */
  directories(): string[] {
    return [...new Set(this.files.flatMap((f) => [path.dirname(f.path), f.backupDir]))].sort();
  }
}

function safeReadlink(p: string): string {
  try {
    return fs.readlinkSync(p);
  } catch {
    return '?';
  }
}
