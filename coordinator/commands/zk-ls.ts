import { Command } from 'commander';
import { CliIO, EXIT } from '../lib/io';
import { listTree, LsNode, renderTree } from '../lib/zk';
import { addConnFlags, addJsonFlag, authFrom, ConnFlags, connFrom, intFlag, withInterrupt } from './zk-options';

interface LsFlags extends ConnFlags {
  recursive?: boolean;
  depth?: string;
}

const HELP = `
List a znode and its children with their data sizes, or with -R the whole
subtree as a tree with each node's size and, for inner nodes, the node count
and bytes below it:

  zkmig zk ls -R 10.0.0.1:2181/pegasus/c1 --depth 2

Ephemeral nodes are marked (under a Pegasus lock directory they are the meta
servers' leader-lock nodes). Reads one getChildren per node, pipelined; writes
nothing. Needs read permission.

Exit codes: 0 listed; 2 the path does not exist or the ensemble could not be
read.`;

export function registerZkLs(zk: Command, io: CliIO): void {
  const cmd = zk
    .command('ls')
    .summary('list a node and its children, or (-R) a subtree with sizes and node counts')
    .description(HELP)
    .argument('<endpoint>', 'host:port[,host:port...]/path')
    .option('-R, --recursive', 'the whole subtree, with node counts and bytes per subtree')
    .option('--depth <n>', 'draw the tree this many levels deep (counts still cover everything)');
  addConnFlags(cmd);
  addJsonFlag(cmd, 'the tree, each node with size and subtree totals');
  cmd.action(async (endpoint: string, f: LsFlags) => {
    const auth = authFrom(f.auth, io, '--auth', f.authFile);
    const depth = intFlag(f.depth, '--depth', 0);
    const r = await withInterrupt((signal) => listTree({ endpoint, recursive: f.recursive ?? false, conn: connFrom(f), ...(auth ? { auth } : {}), signal }));
    io.out(f.json ? `${JSON.stringify({ ...r, root: prune(r.root, depth ?? Infinity) }, null, 2)}\n` : renderTree(r, depth ?? Infinity));
    io.exitCode = EXIT.OK;
  });
}

/** Drop children below `depth` from the JSON (totals stay). */
function prune(n: LsNode, depth: number): LsNode {
  return { ...n, children: depth <= 0 ? [] : n.children.map((c) => prune(c, depth - 1)) };
}
