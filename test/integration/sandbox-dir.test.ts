/**
 * Security finding 13 (docs/reliability.md), with the real CLI: the sandbox's default directory
 * (`<tmpdir>/zkmig-sandbox-<uid>`) is predictable, so another user can plant a symlink or a
 * directory of their own there. `zkmig sandbox up` must refuse both and write nothing through them.
 * TMPDIR points the default at a private directory, so no real sandbox is touched.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../harness/tmp';

const CLI = path.join(__dirname, '..', '..', 'coordinator', 'cli.js');
const NOBODY = 65534;

function up(tmpdir: string): { code: number | null; err: string } {
  // PATH names an empty directory: the directory check comes before `up` needs any tool, and were
  // it missing, `up` fails at its first tool (openssl, java) instead of starting a whole fleet in
  // the victim's directory (so the test can be run without the fix, and fails fast).
  const noTools = path.join(tmpdir, 'no-tools');
  fs.mkdirSync(noTools, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmpdir, PATH: noTools };
  delete env.ZKMIG_SANDBOX_DIR;
  const r = spawnSync(process.execPath, [CLI, 'sandbox', 'up'], { encoding: 'utf8', timeout: 60000, env });
  return { code: r.status, err: r.stderr };
}

test('a symlink or a foreign directory planted at the default sandbox path is refused, and nothing is written through it', (t) => {
  const tmp = tempDir('zkmig-sbdir-');
  t.teardown(tmp.cleanup);
  const tmpdir = fs.realpathSync(tmp.dir);
  fs.chmodSync(tmpdir, 0o1777);
  const def = path.join(tmpdir, `zkmig-sandbox-${process.getuid?.() ?? 'user'}`);
  const victim = path.join(tmpdir, 'victim');
  fs.mkdirSync(victim, { mode: 0o700 });
  // The attacker's symlink at the default path.
  fs.symlinkSync(victim, def);
  const r1 = up(tmpdir);
  t.not(r1.code, 0);
  t.true(r1.err.includes(def) && /is a symlink/.test(r1.err), r1.err);
  t.deepEqual(fs.readdirSync(victim), [], 'nothing written through the link');
  // The attacker's own directory at the default path (only meaningful when we are not nobody).
  if (process.getuid?.() !== NOBODY) {
    fs.rmSync(def);
    fs.mkdirSync(def, { mode: 0o777 });
    fs.chownSync(def, NOBODY, NOBODY);
    const r2 = up(tmpdir);
    t.not(r2.code, 0);
    t.true(r2.err.includes(def) && /belongs to uid 65534/.test(r2.err), r2.err);
    t.deepEqual(fs.readdirSync(def), [], 'nothing written into the foreign directory');
  }
});
