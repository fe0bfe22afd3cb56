/**
 * Bad input sent to a real agent over mutual TLS (issue 9): malformed edits (NUL bytes, line-break
 * injection in sections, keys and values, `=` in a section name), too many edits, edits that would
 * grow the file past the limit, NUL in a path, and the config.ini corpus of
 * test/fixtures/bad-input/config-ini (files the agent must refuse, files it must edit losslessly).
 * Each refusal: the right gRPC status, a message naming the problem, the file's sha256 unchanged,
 * the agent still SERVING. TLS, token, `..`, symlink and allowlist cases are in agent-security.test.ts.
 */
import anyTest, { ExecutionContext, TestFn } from 'ava';
import * as grpc from '@grpc/grpc-js';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { AgentClient } from '../../coordinator/lib/agent-client';
import type { IniEdit } from '../../shared/ini';
import { stopAllAgents, TestAgent } from '../harness/agent';
import { makeTestPki, REPO_ROOT, TestPki } from '../harness/certs';
import { tempDir } from '../harness/tmp';
import { PEGASUS_CONFIG_FIXTURE } from '../harness/fixtures';

const CORPUS = path.join(REPO_ROOT, 'test', 'fixtures', 'bad-input', 'config-ini');
const FIXTURE = fs.readFileSync(PEGASUS_CONFIG_FIXTURE);
const MAX_FILE = 64 * 1024;
const MAX_EDITS = 20;
const sha = (f: string): string => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');

interface CorpusCase {
  file: string;
  edit: IniEdit;
  status?: keyof typeof grpc.status;
  expect?: string;
  line?: string;
}
const CASES = YAML.parse(fs.readFileSync(path.join(CORPUS, 'cases.yaml'), 'utf8')) as CorpusCase[];

interface Ctx {
  pki: TestPki;
  dir: string;
  conf: string;
  big: string;
  /** Corpus file name → its copy managed by the agent. */
  copies: Map<string, string>;
  agent: TestAgent;
  client: AgentClient;
  cleanup: () => void;
}
const test = anyTest as TestFn<Ctx>;

test.before(async (t) => {
  const pki = makeTestPki();
  const tmp = tempDir('zkmig-bad-input-agent-');
  const dir = fs.realpathSync(tmp.dir);
  const conf = path.join(dir, 'config.ini');
  fs.writeFileSync(conf, FIXTURE);
  const big = path.join(dir, 'big.ini');
  fs.writeFileSync(big, `[zookeeper]\nhosts_list = zk1:2181\n${'; padding\n'.repeat((MAX_FILE - 100) / 10)}`);
  const copies = new Map<string, string>();
  for (const c of CASES) {
    const p = path.join(dir, 'corpus', c.file);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.copyFileSync(path.join(CORPUS, c.file), p);
    copies.set(c.file, p);
  }
  const agent = await TestAgent.start({
    dir,
    pki,
    files: [conf, big, ...copies.values()],
    token: 'tok',
    extra: { limits: { maxFileBytes: MAX_FILE, maxEditsPerRequest: MAX_EDITS } },
  });
  t.context = { pki, dir, conf, big, copies, agent, client: agent.client({ retry: { maxAttempts: 1 } }), cleanup: () => (tmp.cleanup(), pki.cleanup()) };
});

test.after.always(async (t) => {
  t.context.client?.close();
  await stopAllAgents();
  t.context.cleanup?.();
});

/** The call must fail with `status` and a message matching `words`; every managed file unchanged; the agent still serving. */
async function refused(t: ExecutionContext<Ctx>, call: () => Promise<unknown>, status: grpc.status, words: RegExp): Promise<void> {
  const files = [t.context.conf, t.context.big, ...t.context.copies.values()];
  const before = files.map(sha);
  const err = (await t.throwsAsync(call())) as { grpcCode?: number; message: string } | undefined;
  t.is(err?.grpcCode, status, `${err?.message}`);
  t.regex(err?.message ?? '', words);
  t.deepEqual(files.map(sha), before, 'no file changed');
  t.is(await t.context.client.health(), 'SERVING');
}

const edit = (e: Partial<IniEdit>): IniEdit => ({ section: 'zookeeper', key: 'hosts_list', value: 'zk9:2181', ...e });

const MALFORMED: [string, IniEdit, RegExp][] = [
  ['NUL in the value', edit({ value: 'zk9:2181\0evil' }), /edits\[0\]\.value contains a line break or NUL/],
  ['newline injection in the value', edit({ value: 'zk9:2181\n[meta_server]\ncluster_root = /evil' }), /edits\[0\]\.value contains a line break or NUL/],
  ['CR in the value', edit({ value: 'zk9:2181\rx' }), /edits\[0\]\.value contains a line break or NUL/],
  ['NUL in the key', edit({ key: 'hosts_list\0x' }), /edits\[0\]\.key "hosts_list\0x" contains/],
  ['newline injection in the key', edit({ key: 'x\nhosts_list' }), /edits\[0\]\.key "x\nhosts_list" contains .*line break/],
  ['"=" in the key', edit({ key: 'hosts_list=evil' }), /edits\[0\]\.key "hosts_list=evil" contains/],
  ['newline injection in the section', edit({ section: 'zookeeper]\n[evil', createSection: true }), /edits\[0\]\.section "zookeeper\]\n\[evil" has surrounding spaces or one of \]/],
  ['NUL in the section', edit({ section: 'zoo\0keeper' }), /edits\[0\]\.section .* or a line break/],
  // Bug found by the fuzzer: `[a=b]` is not a section header to Pegasus, so the new key landed in
  // the section before it.
  ['"=" in a new section name', edit({ section: 'a=b', createSection: true }), /edits\[0\]\.section "a=b" has surrounding spaces or one of \] ; # =/],
  ['leading space in the value', edit({ value: ' zk9:2181' }), /edits\[0\]\.value has leading or trailing whitespace/],
  ['an empty section', edit({ section: '' }), /edits\[0\]\.section is empty/],
];

for (const [name, e, words] of MALFORMED) {
  test.serial(`malformed edit: ${name} is INVALID_ARGUMENT naming the field, nothing written`, async (t) => {
    await refused(t, () => t.context.client.editConfig({ path: t.context.conf, edits: [e] }), grpc.status.INVALID_ARGUMENT, words);
  });
}

test.serial('a malformed edit among good ones rejects the whole request (all or nothing)', async (t) => {
  const good = edit({ key: 'timeout_ms', value: '1' });
  await refused(t, () => t.context.client.editConfig({ path: t.context.conf, edits: [good, edit({ value: 'a\nb' })] }), grpc.status.INVALID_ARGUMENT, /edits\[1\]\.value contains a line break/);
});

test.serial('a NUL byte in the path is INVALID_ARGUMENT', async (t) => {
  await refused(t, () => t.context.client.editConfig({ path: `${t.context.conf}\0.bak`, edits: [edit({})] }), grpc.status.INVALID_ARGUMENT, /path contains a NUL byte/);
  await refused(t, () => t.context.client.readConfig(`${t.context.conf}\0`), grpc.status.INVALID_ARGUMENT, /path contains a NUL byte/);
});

test.serial('more edits than limits.maxEditsPerRequest is INVALID_ARGUMENT naming the limit', async (t) => {
  const edits = Array.from({ length: MAX_EDITS + 1 }, (_, i) => edit({ key: `k${i}`, value: 'v' }));
  await refused(t, () => t.context.client.editConfig({ path: t.context.conf, edits }), grpc.status.INVALID_ARGUMENT, new RegExp(`${MAX_EDITS + 1} edits in one call, over limits\\.maxEditsPerRequest \\(${MAX_EDITS}\\)`));
});

test.serial('edits that would grow the file past limits.maxFileBytes are refused (the agent would lock itself out)', async (t) => {
  const { client, big } = t.context;
  await refused(t, () => client.editConfig({ path: big, edits: [edit({ value: 'z'.repeat(200) })] }), grpc.status.INVALID_ARGUMENT, /the edits would make .*big\.ini \d+ bytes, over limits\.maxFileBytes \(65536\); nothing written/);
  // The file stays readable and editable within the limit.
  const r = await client.readConfig(big);
  t.is(r.sha256, sha(big));
  const ok = await client.editConfig({ path: big, edits: [edit({ value: 'zk2:2181' })], checkMode: true });
  t.true(ok.changed);
});

test.serial('a file already over limits.maxFileBytes is refused for read and edit, naming the size and the limit', async (t) => {
  const { client, big } = t.context;
  const orig = fs.readFileSync(big);
  fs.appendFileSync(big, 'x'.repeat(200));
  try {
    await refused(t, () => client.editConfig({ path: big, edits: [edit({})] }), grpc.status.FAILED_PRECONDITION, /big\.ini is \d+ bytes, over limits\.maxFileBytes \(65536\)/);
    await refused(t, () => client.readConfig(big), grpc.status.FAILED_PRECONDITION, /over limits\.maxFileBytes/);
  } finally {
    fs.writeFileSync(big, orig);
  }
});

for (const c of CASES) {
  if (c.status) {
    test.serial(`config.ini corpus: ${c.file} is refused (${c.status}), unchanged`, async (t) => {
      const p = t.context.copies.get(c.file) as string;
      await refused(t, () => t.context.client.editConfig({ path: p, edits: [c.edit] }), grpc.status[c.status as keyof typeof grpc.status] as grpc.status, new RegExp(c.expect ?? '.'));
      // Check mode refuses the same way: nothing to plan against either.
      await refused(t, () => t.context.client.editConfig({ path: p, edits: [c.edit], checkMode: true }), grpc.status[c.status as keyof typeof grpc.status] as grpc.status, new RegExp(c.expect ?? '.'));
    });
  } else {
    test.serial(`config.ini corpus: ${c.file} is edited losslessly (only the edited line changes)`, async (t) => {
      const p = t.context.copies.get(c.file) as string;
      const before = fs.readFileSync(p, 'utf8');
      const r = await t.context.client.editConfig({ path: p, edits: [c.edit] });
      t.true(r.changed);
      const lines = before.split(/(?<=\n)/);
      const at = lines.findIndex((l) => /^[\uFEFF\s]*hosts_list\s*=/.test(l));
      lines[at] = c.line as string;
      t.is(fs.readFileSync(p, 'utf8'), lines.join(''));
      // It reads back with the value set, and the same edit again is a no-op.
      const back = await t.context.client.readConfig(p);
      const v = back.parsed?.sections.find((s) => s.name === c.edit.section)?.entries.find((e) => e.key === c.edit.key)?.value;
      t.is(v, c.edit.value);
      t.false((await t.context.client.editConfig({ path: p, edits: [c.edit] })).changed);
    });
  }
}

test.serial('after a burst of every rejected RPC (TLS, token, "..", NUL, service, size), the same agent process still serves and no file changed', async (t) => {
  const { agent, pki, conf } = t.context;
  const pid = agent.proc?.pid;
  const files = [conf, t.context.big, ...t.context.copies.values()];
  const before = files.map(sha);
  const attempts: [string, AgentClient, (c: AgentClient) => Promise<unknown>, RegExp][] = [
    ['wrong CA', agent.client({ cert: pki.intruder, retry: { maxAttempts: 1 } }), (c) => c.editConfig({ path: conf, edits: [edit({})] }), /UNAVAILABLE/],
    ['expired certificate', agent.client({ cert: pki.expired, retry: { maxAttempts: 1 } }), (c) => c.editConfig({ path: conf, edits: [edit({})] }), /UNAVAILABLE/],
    ['missing token', agent.client({ token: null, retry: { maxAttempts: 1 } }), (c) => c.editConfig({ path: conf, edits: [edit({})] }), /UNAUTHENTICATED: missing or wrong bearer token/],
    ['wrong token', agent.client({ token: 'nope', retry: { maxAttempts: 1 } }), (c) => c.editConfig({ path: conf, edits: [edit({})] }), /UNAUTHENTICATED: missing or wrong bearer token/],
    ['".." path', t.context.client, (c) => c.editConfig({ path: `${path.dirname(conf)}/x/../config.ini`, edits: [edit({})] }), /PERMISSION_DENIED: .*contains "\.\."/],
    ['NUL path', t.context.client, (c) => c.readConfig(`${conf}\0`), /INVALID_ARGUMENT: path contains a NUL byte/],
    ['service not in the allowlist', t.context.client, (c) => c.controlService('sshd', 'stop'), /PERMISSION_DENIED/],
    ['request over limits.maxRequestBytes', t.context.client, (c) => c.editConfig({ path: conf, edits: [edit({ value: 'x'.repeat(2 << 20) })] }), /RESOURCE_EXHAUSTED/],
  ];
  for (let round = 0; round < 3; round++) {
    for (const [name, client, call, words] of attempts) {
      const e = await t.throwsAsync(call(client), undefined, name);
      t.regex(e?.message ?? '', words, name);
    }
  }
  for (const [, client] of attempts) if (client !== t.context.client) client.close();
  t.deepEqual(files.map(sha), before);
  t.is(await t.context.client.health(), 'SERVING');
  t.is(agent.proc?.pid, pid);
  t.is(agent.proc?.exitCode, null);
  // And it still does real work.
  const r = await t.context.client.editConfig({ path: conf, edits: [edit({ value: 'zk7:2181' })], checkMode: true });
  t.true(r.changed);
});
