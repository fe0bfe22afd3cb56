/**
 * Opening a managed file (or a backup) so that nothing planted in its place can wedge the agent.
 * A FIFO opened for reading blocks until a writer appears, on the event loop (sync open) or on one
 * of libuv's four pool threads (async open), and a few wedged pool threads stall every other file
 * operation, fsyncs included. So: O_NONBLOCK (a FIFO or device opens at once; for a regular file
 * the flag means nothing), O_NOFOLLOW (no symlink), then fstat on the descriptor we hold, so the
 * check and the read are about the same inode. `paths.ts` checks with lstat first, but between that
 * lstat and the open the file can be swapped; only the descriptor is proof.
 */
import * as fs from 'node:fs';
import { PreconditionError, TimeoutError } from '../../shared/errors';

const READ_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK;

/** What a non-regular file is, for the error message. */
export function kindOf(st: fs.Stats | fs.BigIntStats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isDirectory()) return 'a directory';
  if (st.isSymbolicLink()) return 'a symlink';
  return 'not a regular file';
}

function notRegular(p: string, st: fs.Stats | fs.BigIntStats): PreconditionError {
  return new PreconditionError(`${p} is ${kindOf(st)}, not a regular file; the agent reads and edits only regular files`, { context: { path: p } });
}

function openError(p: string, e: unknown): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ELOOP') return new PreconditionError(`${p} is a symlink; the agent will not follow it`, { context: { path: p } });
  // open(2) of a Unix socket fails with ENXIO.
  if (code === 'ENXIO') return new PreconditionError(`${p} is a socket, not a regular file; the agent reads and edits only regular files`, { context: { path: p } });
  return e;
}

/** Synchronous: a descriptor of a regular file at `p`, and its bigint stat. The caller closes it. */
export function openRegularSync(p: string): { fd: number; st: fs.BigIntStats } {
  let fd: number;
  try {
    fd = fs.openSync(p, READ_FLAGS);
  } catch (e) {
    throw openError(p, e);
  }
  const st = fs.fstatSync(fd, { bigint: true });
  if (!st.isFile()) {
    fs.closeSync(fd);
    throw notRegular(p, st);
  }
  return { fd, st };
}

/** Asynchronous: a handle of a regular file at `p`, and its stat. The caller closes it. */
export async function openRegular(p: string): Promise<{ fh: fs.promises.FileHandle; st: fs.Stats }> {
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(p, READ_FLAGS);
  } catch (e) {
    throw openError(p, e);
  }
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    throw notRegular(p, st);
  }
  return { fh, st };
}

/** Longest any single file operation (open, read, fsync) may take before the call gives up. */
export const FILE_OP_TIMEOUT_MS = 10000;

/**
 * `op` or a TimeoutError naming `what` after `ms`. The operation itself cannot be cancelled (a
 * blocked syscall keeps its pool thread), but the caller gets a clear answer instead of its deadline,
 * and nothing after the timeout (a rename, an answer) happens on the caller's behalf.
 */
export async function withFileDeadline<T>(what: string, op: Promise<T>, ms = FILE_OP_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} did not finish within ${ms} ms (a stalled disk or a blocked file?)`)), ms);
  });
  try {
    return await Promise.race([op, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
