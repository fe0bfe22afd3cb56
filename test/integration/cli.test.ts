import test from 'ava';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const CLI = path.join(__dirname, '../../coordinator/cli.js');

test('zkmig --help lists commands and exits 0', (t) => {
  const r = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
  t.is(r.status, 0);
  t.regex(r.stdout, /Usage: zkmig/);
  t.regex(r.stdout, /Exit codes/);
});

test('an unknown command exits non-zero and names it', (t) => {
  const r = spawnSync(process.execPath, [CLI, 'frobnicate'], { encoding: 'utf8' });
  t.is(r.status, 2);
  t.regex(r.stderr, /unknown command 'frobnicate'/);
});
