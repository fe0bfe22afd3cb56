/**
 * Config edits through a real agent process over mutual TLS on loopback, on the stock Pegasus
 * config.ini: idempotency, check mode, the expected-sha256 guard, racing coordinators, backups and
 * restore, the parsed view and the audit trail.
 */
import anyTest, { TestFn } from 'ava';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AgentClient } from '../../coordinator/lib/agent-client';
import { isInvalidInput, isPermissionDenied, isPrecondition } from '../../shared/errors';
import { splitLines } from '../../shared/ini';
import { TestAgent, stopAllAgents } from '../harness/agent';
import { makeTestPki, TestPki } from '../harness/certs';
import { tempDir } from '../harness/tmp';
import { PEGASUS_CONFIG_FIXTURE } from '../harness/fixtures';

const FIXTURE = fs.readFileSync(PEGASUS_CONFIG_FIXTURE);
const sha = (b: Buffer | string): string => crypto.createHash('sha256').update(b).digest('hex');

interface Ctx {
  pki: TestPki;
  dir: string;
  agent: TestAgent;
  client: AgentClient;
  cleanup: () => void;
  /** A fresh copy of the fixture, managed by the agent. */
  files: string[];
}
const test = anyTest as TestFn<Ctx>;

let counter = 0;
function freshFile(t: { context: Ctx }): string {
  const f = t.context.files[counter++];
  if (!f) throw new Error('out of managed files');
  fs.writeFileSync(f, FIXTURE);
  fs.chmodSync(f, 0o640);
  return f;
}

test.before(async (t) => {
  const pki = makeTestPki();
  const tmp = tempDir('zkmig-agent-edit-');
  const dir = fs.realpathSync(tmp.dir);
  const files = Array.from({ length: 30 }, (_, i) => path.join(dir, `conf${i}`, 'config.ini'));
  for (const f of files) {
    fs.mkdirSync(path.dirname(f));
    fs.writeFileSync(f, FIXTURE);
  }
  const agent = await TestAgent.start({ dir, pki, files });
  t.context = { pki, dir, agent, client: agent.client(), files, cleanup: () => (tmp.cleanup(), pki.cleanup()) };
});

test.after.always(async (t) => {
  t.context.client?.close();
  await stopAllAgents();
  t.context.cleanup?.();
});

test.serial('changing [zookeeper] hosts_list changes exactly one line, backs up, and a second call changes nothing', async (t) => {
  const f = freshFile(t);
  const edits = [{ section: 'zookeeper', key: 'hosts_list', value: 'zk-new-1:2181,zk-new-2:2181,zk-new-3:2181' }];
  const r = await t.context.client.editConfig({ path: f, edits, expectedSha256: sha(FIXTURE) });
  t.true(r.changed);
  t.is(r.before_sha256, sha(FIXTURE));
  const after = fs.readFileSync(f);
  t.is(r.after_sha256, sha(after));
  const a = splitLines(FIXTURE.toString());
  const b = splitLines(after.toString());
  t.is(a.length, b.length);
  const differing = a.map((l, i) => (l.text + l.eol === (b[i]?.text ?? '') + (b[i]?.eol ?? '') ? -1 : i)).filter((i) => i >= 0);
  t.deepEqual(differing.map((i) => b[i]?.text), ['  hosts_list = zk-new-1:2181,zk-new-2:2181,zk-new-3:2181']);
  t.regex(r.diff?.unified ?? '', /^-  hosts_list = %\{zk\.server\.list\}$/m);
  t.regex(r.diff?.unified ?? '', /^\+  hosts_list = zk-new-1:2181,zk-new-2:2181,zk-new-3:2181$/m);
  // Backup: the old bytes, beside the file, with the file's mode.
  t.true(fs.readFileSync(r.backup_file).equals(FIXTURE));
  t.is(path.dirname(r.backup_file), path.dirname(f));
  t.is(fs.statSync(f).mode & 0o777, 0o640);
  t.is(fs.statSync(r.backup_file).mode & 0o777, 0o640);

  const again = await t.context.client.editConfig({ path: f, edits });
  t.false(again.changed);
  t.is(again.backup_file, '');
  t.is(again.diff?.unified, '');
  t.true(fs.readFileSync(f).equals(after));
  t.deepEqual(again.outcomes.map((o) => o.action), ['unchanged']);
});

test.serial('check mode returns the full diff and changed=true but leaves the file byte-identical, with no backup', async (t) => {
  const f = freshFile(t);
  const st = fs.statSync(f);
  const r = await t.context.client.editConfig({ path: f, edits: [{ section: 'zookeeper', key: 'hosts_list', value: 'dry:2181' }], checkMode: true });
  t.true(r.changed);
  t.true(r.check_mode);
  t.regex(r.diff?.unified ?? '', /^\+  hosts_list = dry:2181$/m);
  t.regex(r.msg, /would apply/);
  t.is(r.backup_file, '');
  t.true(fs.readFileSync(f).equals(FIXTURE));
  t.is(fs.statSync(f).mtimeMs, st.mtimeMs);
  t.deepEqual(fs.readdirSync(path.dirname(f)), ['config.ini']);
});

test.serial('a stale expected sha256 is FAILED_PRECONDITION and changes nothing', async (t) => {
  const f = freshFile(t);
  const e = await t.throwsAsync(t.context.client.editConfig({ path: f, edits: [{ section: 'zookeeper', key: 'hosts_list', value: 'x:1' }], expectedSha256: sha('something else') }));
  t.true(isPrecondition(e));
  t.is((e as { grpcCode?: number }).grpcCode, 9);
  t.regex(e?.message ?? '', /expected/);
  t.true(fs.readFileSync(f).equals(FIXTURE));
});

test.serial('two racing edits with the same expected sha256: exactly one succeeds, the other is FAILED_PRECONDITION', async (t) => {
  for (let round = 0; round < 5; round++) {
    const f = freshFile(t);
    const second = t.context.agent.client();
    const results = await Promise.allSettled([
      t.context.client.editConfig({ path: f, edits: [{ section: 'zookeeper', key: 'hosts_list', value: 'coordinator-a:2181' }], expectedSha256: sha(FIXTURE) }),
      second.editConfig({ path: f, edits: [{ section: 'zookeeper', key: 'hosts_list', value: 'coordinator-b:2181' }], expectedSha256: sha(FIXTURE) }),
    ]);
    second.close();
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    t.is(ok.length, 1, `round ${round}`);
    t.is(failed.length, 1);
    t.true(isPrecondition(failed[0]?.reason));
    const winner = (ok[0] as PromiseFulfilledResult<{ after_sha256: string }>).value;
    t.is(sha(fs.readFileSync(f)), winner.after_sha256);
  }
});

test.serial('restore puts a backup back (and backs up what it replaces); only this file\'s backups are accepted', async (t) => {
  const f = freshFile(t);
  const c = t.context.client;
  const e1 = await c.editConfig({ path: f, edits: [{ section: 'meta_server', key: 'recover_from_replica_server', value: 'true' }] });
  const e2 = await c.editConfig({ path: f, edits: [{ section: 'zookeeper', key: 'hosts_list', value: 'n:1' }] });
  const list = await c.listBackups(f);
  t.deepEqual(list.backups.map((b) => b.path), [e2.backup_file, e1.backup_file]);
  t.is(list.backups[1]?.sha256, sha(FIXTURE));

  const dry = await c.restoreConfig({ path: f, backupFile: e1.backup_file, checkMode: true });
  t.true(dry.changed);
  t.is(sha(fs.readFileSync(f)), e2.after_sha256);

  const r = await c.restoreConfig({ path: f, backupFile: e1.backup_file, expectedSha256: e2.after_sha256 });
  t.true(r.changed);
  t.true(fs.readFileSync(f).equals(FIXTURE));
  t.is(sha(fs.readFileSync(r.backup_file)), e2.after_sha256);
  t.false((await c.restoreConfig({ path: f, backupFile: e1.backup_file })).changed);

  const other = freshFile(t);
  t.true(isPermissionDenied(await t.throwsAsync(c.restoreConfig({ path: other, backupFile: e1.backup_file }))));
  t.true(isPermissionDenied(await t.throwsAsync(c.restoreConfig({ path: f, backupFile: '/etc/passwd' }))));
});

test.serial('ReadConfig returns the exact bytes, the sha256 and the parsed view', async (t) => {
  const f = freshFile(t);
  const r = await t.context.client.readConfig(f);
  t.true(Buffer.from(r.content).equals(FIXTURE));
  t.is(r.sha256, sha(FIXTURE));
  const zk = r.parsed?.sections.find((s) => s.name === 'zookeeper');
  t.is(zk?.entries.find((e) => e.key === 'hosts_list')?.value, '%{zk.server.list}');
  t.true(r.parsed?.commented.some((c) => c.key === 'toollets' && c.section === 'core'));
  t.true(r.parsed?.placeholders.includes('%{cluster.name}'));
  t.is(r.parsed?.eol, '\n');
});

test.serial('ReadConfig with only_keys leaves the content out and narrows the parse; bad key refs are refused', async (t) => {
  const f = freshFile(t);
  const c = t.context.client;
  const r = await c.readConfig(f, { onlyKeys: [{ section: 'zookeeper', key: 'hosts_list' }, { section: 'core', key: 'toollets' }, { section: 'nowhere', key: 'x' }] });
  t.is(r.content.length, 0);
  t.is(r.size, FIXTURE.length);
  t.is(r.sha256, sha(FIXTURE));
  const entries = r.parsed?.sections.flatMap((s) => s.entries.map((e) => `${e.section}.${e.key}`)) ?? [];
  t.deepEqual([...entries].sort(), ['core.toollets', 'zookeeper.hosts_list']);
  t.false(entries.includes('meta_server.server_list'));
  // Section headers all stay, so "no such section" stays distinguishable from "no such key".
  t.true((r.parsed?.sections.length ?? 0) > 5);
  t.deepEqual(r.parsed?.commented.map((e) => `${e.section}.${e.key}`), ['core.toollets']);
  t.true(r.parsed?.placeholders.includes('%{cluster.name}'));
  const bad = await t.throwsAsync(c.readConfig(f, { onlyKeys: [{ section: 'zookeeper', key: 'a\nb' }] }));
  t.true(isInvalidInput(bad));
  t.regex(bad?.message ?? '', /only_keys\[0\]\.key/);
  const tooMany = await t.throwsAsync(c.readConfig(f, { onlyKeys: Array.from({ length: 257 }, (_, i) => ({ section: 's', key: `k${i}` })) }));
  t.regex(tooMany?.message ?? '', /at most 256/);
  t.true(fs.readFileSync(f).equals(FIXTURE));
});

test.serial('CRLF and a missing final newline survive the round trip over the wire', async (t) => {
  const f = freshFile(t);
  const crlf = FIXTURE.toString().replace(/\n/g, '\r\n').replace(/\r\n$/, '');
  fs.writeFileSync(f, crlf);
  const r = await t.context.client.editConfig({ path: f, edits: [{ section: 'zookeeper', key: 'hosts_list', value: 'c:1' }] });
  t.true(r.changed);
  const after = fs.readFileSync(f, 'utf8');
  t.is(after, crlf.replace('  hosts_list = %{zk.server.list}\r\n', '  hosts_list = c:1\r\n'));
});

test.serial('facts report the file hash and the meta port and ZooKeeper settings read from it', async (t) => {
  const f = freshFile(t);
  const facts = await t.context.client.facts();
  const ff = facts.files.find((x) => x.path === f);
  t.is(ff?.sha256, sha(FIXTURE));
  t.is(ff?.size, FIXTURE.length);
  t.like(ff?.pegasus, { meta_port: 34601, zk_hosts_list: '%{zk.server.list}', zk_timeout_ms: 10000, cluster_root: '/pegasus/%{cluster.name}' });
  t.is(facts.agent_state, 'serving');
  t.is(facts.agent_pid, t.context.agent.proc?.pid ?? -1);
  t.true(facts.uptime_seconds > 0);
});

test.serial('every mutation is audited with the client certificate, the coordinator, and before/after hashes', async (t) => {
  const f = freshFile(t);
  const r = await t.context.client.editConfig({ path: f, edits: [{ section: 'zookeeper', key: 'timeout_ms', value: '20000' }] });
  const rec = t.context.agent.records().find((x) => x.event === 'mutation' && x.target === f && x.afterSha256 === r.after_sha256);
  t.truthy(rec);
  t.like(rec, { method: 'EditConfig', client: 'O=zkmig/CN=coordinator', coordinator: 'ava-test', beforeSha256: sha(FIXTURE), changed: true, result: 'ok', checkMode: false, requestId: r.request_id });
  t.is(rec?.backupFile, r.backup_file);
});

test.serial('bad edits are INVALID_ARGUMENT, duplicate keys and missing sections FAILED_PRECONDITION; nothing changes', async (t) => {
  const f = freshFile(t);
  const c = t.context.client;
  const bad = await t.throwsAsync(c.editConfig({ path: f, edits: [{ section: 'zookeeper', key: 'hosts_list', value: 'a\n[evil]' }] }));
  t.is((bad as { grpcCode?: number }).grpcCode, 3);
  fs.writeFileSync(f, '[s]\n  d = 1\n  d = 2\n');
  const dup = await t.throwsAsync(c.editConfig({ path: f, edits: [{ section: 's', key: 'd', value: '3' }] }));
  t.true(isPrecondition(dup));
  t.regex(dup?.message ?? '', /defined 2 times/);
  const missing = await t.throwsAsync(c.editConfig({ path: f, edits: [{ section: 'zookeeper', key: 'hosts_list', value: 'a:1' }] }));
  t.true(isPrecondition(missing));
  t.is(fs.readFileSync(f, 'utf8'), '[s]\n  d = 1\n  d = 2\n');
  t.true((await c.editConfig({ path: f, edits: [{ section: 's', key: 'd', value: '3', occurrence: 2 }] })).changed);
  t.is(fs.readFileSync(f, 'utf8'), '[s]\n  d = 1\n  d = 3\n');
});
