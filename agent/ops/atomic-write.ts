/**
 * Replace a file so that a reader (or a crash, or SIGKILL of the agent) only ever sees the old or
 * the new content: write a temporary file in the same directory, fsync it, rename it over the
 * target, fsync the directory (so the rename itself survives a power loss). Owner and mode are
 * carried over. Temporary files of a killed agent are removed at the next start.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { PreconditionError } from '../../shared/errors';
import { withFileDeadline } from './safe-open';

const TMP_MARK = '.zkmig-tmp-';

export interface WriteMode {
  /** Permission bits (& 0o7777). */
  mode: number;
  uid: number;
  gid: number;
}

export function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}${TMP_MARK}${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
}

// Config files are small (limits.maxFileBytes): the cheap steps run synchronously, and only the
// fsyncs, which can take milliseconds on a busy disk, leave the event loop (an all-async version
// spent most of an edit's time in thread-pool round trips; bench/agent.ts).
// fsync, not fdatasync: the owner and mode given to the temporary file are inode metadata, and
// must be as durable as its bytes.
const fsync = promisify(fs.fsync);

export interface WriteOptions {
  /**
   * Called just before the rename that makes the write visible; throwing cancels the write. The
   * edit's caller uses it to give up once its client's deadline has passed: an edit the client
   * was told had failed must not be committed later.
   */
  beforeRename?: () => void;
}

export async function atomicWrite(target: string, content: Buffer, owner: WriteMode, opts: WriteOptions = {}): Promise<void> {
  const tmp = tempPathFor(target);
  try {
    const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
    // A timed-out fsync still holds the descriptor: close it only when the fsync is over.
    let pending: Promise<unknown> = Promise.resolve();
    try {
      for (let off = 0; off < content.length; ) off += fs.writeSync(fd, content, off, content.length - off);
      if (process.getuid?.() === 0) fs.fchownSync(fd, owner.uid, owner.gid);
      else if (owner.uid !== process.getuid?.()) {
        throw new PreconditionError(`cannot keep the owner (uid ${owner.uid}) of ${target}: the agent runs as uid ${process.getuid?.()}, not root`);
      }
      // chmod after chown: chown clears set-uid/set-gid bits.
      fs.fchmodSync(fd, owner.mode & 0o7777);
      pending = fsync(fd);
      await withFileDeadline(`fsync of ${tmp}`, pending);
    } finally {
      pending.then(
        () => fs.closeSync(fd),
        () => fs.closeSync(fd),
      );
    }
    opts.beforeRename?.();
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  await syncDir(path.dirname(target));
}

/** fsync a directory, so that renames and links in it survive a power loss. */
export async function syncDir(dir: string): Promise<void> {
  const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  const done = fsync(fd);
  try {
    await withFileDeadline(`fsync of ${dir}`, done);
  } finally {
    done.then(
      () => fs.closeSync(fd),
      () => fs.closeSync(fd),
    );
  }
}

/** Remove temporary files a killed agent left next to `target`; returns their paths. */
export function removeStaleTemps(target: string): string[] {
  const dir = path.dirname(target);
  const prefix = `.${path.basename(target)}${TMP_MARK}`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const n of names) {
    if (!n.startsWith(prefix)) continue;
    const p = path.join(dir, n);
    try {
      if (fs.lstatSync(p).isFile()) {
        fs.rmSync(p, { force: true });
        removed.push(p);
      }
    } catch {
      /* raced with someone else: fine */
    }
  }
  return removed;
}
