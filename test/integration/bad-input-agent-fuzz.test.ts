/**
 * The INI fuzzer through a real agent process (issue 9): a few hundred random and mutated config
 * files, each edited over mutual TLS with a random edit (some in check mode, some malformed, some
 * files not UTF-8). The agent never crashes (still SERVING at the end, same process), every
 * refusal is INVALID_ARGUMENT or FAILED_PRECONDITION with a message and leaves the file's bytes
 * as they were, and every write is exactly what the pure editor computes, which the unit fuzz
 * proves parses back to the same view with the edit applied.
 */
import anyTest, { TestFn } from 'ava';
import * as grpc from '@grpc/grpc-js';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AgentClient } from '../../coordinator/lib/agent-client';
import { InvalidInputError, PreconditionError } from '../../shared/errors';
import { applyEdits, IniEdit } from '../../shared/ini';
import { stopAllAgents, TestAgent } from '../harness/agent';
import { makeTestPki, TestPki } from '../harness/certs';
import { tempDir } from '../harness/tmp';
import { checkCase, checkSequence, mutate, randomEdit, Rng, seedCorpus } from '../fuzz/ini-fuzz';

const SEED = Number(process.env.ZKMIG_FUZZ_SEED ?? 9009);
const ITERATIONS = Number(process.env.ZKMIG_AGENT_FUZZ_ITERATIONS ?? 300);
const MAX_FILE = 256 * 1024;
const sha = (b: Buffer): string => crypto.createHash('sha256').update(b).digest('hex');
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

interface Ctx {
  pki: TestPki;
  file: string;
  agent: TestAgent;
  client: AgentClient;
  cleanup: () => void;
}
const test = anyTest as TestFn<Ctx>;

test.before(async (t) => {
  const pki = makeTestPki();
  const tmp = tempDir('zkmig-agent-fuzz-');
  const dir = fs.realpathSync(tmp.dir);
  const file = path.join(dir, 'config.ini');
  fs.writeFileSync(file, '[zookeeper]\n');
  const agent = await TestAgent.start({ dir, pki, files: [file], token: 't', extra: { limits: { maxFileBytes: MAX_FILE } } });
  t.context = { pki, file, agent, client: agent.client({ retry: { maxAttempts: 1 } }), cleanup: () => (tmp.cleanup(), pki.cleanup()) };
});

test.after.always(async (t) => {
  t.context.client?.close();
  await stopAllAgents();
  t.context.cleanup?.();
});

test(`${ITERATIONS} random files and edits over RPC (seed ${SEED}): no crash, no bad write, typed refusals`, async (t) => {
  const { client, file, agent } = t.context;
  const pid = agent.proc?.pid;
  const rng = new Rng(SEED);
  const corpus = seedCorpus();
  const tally = { written: 0, checkMode: 0, unchanged: 0, invalidArgument: 0, failedPrecondition: 0 };
  for (let i = 0; i < ITERATIONS; i++) {
    const where = `seed ${SEED} iteration ${i}`;
    let text = rng.pick(corpus);
    for (let m = rng.int(4); m > 0; m--) text = mutate(rng, text);
    const bytes = Buffer.from(text, 'utf8');
    // Some files with a byte that breaks UTF-8 (the agent must refuse them untouched).
    if (rng.chance(0.08) && bytes.length > 0) bytes[rng.int(bytes.length)] = 0x80 + rng.int(0x40);
    fs.writeFileSync(file, bytes);
    let decoded: string | null = null;
    try {
      decoded = strict.decode(bytes);
    } catch {
      decoded = null;
    }
    const edits: IniEdit[] = [randomEdit(rng, decoded ?? text)];
    if (rng.chance(0.2)) edits.push(randomEdit(rng, decoded ?? text));
    const checkMode = rng.chance(0.3);

    // What the pure editor says (its properties are checked here too, on the file's real text).
    let expected: Buffer | 'refused' = 'refused';
    if (decoded !== null) {
      // The file the agent writes must be this; these checks prove it parses back to the view with
      // the edits applied, with every untouched byte kept.
      const f = edits.length === 1 ? checkCase(decoded, edits[0] as IniEdit).failure : checkSequence(decoded, edits);
      if (f) t.fail(`${where}: editor property broken: ${f.reason}`);
      try {
        expected = Buffer.from(applyEdits(decoded, edits).content, 'utf8');
      } catch (e) {
        if (!(e instanceof InvalidInputError || e instanceof PreconditionError)) t.fail(`${where}: editor threw ${String(e)}`);
      }
      if (expected !== 'refused' && expected.length > MAX_FILE) expected = 'refused';
    }

    let res: Awaited<ReturnType<AgentClient['editConfig']>> | undefined;
    let err: { grpcCode?: number; message: string } | undefined;
    try {
      res = await client.editConfig({ path: file, edits, checkMode });
    } catch (e) {
      err = e as { grpcCode?: number; message: string };
    }
    const after = fs.readFileSync(file);
    if (err) {
      if (err.grpcCode !== grpc.status.INVALID_ARGUMENT && err.grpcCode !== grpc.status.FAILED_PRECONDITION) {
        t.fail(`${where}: unexpected status ${err.grpcCode}: ${err.message}`);
        return;
      }
      if (err.grpcCode === grpc.status.INVALID_ARGUMENT) tally.invalidArgument++;
      else tally.failedPrecondition++;
      if (!/: (INVALID_ARGUMENT|FAILED_PRECONDITION): \S/.test(err.message)) t.fail(`${where}: refusal without a message: ${err.message}`);
      if (!after.equals(bytes)) t.fail(`${where}: a refused edit changed the file`);
      if (expected !== 'refused') t.fail(`${where}: the agent refused what the editor accepts: ${err.message}`);
      continue;
    }
    if (expected === 'refused') {
      t.fail(`${where}: the agent accepted what the editor refuses (${JSON.stringify(edits)})`);
      return;
    }
    if (res?.after_sha256 !== sha(expected)) t.fail(`${where}: the agent's after_sha256 is not the editor's result`);
    if (checkMode || !res?.changed) {
      if (!after.equals(bytes)) t.fail(`${where}: check mode or a no-op changed the file`);
      if (checkMode) tally.checkMode++;
      else tally.unchanged++;
    } else {
      if (!after.equals(expected)) t.fail(`${where}: the file written is not the editor's result`);
      tally.written++;
    }
  }
  t.log(JSON.stringify(tally));
  t.true(tally.written > ITERATIONS / 5, JSON.stringify(tally));
  t.true(tally.invalidArgument > 0 && tally.failedPrecondition > 0, JSON.stringify(tally));
  t.is(await client.health(), 'SERVING');
  t.is(agent.proc?.pid, pid);
  t.is(agent.proc?.exitCode, null, 'the agent never exited');
});
