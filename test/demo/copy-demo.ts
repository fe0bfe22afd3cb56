/**
 * `bash scripts/demo.sh`: the main job on this machine in a few seconds. Two local ZooKeeper
 * servers stand in for the old and the new ensemble; the old one holds a Pegasus cluster's tree
 * (tables, partitions, and a meta server's ephemeral leader lock). The real `zkmig` CLI copies the
 * tree, compares both sides and lists the copy. Everything is torn down at the end, also on failure.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { holdLeaderLock, pegasusTreeSize, seedPegasusTree } from '../../coordinator/lib/zk';
import { startZk } from '../harness/zookeeper';

const CLI = path.join(__dirname, '../../coordinator/cli.js');
const ROOT = '/pegasus/demo';
const SPEC = { root: ROOT, apps: 8, partitions: 64 };

function say(text: string): void {
  process.stdout.write(process.stdout.isTTY ? `\n\x1b[1m==> ${text}\x1b[0m\n` : `\n==> ${text}\n`);
}

/** Run `zkmig ARGS` as a separate process, echo the command and its output, return its exit code. */
function zkmig(args: string[]): number {
  process.stdout.write(`$ zkmig ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  process.stdout.write(r.stdout);
  process.stdout.write(r.stderr);
  process.stdout.write(`(exit ${r.status ?? r.signal})\n`);
  return r.status ?? 2;
}

async function main(): Promise<number> {
  const started = Date.now();
  say('Starting two local ZooKeeper 3.8 servers: the "old" and the "new" ensemble');
  const [oldZk, newZk] = await Promise.all([startZk(), startZk()]);
  let release: (() => void) | undefined;
  try {
    const src = `${oldZk.zk.connectString}${ROOT}`;
    const dst = `${newZk.zk.connectString}${ROOT}`;
    process.stdout.write(`old ensemble ${oldZk.zk.connectString}\nnew ensemble ${newZk.zk.connectString}\n`);

    say(`Seeding a Pegasus tree on the old ensemble: ${SPEC.apps} tables x ${SPEC.partitions} partitions (${pegasusTreeSize(SPEC)} znodes)`);
    await seedPegasusTree(oldZk.zk.connectString, SPEC);
    const lock = await holdLeaderLock(oldZk.zk.connectString, SPEC, '10.0.0.11:34601');
    release = lock.release;
    process.stdout.write(`a meta server holds the leader lock: ${lock.path} (ephemeral sequential)\n`);

    say('Copying the tree to the new ensemble (the ephemeral lock node must be skipped)');
    if (zkmig(['zk', 'copy', src, dst]) !== 0) throw new Error('zkmig zk copy failed');

    say('Comparing both sides node by node (data and ACL); exit 0 means equal');
    if (zkmig(['zk', 'diff', src, dst]) !== 0) throw new Error('zkmig zk diff reported differences');

    say('Listing the copy (two levels; counts and sizes cover the whole subtree)');
    if (zkmig(['zk', 'ls', '-R', dst, '--depth', '2']) !== 0) throw new Error('zkmig zk ls failed');

    say('Copying again without --on-exists: refused before anything is written');
    if (zkmig(['zk', 'copy', src, dst]) !== 2) throw new Error('a copy onto a non-empty target was not refused');

    say(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s: copied, skipped the lock, verified, compared, listed.`);
    return 0;
  } finally {
    release?.();
    await Promise.allSettled([oldZk.cleanup(), newZk.cleanup()]);
    process.stdout.write('(both ZooKeeper servers stopped and their data removed)\n');
  }
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
