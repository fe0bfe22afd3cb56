import { Command } from 'commander';
import { checkOption } from './conventions';
import { confirmOrStop } from './confirm';
import { parseEndpoint } from '../../shared/zk/endpoint';
import { PreconditionError, UsageError } from '../../shared/errors';
import { CliIO, EXIT } from '../lib/io';
import { ProgressBar, removeTree, RmResult } from '../lib/zk';
import { refuseProtected } from '../lib/zk/rm';
import { addConnFlags, addJsonFlag, authFrom, ConnFlags, connFrom, intFlag, withInterrupt } from './zk-options';

interface RmFlags extends ConnFlags {
  recursive?: boolean;
  yes?: boolean;
  force?: boolean;
  dryRun?: boolean;
  list?: string;
}

const HELP = `
Delete a znode, or with -r a whole subtree (deepest first, in multi batches).
Use it to clear a half-copied target before copying again, or to remove a test
tree.

  zkmig zk rm -r --yes 10.1.0.1:2181/pegasus/c1

It refuses / and anything under /zookeeper, and without --yes it asks on a
terminal (exact "y") or refuses. --dry-run lists what would be deleted.
It refuses a tree that holds live ephemeral nodes (a running meta server's
leader lock, for one) unless --force: deleting one ends its owner's claim.
The check is a walk just before the delete; \`zkmig cleanup\` has the stronger
guards (agents, leader, superset) for retiring a migrated cluster's tree.

When not to use it: on a tree a running Pegasus cluster uses (its meta servers
abort when their nodes vanish). Permissions: delete on every parent in the
subtree.

Exit codes: 0 deleted (or listed, with --dry-run); 2 refused or failed.`;

export function registerZkRm(zk: Command, io: CliIO): void {
  const cmd = zk
    .command('rm')
    .summary('delete a node or (-r) a subtree; needs --yes; refuses / and /zookeeper')
    .description(HELP)
    .argument('<endpoint>', 'host:port[,host:port...]/path')
    .option('-r, --recursive', 'delete the whole subtree')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--force', 'delete even when the tree holds live ephemeral nodes')
    .option('--list <n>', 'paths listed in the text output (default: 20)');
  checkOption(cmd, 'list what would be deleted; delete nothing');
  addConnFlags(cmd);
  addJsonFlag(cmd, 'path, deleted, ephemeral, paths');
  cmd.action(async (endpoint: string, f: RmFlags) => {
    let path: string;
    try {
      path = parseEndpoint(endpoint).path;
    } catch (e) {
      throw new UsageError((e as Error).message, { cause: e });
    }
    refuseProtected(path);
    const auth = authFrom(f.auth, io, '--auth', f.authFile);
    const listN = intFlag(f.list, '--list', 0) ?? 20;
    if (!f.dryRun) {
      const go = await confirmOrStop(io, {
        yes: f.yes,
        question: `Delete ${endpoint}${f.recursive ? ' and everything under it' : ''}?`,
        noTerminal: `refusing to delete ${path} without --yes (or see what would go with --dry-run)`,
      });
      if (!go) return;
    }
    if (!f.dryRun && !f.force) {
      // A live ephemeral node means a live session uses the tree: most likely a running cluster
      // (a typo'd endpoint), whose meta servers abort when their nodes vanish.
      const seen = await withInterrupt((signal) => removeTree({ endpoint, recursive: f.recursive ?? false, dryRun: true, conn: connFrom(f), ...(auth ? { auth } : {}), signal }));
      if (seen.ephemeral > 0) {
        throw new PreconditionError(`refusing to delete ${path}: it holds ${seen.ephemeral} live ephemeral node(s) (a running meta server's leader lock, for one); stop what uses it, or pass --force`);
      }
    }
    const bar = new ProgressBar(io.err, io.isTTY && !f.json);
    const t0 = Date.now();
    const r = await withInterrupt((signal) =>
      removeTree({
        endpoint,
        recursive: f.recursive ?? false,
        dryRun: f.dryRun ?? false,
        conn: connFrom(f),
        ...(auth ? { auth } : {}),
        signal,
        onProgress: (done, total) => bar.update({ label: 'rm', done, total, elapsedMs: Date.now() - t0 }),
      }),
    ).finally(() => bar.clear());
    io.out(f.json ? `${JSON.stringify(r, null, 2)}\n` : renderRm(r, listN));
    io.exitCode = EXIT.OK;
  });
}

function renderRm(r: RmResult, n: number): string {
  const fmt = (x: number): string => x.toLocaleString('en-US');
  const lines = [`${r.dryRun ? 'DRY RUN: would delete' : 'Deleted'} ${fmt(r.deleted)} node(s) under ${r.path}${r.ephemeral ? ` (${fmt(r.ephemeral)} ephemeral)` : ''}.`];
  if (r.dryRun) {
    for (const p of r.paths.slice(0, n)) lines.push(`  - ${p}`);
    if (r.deleted > Math.min(n, r.paths.length)) lines.push(`  ... and ${fmt(r.deleted - Math.min(n, r.paths.length))} more`);
  }
  return `${lines.join('\n')}\n`;
}
