/**
 * Issue 9, load: one real agent (dist/agent/main.js, mutual TLS) under 50 concurrent EditConfig
 * calls on one file serialises them. Without a precondition, all 50 apply, one after the other:
 * the file ends with all 50 keys, parses, keeps every byte it had, and the responses' hashes form
 * one linear chain from the original to the final content, each step backed up. With the same
 * expected_sha256 on all 50, exactly one applies and 49 are refused with FAILED_PRECONDITION
 * naming the hash mismatch.
 */
import * as grpc from '@grpc/grpc-js';
import anyTest, { TestFn } from 'ava';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AgentClient } from '../../coordinator/lib/agent-client';
import { AgentRpcError } from '../../shared/errors';
import type { ConfigChangeResponse__Output } from '../../shared/generated/zkmig/agent/v1/ConfigChangeResponse';
import { applyEdits, IniEdit, iniView, parseIni } from '../../shared/ini';
import { stopAllAgents, TestAgent } from '../harness/agent';
import { makeTestPki, TestPki } from '../harness/certs';
import { summarise } from '../harness/latency';
import { META_FIXTURE, renderMetaConfig } from '../harness/load-fleet';
import { tempDir } from '../harness/tmp';

interface Ctx {
  pki: TestPki;
  tmp: { dir: string; cleanup: () => void };
  agent: TestAgent;
  clients: AgentClient[];
  free: string;
  guarded: string;
  original: string;
}

const test = anyTest as TestFn<Ctx>;
const N = 50;
/** One connection per request, as from 50 coordinators, rather than one connection multiplexing 50 streams. */
const CLIENTS = 50;
const sha256 = (b: Buffer | string): string => crypto.createHash('sha256').update(b).digest('hex');
const keyOf = (i: number): string => `zkmig_load_key_${String(i).padStart(2, '0')}`;
const editOf = (i: number): IniEdit => ({ section: 'meta_server', key: keyOf(i), value: `value-${i}` });

test.before(async (t) => {
  const tmp = tempDir('zkmig-load-edits-');
  const pki = makeTestPki();
  t.context.tmp = tmp;
  t.context.pki = pki;
  const dir = fs.realpathSync(tmp.dir);
  t.context.original = renderMetaConfig(fs.readFileSync(META_FIXTURE!, 'utf8'), 'edits', '127.0.0.1:34601,127.0.0.1:34602');
  t.context.free = path.join(dir, 'free.ini');
  t.context.guarded = path.join(dir, 'guarded.ini');
  for (const f of [t.context.free, t.context.guarded]) fs.writeFileSync(f, t.context.original);
  // Keep every backup, so that each step of the chain can be checked against its backup.
  t.context.agent = await TestAgent.start({ dir, pki, files: [t.context.free, t.context.guarded], extra: { backups: { keep: 100 } } });
  t.context.clients = Array.from({ length: CLIENTS }, () => t.context.agent.client());
});

test.after.always(async (t) => {
  for (const c of t.context.clients ?? []) c.close();
  await stopAllAgents();
  t.context.pki?.cleanup();
  t.context.tmp?.cleanup();
});

/** Fire all edits at once (no await in between) and time each. */
async function fire(clients: AgentClient[], file: string, expectedSha256?: string): Promise<{ settled: PromiseSettledResult<ConfigChangeResponse__Output>[]; ms: number[] }> {
  const ms: number[] = new Array(N).fill(0);
  const settled = await Promise.allSettled(
    Array.from({ length: N }, async (_, i) => {
      const t0 = Date.now();
      try {
        return await clients[i % clients.length]!.editConfig({ path: file, edits: [editOf(i)], ...(expectedSha256 ? { expectedSha256 } : {}) });
      } finally {
        ms[i] = Date.now() - t0;
      }
    }),
  );
  return { settled, ms };
}

function backupsOf(file: string): string[] {
  return fs.readdirSync(path.dirname(file)).filter((n) => n.startsWith(`${path.basename(file)}.`) && n.endsWith('.zkmig-backup'));
}

test('50 concurrent edits of one file without a precondition: all apply, serialised, nothing lost', async (t) => {
  const { clients, free, original } = t.context;
  const { settled, ms } = await fire(clients, free);
  t.log(`50 concurrent edits: per-call ms ${JSON.stringify(summarise(ms))}`);
  const rejected = settled.flatMap((s, i) => (s.status === 'rejected' ? [`${keyOf(i)}: ${(s.reason as Error).message}`] : []));
  t.deepEqual(rejected, [], 'every edit succeeded');
  const res = settled.map((s) => (s as PromiseFulfilledResult<ConfigChangeResponse__Output>).value);
  t.true(res.every((r) => r.changed && !r.check_mode && r.backup_file !== ''), 'each one wrote, with a backup');

  const final = fs.readFileSync(free, 'utf8');
  // Parses, with no problem the original did not have, and holds all 50 keys with their values.
  const view = iniView(parseIni(final));
  t.deepEqual(view.problems, iniView(parseIni(original)).problems);
  const meta = view.sections.find((s) => s.name === 'meta_server')!;
  for (let i = 0; i < N; i++) t.deepEqual(meta.entries.filter((e) => e.key === keyOf(i)).map((e) => e.value), [`value-${i}`], `${keyOf(i)} present once`);
  // Every byte that no edit touched is still there, in order: remove the 50 added lines and the original remains.
  const added = /^[ \t]*zkmig_load_key_\d\d = value-\d+\r?\n/;
  const kept = final.split(/(?<=\n)/).filter((l) => !added.test(l)).join('');
  t.is(kept, original, 'the file minus the 50 added lines is the original, byte for byte');

  // One linear chain: original → ... → final, each response's before-hash the previous one's after-hash.
  const byBefore = new Map<string, ConfigChangeResponse__Output>();
  for (const r of res) {
    t.false(byBefore.has(r.before_sha256), `two edits started from the same content ${r.before_sha256}: not serialised`);
    byBefore.set(r.before_sha256, r);
  }
  let at = sha256(original);
  for (let step = 0; step < N; step++) {
    const r = byBefore.get(at);
    if (!r) return t.fail(`the chain breaks after ${step} steps at ${at}`);
    // The backup of each step holds exactly the content that step started from.
    t.is(sha256(fs.readFileSync(r.backup_file)), r.before_sha256, `backup ${r.backup_file}`);
    at = r.after_sha256;
  }
  t.is(at, sha256(final), 'the chain ends at the file as it is');
  t.is(backupsOf(free).length, N, 'one backup per write');
});

test('50 concurrent edits carrying the same expected_sha256: exactly one applies, 49 refused naming the mismatch', async (t) => {
  const { clients, guarded, original } = t.context;
  const sha = sha256(original);
  const { settled, ms } = await fire(clients, guarded, sha);
  t.log(`50 concurrent guarded edits: per-call ms ${JSON.stringify(summarise(ms))}`);
  const won = settled.flatMap((s, i) => (s.status === 'fulfilled' ? [i] : []));
  t.is(won.length, 1, `exactly one edit applied, got ${won.length}`);
  const winner = won[0]!;
  const ok = (settled[winner] as PromiseFulfilledResult<ConfigChangeResponse__Output>).value;
  t.true(ok.changed);
  t.is(ok.before_sha256, sha);

  for (const [i, s] of settled.entries()) {
    if (i === winner) continue;
    const e = (s as PromiseRejectedResult).reason as AgentRpcError;
    t.true(e instanceof AgentRpcError, `${keyOf(i)}: ${String(e)}`);
    t.is(e.grpcCode, grpc.status.FAILED_PRECONDITION, `${keyOf(i)}: ${e.message}`);
    t.is(e.code, 'PRECONDITION');
    t.regex(e.message, new RegExp(`its sha256 is ${ok.after_sha256}, the request expected ${sha}`), `${keyOf(i)} names both hashes`);
  }
  // The file is the original plus the winner's edit, and nothing else.
  const final = fs.readFileSync(guarded, 'utf8');
  t.is(final, applyEdits(original, [editOf(winner)]).content);
  t.is(sha256(final), ok.after_sha256);
  t.is(backupsOf(guarded).length, 1, 'refused edits made no backup');
});
