/**
 * Config file operations, each in three phases: read the file → compute the new
 * content with the pure editor (shared/ini) → write only if it differs, and not in check mode.
 * Writes are atomic with a backup first; one operation per file at a time.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { InvalidInputError, PreconditionError, TimeoutError } from '../../shared/errors';
import { applyEdits, EditOutcome, IniEdit, IniKeyRef, iniView, IniView, narrowView, parseIni } from '../../shared/ini';
import { makeDiff, OpResult } from '../../shared/result';
import { atomicWrite, WriteMode } from './atomic-write';
import { openRegular, openRegularSync, withFileDeadline } from './safe-open';
import { checkBackupPath, pruneBackups, writeBackup } from './backups';
import type { KeyedMutex } from './mutex';
import type { FileAllowlist, ManagedFile } from './paths';

export interface IniFileDeps {
  allow: FileAllowlist;
  locks: KeyedMutex;
  /** Largest file read or written. */
  maxFileBytes: number;
  /** Backups kept per file. */
  keepBackups: number;
  /** Edits accepted in one call. */
  maxEdits: number;
  now: () => Date;
}

export interface ConfigChangeResult extends OpResult {
  path: string;
  checkMode: boolean;
  beforeSha256: string;
  afterSha256: string;
  /** '' when nothing was written. */
  backupFile: string;
  outcomes: EditOutcome[];
}

interface Snapshot {
  file: ManagedFile;
  /** Identity of what was read: device, inode, size, mtime and ctime in ns. */
  stamp: string;
  bytes: Buffer;
  /** null when the bytes are not valid UTF-8. */
  text: string | null;
  sha256: string;
  owner: WriteMode;
}

export const sha256 = (b: Buffer | string): string => crypto.createHash('sha256').update(b).digest('hex');

// ignoreBOM: keep a UTF-8 BOM in the text (the default strips it, and the edit would drop it from the file).
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function stampOf(st: fs.BigIntStats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

/** Phase 1: the file's bytes, hash and owner, read without following a symlink (small file: sync). */
async function snapshot(deps: IniFileDeps, file: ManagedFile): Promise<Snapshot> {
  // Non-blocking, no symlink, regular file checked on the descriptor: a FIFO swapped in after
  // resolve()'s lstat must not block the event loop (safe-open.ts).
  const { fd, st } = openRegularSync(file.path);
  try {
    if (st.size > BigInt(deps.maxFileBytes)) throw new PreconditionError(`${file.path} is ${st.size} bytes, over limits.maxFileBytes (${deps.maxFileBytes})`);
    const bytes = fs.readFileSync(fd);
    let text: string | null;
    try {
      text = utf8.decode(bytes);
    } catch {
      text = null;
    }
    return { file, stamp: stampOf(st), bytes, text, sha256: sha256(bytes), owner: { mode: Number(st.mode) & 0o7777, uid: Number(st.uid), gid: Number(st.gid) } };
  } finally {
    fs.closeSync(fd);
  }
}

function requireUtf8(s: Snapshot): string {
  if (s.text === null) {
    throw new PreconditionError(`${s.file.path} is not valid UTF-8; the agent edits only UTF-8 files, so that every byte it does not edit stays the same`);
  }
  return s.text;
}

function checkExpected(s: Snapshot, expected: string | undefined): void {
  if (expected && expected.toLowerCase() !== s.sha256) {
    throw new PreconditionError(`${s.file.path} changed: its sha256 is ${s.sha256}, the request expected ${expected.toLowerCase()}. Read it again and re-plan`, {
      context: { path: s.file.path, actualSha256: s.sha256, expectedSha256: expected },
    });
  }
}

/** Most keys one narrowed read may name (a guard against absurd requests, not a real need). */
export const MAX_READ_KEYS = 256;

/**
 * The file, its sha256 and its parse. With `onlyKeys`, the content is left out and the parse is
 * narrowed to those keys (fleet-wide reads want a few values, not 20 KB of text per host).
 */
export async function readConfig(
  deps: IniFileDeps,
  path: unknown,
  onlyKeys: readonly IniKeyRef[] = [],
): Promise<{ path: string; content: Buffer; size: number; sha256: string; view: IniView }> {
  checkKeyRefs(onlyKeys);
  const file = deps.allow.resolve(path);
  const s = await snapshot(deps, file);
  const view = iniView(parseIni(s.text ?? s.bytes.toString('utf8')));
  if (onlyKeys.length === 0) return { path: file.path, content: s.bytes, size: s.bytes.length, sha256: s.sha256, view };
  return { path: file.path, content: Buffer.alloc(0), size: s.bytes.length, sha256: s.sha256, view: narrowView(view, onlyKeys) };
}

function checkKeyRefs(keys: readonly IniKeyRef[]): void {
  if (keys.length > MAX_READ_KEYS) throw new InvalidInputError(`only_keys names ${keys.length} keys; at most ${MAX_READ_KEYS} may be asked at once`);
  keys.forEach((k, i) => {
    if (typeof k.section !== 'string' || k.section === '' || /[\]\r\n\0]/.test(k.section)) throw new InvalidInputError(`only_keys[${i}].section ${JSON.stringify(k.section)} is empty or contains ], a line break or NUL`);
    if (typeof k.key !== 'string' || k.key === '' || /[=\r\n\0]/.test(k.key)) throw new InvalidInputError(`only_keys[${i}].key ${JSON.stringify(k.key)} is empty or contains =, a line break or NUL`);
  });
}

/** Phase 3 for both edit and restore: back up, write atomically, prune. Returns the backup path. */
async function commit(deps: IniFileDeps, s: Snapshot, next: Buffer, remainingMs: () => number): Promise<string> {
  // The lock serialises this agent's own writers; checking the file's identity (inode, size,
  // nanosecond mtime and ctime) again catches another program (an operator's editor, a deploy
  // tool) that wrote in between, so we never overwrite a change we did not see.
  const now = fs.lstatSync(s.file.path, { bigint: true });
  if (now.isSymbolicLink() || stampOf(now) !== s.stamp) {
    throw new PreconditionError(`${s.file.path} was changed by someone else while the agent was editing it; nothing written, try again`);
  }
  const backup = await writeBackup(s.file, s.bytes, s.owner, deps.now(), s.file.path);
  try {
    await atomicWrite(s.file.path, next, s.owner, {
      beforeRename: () => {
        if (remainingMs() <= 0) throw new TimeoutError(`${s.file.path}: the caller's deadline passed before the write was committed; nothing written`);
      },
    });
  } catch (e) {
    // The backup may be a hard link to the file itself; if the file was not replaced, the two would
    // stay one inode, and an in-place change of the file would change the "backup" too.
    const b = fs.statSync(backup, { throwIfNoEntry: false });
    const f = fs.statSync(s.file.path, { throwIfNoEntry: false });
    if (b && f && b.ino === f.ino && b.dev === f.dev) fs.rmSync(backup, { force: true });
    throw e;
  }
  // Pruning unlinks the oldest backup; that is not the caller's business, so it happens after the
  // answer. The backup just made is never among the removed, whatever names others planted.
  setImmediate(() => {
    pruneBackups(s.file, deps.keepBackups, backup).catch(() => {
      /* the next edit prunes again */
    });
  });
  return backup;
}

const noDeadline = (): number => Infinity;

function summarise(outcomes: EditOutcome[], checkMode: boolean, path: string): string {
  const acted = outcomes.filter((o) => o.action !== 'unchanged' && o.action !== 'absent-already');
  if (acted.length === 0) return `${path}: no change (${outcomes.length} edit(s) already in place)`;
  const verbs = acted.map((o) => `${o.action === 'section-added' ? 'added section and' : o.action} [${o.section}] ${o.key}`);
  return `${path}: ${checkMode ? 'would apply' : 'applied'}: ${verbs.join('; ')}`;
}

export async function editConfig(
  deps: IniFileDeps,
  req: { path: unknown; edits: IniEdit[]; expectedSha256?: string; checkMode: boolean; remainingMs?: () => number },
): Promise<ConfigChangeResult> {
  const file = deps.allow.resolve(req.path);
  if (req.edits.length === 0) throw new InvalidInputError('edits is empty');
  if (req.edits.length > deps.maxEdits) throw new InvalidInputError(`${req.edits.length} edits in one call, over limits.maxEditsPerRequest (${deps.maxEdits})`);
  return deps.locks.run(file.path, async () => {
    const s = await snapshot(deps, file);
    checkExpected(s, req.expectedSha256);
    const text = requireUtf8(s);
    const r = applyEdits(text, req.edits);
    const next = Buffer.from(r.content, 'utf8');
    // Without this, edits could grow the file past the limit, and every later read, edit and
    // restore of it would be refused: the agent would lock itself out of its own file.
    if (next.length > deps.maxFileBytes) {
      throw new InvalidInputError(`the edits would make ${file.path} ${next.length} bytes, over limits.maxFileBytes (${deps.maxFileBytes}); nothing written`);
    }
    const afterSha = sha256(next);
    const changed = afterSha !== s.sha256;
    const backupFile = changed && !req.checkMode ? await commit(deps, s, next, req.remainingMs ?? noDeadline) : '';
    return {
      changed,
      diff: makeDiff(text, r.content, `${file.path} (before)`, `${file.path} (after)`),
      msg: summarise(r.outcomes, req.checkMode, file.path),
      warnings: r.warnings,
      path: file.path,
      checkMode: req.checkMode,
      beforeSha256: s.sha256,
      afterSha256: afterSha,
      backupFile,
      outcomes: r.outcomes,
    };
  });
}

export async function restoreConfig(
  deps: IniFileDeps,
  req: { path: unknown; backupFile: unknown; expectedSha256?: string; checkMode: boolean; remainingMs?: () => number },
): Promise<ConfigChangeResult> {
  const file = deps.allow.resolve(req.path);
  const backupPath = checkBackupPath(file, req.backupFile);
  return deps.locks.run(file.path, async () => {
    const s = await snapshot(deps, file);
    checkExpected(s, req.expectedSha256);
    const { fh, st } = await openRegular(backupPath);
    const next = await (st.size > deps.maxFileBytes
      ? Promise.reject(new PreconditionError(`${backupPath} is ${st.size} bytes, over limits.maxFileBytes (${deps.maxFileBytes})`))
      : withFileDeadline(`reading ${backupPath}`, fh.readFile())
    ).finally(() => fh.close());
    const afterSha = sha256(next);
    const changed = afterSha !== s.sha256;
    const backupFile = changed && !req.checkMode ? await commit(deps, s, next, req.remainingMs ?? noDeadline) : '';
    return {
      changed,
      diff: makeDiff(s.bytes.toString('utf8'), next.toString('utf8'), `${file.path} (before)`, `${backupPath}`),
      msg: changed ? `${file.path}: ${req.checkMode ? 'would restore' : 'restored'} ${backupPath}` : `${file.path}: no change (already identical to ${backupPath})`,
      warnings: [],
      path: file.path,
      checkMode: req.checkMode,
      beforeSha256: s.sha256,
      afterSha256: afterSha,
      backupFile,
      outcomes: [],
    };
  });
}
