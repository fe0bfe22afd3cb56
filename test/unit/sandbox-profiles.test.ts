import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import test from 'ava';
import { main } from '../../coordinator/cli';
import { CliIO } from '../../coordinator/lib/io';
import { PROFILE_NAMES, SANDBOX_PROFILES, profileZnodes, sandboxProfile } from '../../coordinator/lib/sandbox/profiles';
import { UsageError } from '../../shared/errors';

/** `zkmig sandbox up --profile`: the sizes are what --help and the README say; a bad name changes nothing. */

function io(): CliIO & { outText: () => string; errText: () => string } {
  let out = '';
  let err = '';
  return { out: (s) => void (out += s), err: (s) => void (err += s), isTTY: false, env: { COLUMNS: '80' }, confirm: async () => false, outText: () => out, errText: () => err };
}

test('the large profile is 40 tables × 256 partitions × 3 replicas over 5 replica servers and a tree of at least 100,000 znodes', (t) => {
  const p = sandboxProfile('large');
  t.is(p.tables.length, 40);
  t.true(p.tables.every((x) => x.partitions === 256));
  t.is(new Set(p.tables.map((x) => x.name)).size, 40, 'distinct table names');
  t.is(p.tables.reduce((n, x) => n + x.partitions, 0), 10240, 'at least 10,000 live partitions');
  t.is(p.replicaServers, 5);
  t.is(p.replicasPerPartition, 3);
  t.is(p.metaServers, 3);
  t.deepEqual(p.ballast, { droppedTables: 350, partitions: 256 });
  t.is(profileZnodes(p), 100231);
  t.true(profileZnodes(p) >= 100000);
  // Production session/lease/grace, so a loaded machine does not fail anything over.
  t.is(p.timing?.zkTimeoutMs, 10000);
  t.is(p.timing?.fdGraceSeconds, 22);
});

test('the default profile is the small sandbox it always was', (t) => {
  const p = sandboxProfile('default');
  t.deepEqual(p.tables, [
    { name: 'temp', partitions: 8 },
    { name: 'orders', partitions: 4 },
  ]);
  t.is(p.replicaServers, 3);
  t.is(p.metaServers, 3);
  t.is(p.ballast, undefined);
  t.is(p.timing, undefined, 'the fast timing');
  t.deepEqual(PROFILE_NAMES, ['default', 'large']);
});

test('sandbox up --help documents every profile with its size', async (t) => {
  const o = io();
  t.is(await main(['sandbox', 'up', '--help'], o), 0);
  const help = o.outText().replace(/\s+/g, ' ');
  t.regex(help, /--profile <name>/);
  for (const p of Object.values(SANDBOX_PROFILES)) t.true(help.includes(` ${p.name} ${p.summary}`), `${p.name}: ${p.summary}`);
  t.regex(help, /40 tables × 256 partitions × 3 replicas \(10,240 live partitions\)/);
  t.regex(help, /100,231 znodes/);
});

test('an unknown profile is a usage error (exit 2) naming the valid ones, and creates nothing', async (t) => {
  t.throws(() => sandboxProfile('huge'), { instanceOf: UsageError, message: 'unknown sandbox profile "huge"; choose one of: default, large' });
  t.throws(() => sandboxProfile('toString'), { instanceOf: UsageError });
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'zkmig-profile-')), 'sb');
  try {
    const o = io();
    t.is(await main(['sandbox', 'up', '--dir', dir, '--profile', 'huge'], o), 2);
    t.regex(o.errText(), /unknown sandbox profile "huge"; choose one of: default, large/);
    t.false(fs.existsSync(dir), 'the sandbox directory was not created');
  } finally {
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  }
});
