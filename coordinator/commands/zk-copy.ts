import { Command, Option } from 'commander';
import { checkOption } from './conventions';
import { confirmOrStop } from './confirm';
import { AppError } from '../../shared/errors';
import { CliIO, EXIT } from '../lib/io';
import { copyTree, COPY_DEFAULTS, CopySummary, formatBytes, formatDifference, OnExists, PathList, ProgressBar, VerifyMode } from '../lib/zk';
import { absPath } from '../lib/zk/tree-index';
import { WRITER_DEFAULTS } from '../lib/zk/writer';
import { addConnFlags, addJsonFlag, addSecurityFlags, authFrom, ConnFlags, connFrom, intFlag, securityFrom, withInterrupt } from './zk-options';

interface CopyFlags extends ConnFlags {
  onExists: string;
  yes?: boolean;
  dryRun?: boolean;
  verify: string | boolean;
  exclude: string[];
  sourceAuth?: string;
  targetAuth?: string;
  sourceAuthFile?: string;
  targetAuthFile?: string;
  readSessions?: string;
  window?: string;
  batchBytes?: string;
  list?: string;
}

const HELP = `
Copy a ZooKeeper subtree to another ensemble (or another path), then verify
it.

  zkmig zk copy 10.0.0.1:2181,10.0.0.2:2181/pegasus/c1 10.1.0.1:2181/pegasus/c1

What it does:
  - reads the source with pipelined requests over several sessions (never one
    round trip per node) and writes parents before children in multi
    transactions bounded by bytes (well under the server's 1 MB
    jute.maxbuffer); data bytes and ACLs are preserved exactly;
  - skips ephemeral nodes and reports them: Pegasus's leader-lock nodes
    (.../dsn.meta.server.leader/LOCKNODE##########) are ephemeral, and a
    persistent copy of one would stop every meta server from becoming leader;
    /zookeeper is never copied;
  - after a connection loss it re-reads what an unanswered multi touched
    before sending it again, so a run never duplicates or half-writes
    silently, and a rerun with --on-exists overwrite converges;
  - verifies: reads the target back and compares every node's path, data hash
    and ACL, and prints a digest of the tree (equal digests mean equal trees).

--on-exists decides what happens when the target path already holds something:
  fail       (default) refuse, before writing anything, if the target has data
             or children
  overwrite  create what is missing, update only nodes whose data or ACL
             differ; delete nothing
  sync       overwrite, and also delete target nodes the source lacks (needs
             --yes)

When not to use it: while Pegasus meta servers still write to the source (stop
them first; the copy is not a point-in-time snapshot), or to move sequence
counters (a parent's cversion cannot be set through the client API; Pegasus
does not depend on it). For a migration use "zkmig migrate", which calls this
copy at the right moment.

Permissions: read (and ACL read) on the source subtree; create/write on the
target, plus admin where ACLs must be changed. Digest auth with --auth
user:password or $ZKMIG_ZK_AUTH (both sides), or --source-auth /
--target-auth.

Output: a summary (nodes, bytes, created, updated, deleted, skipped ephemeral,
excluded, zxids, digest, times), a progress bar on a terminal, or one JSON
object with --json. Exit codes: 0 copied and verified; 1 copied but
verification found differences (listed); 2 nothing or not everything was
copied (bad usage, unreachable ensemble, refused target, error).`;

export function registerZkCopy(zk: Command, io: CliIO): void {
  const cmd = zk
    .command('copy')
    .summary('copy a subtree between ensembles, skipping ephemerals, then verify it')
    .description(HELP)
    .argument('<source>', 'host:port[,host:port...]/path to copy from')
    .argument('<target>', 'host:port[,host:port...]/path to copy to')
    .addOption(new Option('--on-exists <mode>', 'what to do when the target path has data or children').choices(['fail', 'overwrite', 'sync']).default('fail'))
    .option('-y, --yes', 'confirm the deletes of --on-exists sync')
    .addOption(new Option('--verify <mode>', 'target: re-read the target and compare with the source read; full: re-read both sides; none').choices(['target', 'full', 'none']).default(COPY_DEFAULTS.verify))
    .option('--no-verify', 'same as --verify none')
    .option('--exclude <path>', 'leave this subtree out (repeatable; absolute under the source path, or relative to it)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--source-auth <user:password>', 'digest credentials for the source only')
    .option('--target-auth <user:password>', 'digest credentials for the target only')
    .option('--source-auth-file <file>', 'digest credentials for the source only, from a file')
    .option('--target-auth-file <file>', 'digest credentials for the target only, from a file')
    .option('--read-sessions <n>', `sessions reading each side in parallel (default: ${COPY_DEFAULTS.readSessions})`)
    .option('--window <n>', 'requests in flight per read session (default: 300 on ZooKeeper 3.6+, which batches reads, else 100)')
    .option('--batch-bytes <n>', `serialized bytes per multi (default: ${WRITER_DEFAULTS.batchBytes}; the server refuses requests over jute.maxbuffer, 1 MB by default)`)
    .option('--list <n>', 'paths listed per category in the text output (default: 20)');
  checkOption(cmd, 'read both sides and print what would be created, updated, deleted and skipped; write nothing');
  addConnFlags(cmd);
  addSecurityFlags(cmd, 'source-', 'the source');
  addSecurityFlags(cmd, 'target-', 'the target');
  addJsonFlag(cmd, 'the copy summary');
  cmd.action(async (source: string, target: string, f: CopyFlags) => {
    const onExists = f.onExists as OnExists;
    const verify: VerifyMode = f.verify === false ? 'none' : (f.verify as VerifyMode);
    const auth = authFrom(f.auth, io, '--auth', f.authFile);
    const sourceAuth = f.sourceAuth !== undefined || f.sourceAuthFile !== undefined ? authFrom(f.sourceAuth, io, '--source-auth', f.sourceAuthFile) : auth;
    const targetAuth = f.targetAuth !== undefined || f.targetAuthFile !== undefined ? authFrom(f.targetAuth, io, '--target-auth', f.targetAuthFile) : auth;
    const { security: _common, ...conn } = connFrom(f);
    const sourceSecurity = securityFrom(f, 'source');
    const targetSecurity = securityFrom(f, 'target');
    const batchBytes = intFlag(f.batchBytes, '--batch-bytes', 1024, 1024 * 1024);
    const opts = {
      source,
      target,
      onExists,
      dryRun: f.dryRun ?? false,
      verify,
      excludes: f.exclude,
      ...(sourceAuth ? { sourceAuth } : {}),
      ...(targetAuth ? { targetAuth } : {}),
      ...conn,
      ...(sourceSecurity ? { sourceSecurity } : {}),
      ...(targetSecurity ? { targetSecurity } : {}),
      ...optional('readSessions', intFlag(f.readSessions, '--read-sessions', 1, 16)),
      ...optional('window', intFlag(f.window, '--window', 4, 5000)),
      ...optional('batchBytes', batchBytes),
    };
    const listN = intFlag(f.list, '--list', 0) ?? 20;
    if (onExists === 'sync' && !opts.dryRun) {
      const go = await confirmOrStop(io, {
        yes: f.yes,
        question: `--on-exists sync deletes every node under ${target} that ${source} does not have. Continue?`,
        noTerminal: '--on-exists sync deletes target nodes the source does not have: pass --yes to confirm (or --dry-run to see what it would delete)',
      });
      if (!go) return;
    }
    const bar = new ProgressBar(io.err, io.isTTY && !f.json);
    let summary: CopySummary;
    try {
      summary = await withInterrupt((signal) =>
        copyTree({
          ...opts,
          signal,
          onProgress: (p) => bar.update({ label: p.phase, done: p.nodes, total: p.total, bytes: p.bytes, elapsedMs: p.elapsedMs }),
        }),
      );
    } catch (e) {
      bar.clear();
      if (e instanceof AppError && e.code === 'CANCELLED') {
        throw new AppError('CANCELLED', 'interrupted: what was written so far stays; rerun with --on-exists overwrite to finish the copy');
      }
      throw e;
    }
    bar.clear();
    if (f.json) io.out(`${JSON.stringify(toJson(summary), null, 2)}\n`);
    else io.out(renderCopy(summary, listN));
    for (const w of f.json ? [] : summary.warnings) io.err(`WARNING: ${w}\n`);
    io.exitCode = summary.verify && !summary.verify.ok ? EXIT.FINDINGS : EXIT.OK;
  });
}

function optional<K extends string, V>(k: K, v: V | undefined): Partial<Record<K, V>> {
  return v === undefined ? {} : ({ [k]: v } as Record<K, V>);
}

/** The path part of `host:port,.../path`. */
const pathOf = (endpoint: string): string => endpoint.slice(endpoint.indexOf('/'));

/** The JSON summary, with verify differences as absolute target paths. */
function toJson(s: CopySummary): unknown {
  if (!s.verify) return s;
  const root = pathOf(s.target);
  return { ...s, verify: { ...s.verify, differences: s.verify.differences.map((d) => ({ ...d, path: absPath(root, d.path) })) } };
}

const fmt = (n: number): string => n.toLocaleString('en-US');
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function listPaths(lines: string[], title: string, l: PathList, n: number, mark: string): void {
  if (l.count === 0) return;
  lines.push(`${title} (${fmt(l.count)}):`);
  for (const p of l.paths.slice(0, n)) lines.push(`  ${mark} ${p}`);
  if (l.count > Math.min(n, l.paths.length)) lines.push(`  ... and ${fmt(l.count - Math.min(n, l.paths.length))} more (--list N, or --json)`);
}

/** The text summary of a copy or a dry run. */
export function renderCopy(s: CopySummary, n = 20): string {
  const lines: string[] = [];
  if (s.dryRun) lines.push(`DRY RUN: nothing was written. ${s.source} -> ${s.target} (--on-exists ${s.mode})`);
  else lines.push(`Copied ${s.source} -> ${s.target} (--on-exists ${s.mode})`);
  const [c, u, d] = s.dryRun ? ['create', 'update', 'delete'] : ['created', 'updated', 'deleted'];
  lines.push(`  nodes       ${fmt(s.nodes)} (${formatBytes(s.bytes)} of data)`);
  lines.push(`  ${s.dryRun ? 'would      ' : 'changes    '} ${c} ${fmt(s.created)}, ${u} ${fmt(s.updated)}${s.aclUpdated ? ` (${fmt(s.aclUpdated)} ACL)` : ''}, ${d} ${fmt(s.deleted)}; unchanged ${fmt(s.unchanged)}`);
  lines.push(`  skipped     ${fmt(s.skippedEphemeral.count)} ephemeral, ${fmt(s.excluded.count)} excluded subtree(s)${s.vanished ? `, ${fmt(s.vanished)} vanished while read` : ''}`);
  lines.push(`  source zxid max mzxid ${s.maxMzxid}, max pzxid ${s.maxPzxid}`);
  lines.push(`  digest      ${s.digest}`);
  lines.push(`  time        ${secs(s.durationMs)} (copy ${secs(s.copyMs)}${s.verify ? `, verify ${secs(s.verify.ms)}` : ''})`);
  if (s.plan) {
    listPaths(lines, 'Would create', s.plan.create, n, '+');
    listPaths(lines, 'Would update', s.plan.update, n, '~');
    listPaths(lines, 'Would delete', s.plan.delete, n, '-');
  }
  listPaths(lines, s.dryRun ? 'Would skip (ephemeral)' : 'Skipped (ephemeral, never copied)', s.skippedEphemeral, n, '!');
  listPaths(lines, 'Excluded', s.excluded, n, '!');
  const v = s.verify;
  if (v) {
    const targetRoot = pathOf(s.target);
    if (v.ok) {
      lines.push(`Verify (${v.mode}): OK, ${fmt(v.nodes)} nodes match (path, data, ACL)${v.count.extra ? `; ${fmt(v.count.extra)} target-only node(s) kept by --on-exists overwrite` : ''}.`);
      lines.push(`  target digest ${v.targetDigest}${v.targetDigest === s.digest ? ' (same as the source)' : ''}`);
    } else {
      lines.push(`Verify (${v.mode}): FAILED: ${fmt(v.count.missing)} missing on the target, ${fmt(v.count.changed)} different, ${fmt(v.count.extra)} only on the target.`);
      for (const d of v.differences.slice(0, n)) lines.push(`  ${formatDifference(d, targetRoot, targetRoot)}`);
      const total = v.count.missing + v.count.changed + v.count.extra;
      if (total > n) lines.push(`  ... and ${fmt(total - Math.min(n, v.differences.length))} more`);
      lines.push('  Rerun with --on-exists overwrite to repair, or zkmig zk diff for the full list.');
    }
  } else if (!s.dryRun) {
    lines.push('Verify: skipped (--no-verify).');
  }
  return `${lines.join('\n')}\n`;
}
