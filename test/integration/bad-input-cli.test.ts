/**
 * The bad-input corpus of test/fixtures/bad-input (issue 9) through the real entry points:
 * inventories (`zkmig inventory`), agent configs (`zkmig-agent --check-config`, a real process),
 * ZooKeeper endpoints (`zkmig zk ...` against a real ZooKeeper), garbage from the Pegasus shell
 * (`zkmig health` with a script as pegasus_shell), a shell that hangs and invalid meta levels.
 * Each case: exit code or error class, a message naming the problem, and nothing changed (file
 * sha256, ZooKeeper tree digest, no shell command sent).
 */
import anyTest, { TestFn } from 'ava';
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { fingerprint } from '../../coordinator/lib/zk/tree-read';
import { PegasusShell } from '../../coordinator/lib/shell';
import { isInvalidInput, isTimeout } from '../../shared/errors';
import { AGENT_MAIN } from '../harness/agent';
import { REPO_ROOT } from '../harness/certs';
import { tempDir } from '../harness/tmp';
import { startZk, ZkEnsemble } from '../harness/zookeeper';
import { withSession, zkmig } from './zk-helpers';

const CORPUS = path.join(REPO_ROOT, 'test', 'fixtures', 'bad-input');
const cases = <T>(family: string): T[] => YAML.parse(fs.readFileSync(path.join(CORPUS, family, 'cases.yaml'), 'utf8')) as T[];
const sha = (f: string): string => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');

interface Ctx {
  zk: ZkEnsemble;
  dir: string;
  cleanup: () => Promise<void>;
}
const test = anyTest as TestFn<Ctx>;

test.before(async (t) => {
  const { zk, cleanup } = await startZk();
  const tmp = tempDir('zkmig-bad-input-cli-');
  await withSession(zk.connectString, async (s) => {
    await s.mkdirp('/src/a/b');
    await s.create('/src/a/data', Buffer.from('payload'));
    await s.mkdirp('/dst');
  });
  t.context = { zk, dir: tmp.dir, cleanup: async () => (tmp.cleanup(), await cleanup()) };
});

test.after.always(async (t) => {
  await t.context.cleanup?.();
});

for (const c of cases<{ file: string; expect: string }>('inventory')) {
  test(`inventory corpus: ${c.file} exits 2 naming the problem, file unchanged`, async (t) => {
    const file = path.join(CORPUS, 'inventory', c.file);
    const before = sha(file);
    const r = await zkmig(['inventory', '-i', file]);
    t.is(r.code, 2, r.out);
    t.regex(r.err, /^Error: /);
    t.regex(r.err, new RegExp(c.expect));
    t.is(r.out, '', 'nothing printed on stdout');
    t.is(sha(file), before);
  });
}

test('agent config corpus: zkmig-agent --check-config exits 2 with one line naming the file and key', (t) => {
  for (const c of cases<{ file: string; insecure: boolean; expect: string }>('agent-config')) {
    const file = path.join(CORPUS, 'agent-config', c.file);
    const before = sha(file);
    const r = spawnSync(process.execPath, [AGENT_MAIN, '--config', file, '--check-config', ...(c.insecure ? ['--insecure'] : [])], { encoding: 'utf8', timeout: 20000 });
    t.is(r.status, 2, `${c.file}: ${r.stderr}`);
    t.regex(r.stderr, new RegExp(`^Error: agent config ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ${c.expect}`, 'm'), c.file);
    t.is(sha(file), before);
  }
});

test.serial('ZooKeeper endpoint corpus: exit 2 naming the endpoint, host, path or flag; the tree is unchanged', async (t) => {
  const zk = t.context.zk.connectString;
  const before = await fingerprint(zk, '/');
  for (const c of cases<{ argv: string[]; expect: string }>('zk-endpoint')) {
    const argv = c.argv.map((a) => a.replace('{zk}', zk));
    const r = await zkmig([...argv, '--connect-timeout', '3000']);
    t.is(r.code, 2, `${argv.join(' ')}: ${r.err}`);
    t.regex(r.err, new RegExp(c.expect), argv.join(' '));
  }
  const after = await fingerprint(zk, '/');
  t.is(after.digest, before.digest);
  t.is(after.maxMzxid, before.maxMzxid, 'not even a no-op write');
});

/** An inventory whose pegasus_shell is one of the corpus scripts. */
function shellInventory(dir: string, script: string): string {
  const inv = path.join(dir, `inv-${script}.ini`);
  fs.writeFileSync(
    inv,
    [
      '[all:vars]',
      `pegasus_shell=/bin/sh ${path.join(CORPUS, 'shell', script)} shell --cluster {meta_servers}`,
      'meta_config=/home/work/app/pegasus/meta/config.ini',
      'agent_ca_file=/ca.pem',
      'agent_cert_file=/c.pem',
      'agent_key_file=/c-key.pem',
      '[c1]',
      'm1 ansible_host=127.0.0.1',
      '',
    ].join('\n'),
  );
  return inv;
}

for (const c of cases<{ script: string; exit: number; expect: string }>('shell')) {
  test.serial(`shell corpus: ${c.script} makes zkmig health exit ${c.exit} naming the command, and only reads`, async (t) => {
    const inv = shellInventory(t.context.dir, c.script);
    // The scripts append each command they are sent to $MARK (the shell inherits this environment).
    const mark = path.join(t.context.dir, `${c.script}.mark`);
    process.env.MARK = mark;
    try {
      const r = await zkmig(['health', '--cluster', 'c1', '--no-agents', '-i', inv]);
      t.is(r.code, c.exit, r.out + r.err);
      t.regex(r.out, new RegExp(c.expect));
    } finally {
      delete process.env.MARK;
    }
    const sent = fs.existsSync(mark) ? fs.readFileSync(mark, 'utf8').trim().split('\n') : [];
    t.true(sent.includes('cluster_info'), sent.join(', '));
    for (const cmd of sent) t.regex(cmd, /^(cluster_info|nodes|ls|get_meta_level|server_info)\b/, 'only read commands were sent');
  });
}

const shell = (script: string, mark: string, timeoutMs = 20000): PegasusShell =>
  new PegasusShell({ argv: ['/bin/sh', path.join(CORPUS, 'shell', script), 'shell', '--cluster', '127.0.0.1:34601'], env: { ...process.env, MARK: mark }, timeoutMs, killGraceMs: 300 });

test('a shell that hangs: TimeoutError naming the shell command and the deadline (the kill itself: shell-driver.test.ts)', async (t) => {
  const mark = path.join(t.context.dir, 'hang.mark');
  const e = await t.throwsAsync(shell('hang.sh', mark, 1500).clusterInfo());
  t.true(isTimeout(e), String(e));
  t.regex(e?.message ?? '', /^Pegasus shell command "cluster_info": \/bin\/sh .*hang\.sh shell --cluster 127\.0\.0\.1:34601 did not finish within 1500 ms; killed it/);
});

test('invalid meta levels: an unknown level printed is InvalidInputError naming it; an unknown level asked is refused before the shell runs', async (t) => {
  const mark = path.join(t.context.dir, 'level.mark');
  const e = await t.throwsAsync(shell('unknown-meta-level.sh', mark).getMetaLevel());
  t.true(isInvalidInput(e), String(e));
  t.regex(e?.message ?? '', /unknown meta level fl_turbo \(expected one of/);
  fs.rmSync(mark, { force: true });
  for (const level of ['turbo', 'STEADY', '', 'steady; rm -rf /', 'fl_steady']) {
    const u = await t.throwsAsync(shell('unknown-meta-level.sh', mark).setMetaLevel(level as never));
    t.is((u as { code?: string } | undefined)?.code, 'USAGE', String(u));
    t.regex(u?.message ?? '', /meta level .* is not one of/);
  }
  t.false(fs.existsSync(mark), 'no set_meta_level was sent to the shell');
});
