import { Command } from 'commander';
import { CliIO } from '../lib/io';
import type { Register } from './index';
import { registerZkCopy } from './zk-copy';
import { registerZkDiff } from './zk-diff';
import { registerZkGet } from './zk-get';
import { registerZkLs } from './zk-ls';
import { registerZkRm } from './zk-rm';

const HELP = `
Work on ZooKeeper trees directly: copy a subtree between ensembles (with
verification), compare two subtrees, list one with sizes, delete one.
Endpoints are host:port[,host:port...]/path. Digest auth: --auth user:password
or $ZKMIG_ZK_AUTH.

A Pegasus migration ("zkmig migrate") uses the same copy engine; these
commands are for doing the steps by hand, checking a migration, or cleaning
up.`;

/** `zkmig zk copy|diff|ls|rm`. */
export const registerZk: Register = (program: Command, io: CliIO) => {
  const zk = program.command('zk').summary('copy, compare, list, read and delete ZooKeeper nodes and subtrees').description(HELP);
  registerZkCopy(zk, io);
  registerZkDiff(zk, io);
  registerZkLs(zk, io);
  registerZkGet(zk, io);
  registerZkRm(zk, io);
};
