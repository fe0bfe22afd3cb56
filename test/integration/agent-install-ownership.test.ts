/**
 * Security findings 2 and 16 (docs/reliability.md): deploy/install-agent.sh run by root from a checkout that an
 * ordinary user owns (here `nobody`) must leave nothing that user can write in the root agent's
 * code or config; a rerun repairs ownership and modes someone changed since (and says `changed`);
 * paths with shell or sed metacharacters and a shared, foreign PREFIX are refused before any change.
 * Real script, real files, real uid switch (setpriv); no systemctl (NO_SYSTEMCTL=1).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../harness/certs';

const NOBODY = 65534;
const SCRIPT = 'deploy/install-agent.sh';

/** A copy of the built checkout with just what the installer needs, owned by nobody. */
function nobodyCheckout(base: string): string {
  const src = path.join(base, 'src');
  fs.mkdirSync(path.join(src, 'dist'), { recursive: true });
  for (const p of ['dist/agent', 'dist/shared', 'proto', 'deploy', 'package.json', 'package-lock.json']) fs.cpSync(path.join(REPO_ROOT, p), path.join(src, p), { recursive: true });
  const deps = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout.split('\n');
  for (const d of deps) {
    if (!d.startsWith(path.join(REPO_ROOT, 'node_modules') + '/')) continue;
    const rel = path.relative(REPO_ROOT, d);
    if (!fs.existsSync(path.join(src, rel))) fs.cpSync(d, path.join(src, rel), { recursive: true, verbatimSymlinks: true });
  }
  // The build user's typical modes, and one careless one.
  spawnSync('chown', ['-R', `${NOBODY}:${NOBODY}`, src]);
  fs.chmodSync(path.join(src, 'dist', 'agent', 'main.js'), 0o777);
  return src;
}

function install(base: string, src: string, env: Record<string, string> = {}): { code: number | null; out: string } {
  const r = spawnSync('bash', [path.join(src, SCRIPT)], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      SRC: src,
      PREFIX: path.join(base, 'opt', 'zkmig'),
      CONFIG: path.join(base, 'etc', 'zkmig-agent', 'agent.yaml'),
      UNIT_DIR: path.join(base, 'unit'),
      NODE: process.execPath,
      NO_SYSTEMCTL: '1',
      ...env,
    },
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

/** Files under `dir` not owned by root or writable by group/others (symlinks aside). */
function notRootOnly(dir: string): string[] {
  const r = spawnSync('find', [dir, '(', '!', '-user', '0', '-o', '!', '-group', '0', '-o', '(', '!', '-type', 'l', '-perm', '/022', ')', ')', '-print'], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean);
}

function asNobody(cmd: string): number | null {
  return spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'bash', '-c', cmd], { encoding: 'utf8' }).status;
}

test.serial('an install from a checkout owned by nobody is root-owned, and a rerun repairs tampered modes', (t) => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'zkmig-install-own-'));
  fs.chmodSync(base, 0o755); // nobody can reach the files: the modes themselves must stop it
  try {
    const src = nobodyCheckout(base);
    const prefix = path.join(base, 'opt', 'zkmig');
    const first = install(base, src);
    // 3 = installed, but the example config is not valid yet (no certificates here).
    t.true(first.code === 0 || first.code === 3, first.out);
    t.regex(first.out, /install-agent: changed/);
    t.deepEqual(notRootOnly(prefix), [], 'every installed file is root:root and not group/other-writable');
    t.deepEqual(notRootOnly(path.dirname(path.join(base, 'etc', 'zkmig-agent', 'agent.yaml'))), []);
    const main = path.join(prefix, 'dist', 'agent', 'main.js');
    const grpcServer = path.join(prefix, 'node_modules', '@grpc', 'grpc-js', 'build', 'src', 'server.js');
    t.true(fs.existsSync(grpcServer));
    t.not(asNobody(`echo '// owned' >> ${main}`), 0, 'nobody cannot append to the agent code');
    t.not(asNobody(`echo '// owned' >> ${grpcServer}`), 0, 'nobody cannot append to a dependency');
    t.not(asNobody(`touch ${path.join(prefix, 'dist', 'agent', 'evil.js')}`), 0, 'nobody cannot add files');
    t.false(fs.readFileSync(main, 'utf8').includes('// owned'));

    // Unchanged on a rerun.
    const second = install(base, src);
    t.regex(second.out, /install-agent: unchanged/, second.out);

    // Tampered since: ownership and a mode. The rerun repairs both and says so.
    fs.chownSync(main, NOBODY, NOBODY);
    fs.chmodSync(grpcServer, 0o666);
    const third = install(base, src);
    t.regex(third.out, /made .* owned by root and writable by root only/, third.out);
    t.regex(third.out, /install-agent: changed/);
    t.deepEqual(notRootOnly(prefix), []);
    t.regex(install(base, src).out, /install-agent: unchanged/);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test.serial('paths with shell or sed metacharacters, and a foreign non-empty PREFIX, are refused before any change', (t) => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'zkmig-install-bad-'));
  try {
    const src = nobodyCheckout(base);
    for (const bad of [`${base}/zk&mig`, `${base}/zk|mig`, `${base}/zk mig`, 'relative/opt']) {
      const r = install(base, src, { PREFIX: bad });
      t.is(r.code, 1, r.out);
      t.regex(r.out, /PREFIX (may contain only|must be an absolute path)/);
      t.false(fs.existsSync(bad), `${bad} was not created`);
    }
    // A shared directory (its own node_modules) that this script never installed into.
    const shared = path.join(base, 'shared');
    fs.mkdirSync(path.join(shared, 'node_modules', 'precious'), { recursive: true });
    const r = install(base, src, { PREFIX: shared });
    t.is(r.code, 1, r.out);
    t.regex(r.out, /is not empty and was not installed by install-agent\.sh/);
    t.true(fs.existsSync(path.join(shared, 'node_modules', 'precious')));
    t.false(fs.existsSync(path.join(base, 'unit')), 'no unit written');
    // A PREFIX below a directory another user can write.
    const open = path.join(base, 'open');
    fs.mkdirSync(open);
    fs.chmodSync(open, 0o777);
    const r2 = install(base, src, { PREFIX: path.join(open, 'zkmig') });
    t.is(r2.code, 1, r2.out);
    t.regex(r2.out, /writable by group or others/);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('make-certs.sh leaves the mode of an existing -d directory alone, makes a new one 0700, and its keys 0600', (t) => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'zkmig-certs-mode-'));
  t.teardown(() => fs.rmSync(base, { recursive: true, force: true }));
  const existing = path.join(base, 'etc-zkmig-agent');
  fs.mkdirSync(existing);
  fs.chmodSync(existing, 0o755);
  const fresh = path.join(base, 'new', 'pki');
  for (const dir of [existing, fresh]) {
    const r = spawnSync('bash', [path.join(REPO_ROOT, 'deploy', 'make-certs.sh'), '-d', dir, 'ca'], { encoding: 'utf8' });
    t.is(r.status, 0, r.stderr);
  }
  t.is(fs.statSync(existing).mode & 0o777, 0o755, 'the existing directory kept its mode');
  t.is(fs.statSync(fresh).mode & 0o777, 0o700, 'a directory the script made is 0700');
  for (const dir of [existing, fresh]) {
    const keys = fs.readdirSync(dir).filter((n) => /key/.test(n));
    t.true(keys.length > 0);
    for (const k of keys) t.is(fs.statSync(path.join(dir, k)).mode & 0o777, 0o600, k);
  }
});
