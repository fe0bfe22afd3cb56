import { Command } from 'commander';
import { CliIO, EXIT } from '../lib/io';
import { diffTrees, DiffResult, formatDifference, ProgressBar } from '../lib/zk';
import { absPath } from '../lib/zk/tree-index';
import { addConnFlags, addJsonFlag, authFrom, ConnFlags, connFrom, intFlag, withInterrupt } from './zk-options';

interface DiffFlags extends ConnFlags {
  exclude: string[];
  authA?: string;
  authB?: string;
  limit?: string;
}

const HELP = `
Compare two ZooKeeper subtrees node by node: path, data (by hash) and ACL. The
trees may be on different ensembles and under different paths, e.g. a
cluster's tree on the old and the new ensemble:

  zkmig zk diff 10.0.0.1:2181/pegasus/c1 10.1.0.1:2181/pegasus/c1

Output, sorted by path (each path is absolute on the side where it exists):
  - PATH          only in the first tree + PATH          only in the second
    tree ~ PATH (data)   in both, different data (or "acl", or "data,acl")
followed by both tree digests. Ephemeral nodes are ignored on both sides (they
belong to live sessions and are never copied), and so is /zookeeper.

Both trees are read in parallel with pipelined requests; nothing is written.
Needs read (and ACL read) permission on both; --auth or $ZKMIG_ZK_AUTH for
both, or --auth-a / --auth-b.

Exit codes: 0 the trees are equal; 1 they differ; 2 they could not be
compared.`;

export function registerZkDiff(zk: Command, io: CliIO): void {
  const cmd = zk
    .command('diff')
    .summary('compare two subtrees (data, ACL), across ensembles; exit 1 when they differ')
    .description(HELP)
    .argument('<a>', 'first tree, host:port[,host:port...]/path')
    .argument('<b>', 'second tree, host:port[,host:port...]/path')
    .option('--exclude <path>', 'ignore this subtree on both sides (repeatable; absolute under the first path, or relative)', (v: string, p: string[]) => [...p, v], [] as string[])
    .option('--auth-a <user:password>', 'digest credentials for the first tree only')
    .option('--auth-b <user:password>', 'digest credentials for the second tree only')
    .option('--limit <n>', 'differences listed (default: 1000; counts are always exact)');
  addConnFlags(cmd);
  addJsonFlag(cmd, 'equal, counts, differences, digests');
  cmd.action(async (a: string, b: string, f: DiffFlags) => {
    const auth = authFrom(f.auth, io, '--auth', f.authFile);
    const authA = f.authA !== undefined ? authFrom(f.authA, io, '--auth-a') : auth;
    const authB = f.authB !== undefined ? authFrom(f.authB, io, '--auth-b') : auth;
    const limit = intFlag(f.limit, '--limit', 1) ?? 1000;
    const bar = new ProgressBar(io.err, io.isTTY && !f.json);
    const t0 = Date.now();
    const r = await withInterrupt((signal) =>
      diffTrees({
        a,
        b,
        ...(authA ? { authA } : {}),
        ...(authB ? { authB } : {}),
        excludes: f.exclude,
        conn: connFrom(f),
        limit,
        signal,
        onProgress: (n) => bar.update({ label: 'diff', done: n, total: undefined, elapsedMs: Date.now() - t0 }),
      }),
    ).finally(() => bar.clear());
    io.out(f.json ? `${JSON.stringify(diffJson(r), null, 2)}\n` : renderDiff(r));
    io.exitCode = r.equal ? EXIT.OK : EXIT.FINDINGS;
  });
}

const rootOf = (endpoint: string): string => endpoint.slice(endpoint.indexOf('/'));
const fmt = (n: number): string => n.toLocaleString('en-US');

function diffJson(r: DiffResult): unknown {
  const ra = rootOf(r.a);
  const rb = rootOf(r.b);
  return { ...r, differences: r.differences.map((d) => ({ ...d, path: absPath(d.kind === '+' ? rb : ra, d.path) })) };
}

/** The text report: one line per difference, then counts and digests. */
export function renderDiff(r: DiffResult): string {
  const ra = rootOf(r.a);
  const rb = rootOf(r.b);
  const lines = [`--- ${r.a}`, `+++ ${r.b}`];
  for (const d of r.differences) lines.push(formatDifference(d, ra, rb));
  const total = r.count.added + r.count.removed + r.count.changed;
  if (total > r.differences.length) lines.push(`... and ${fmt(total - r.differences.length)} more (--limit N, or --json)`);
  lines.push(
    r.equal
      ? `Equal: ${fmt(r.nodes.a)} nodes (path, data, ACL).`
      : `Different: ${fmt(r.count.removed)} only in the first, ${fmt(r.count.added)} only in the second, ${fmt(r.count.changed)} changed (${fmt(r.nodes.a)} vs ${fmt(r.nodes.b)} nodes).`,
  );
  if (r.ephemeral.a + r.ephemeral.b > 0) lines.push(`Ignored ephemeral nodes: ${fmt(r.ephemeral.a)} in the first, ${fmt(r.ephemeral.b)} in the second.`);
  lines.push(`digest first  ${r.digestA}`, `digest second ${r.digestB}`);
  return `${lines.join('\n')}\n`;
}
