/**
 * `resume`, `rollback` and `status` read a run's parameters back from its journal, and validate
 * them as the CLI's are: a journal edited by hand is refused with the field named, exit 2, and
 * nothing is written (not even to the journal).
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../coordinator/cli';
import type { CliIO } from '../../coordinator/lib/io';
import { Journal } from '../../coordinator/lib/migrate/journal';
import { paramsFromJournal, paramsToJournal, resolveParams } from '../../coordinator/lib/migrate/params';
import { resume } from '../../coordinator/lib/migrate/run';
import { runFile } from '../../coordinator/lib/migrate/state-dir';
import { isInvalidInput } from '../../shared/errors';
import { tempDir } from '../harness/tmp';

const params = resolveParams({ inventory: '/nonexistent/inventory.yml', cluster: 'c1', to: 'zk9:2181', method: 'copy' });

async function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = { out: (t) => void (out += t), err: (t) => void (err += t), isTTY: false, env, confirm: async () => false };
  return { code: await main(args, io), out, err };
}

/** A journal as `migrate` writes it, the run-start params patched. */
function journalWith(dir: string, run: string, patch: (p: Record<string, unknown>) => Record<string, unknown>): string {
  const file = runFile(dir, run);
  const j = Journal.create(file);
  j.append({ kind: 'run-start', run, params: patch(paramsToJournal(params)) });
  j.append({ kind: 'step-intent', step: 'preflight', attempt: 1 });
  j.append({ kind: 'step-failed', step: 'preflight', error: 'x', code: 'UNAVAILABLE' });
  j.append({ kind: 'run-end', outcome: 'failed' });
  j.close();
  return file;
}

test('the journal round-trips the parameters; an older journal gets the defaults of what it lacks', (t) => {
  t.deepEqual(paramsFromJournal(JSON.parse(JSON.stringify(paramsToJournal(params))), 'f'), params);
  const { stayStoppedMs: _, ...old } = paramsToJournal(params);
  t.is(paramsFromJournal(old, 'f').stayStoppedMs, params.stayStoppedMs);
  // A copy run journaled before the pre-copy existed resumes on the steps it started with.
  t.true(params.precopy, 'the pre-copy is the default');
  const { precopy: _p, precopyThreshold: _t, precopyTimeoutMs: _o, verify: _v, ...older } = paramsToJournal(params);
  t.false(paramsFromJournal(older, 'f').precopy);
  t.true(paramsFromJournal(paramsToJournal(params), 'f').precopy);
});

test('tampered parameters are refused with the field named', (t) => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ method: 'zkcopy' }, /--method must be one of copy, recover/],
    [{ to: 'zk9:2181/other' }, /--to "zk9:2181\/other" names a path/],
    [{ maxCopyAttempts: '3' }, /maxCopyAttempts must be a number, got "3"/],
    [{ leaderTimeoutMs: -1 }, /leaderTimeoutMs must be a positive number/],
    [{ dryRun: 'false' }, /dryRun must be a boolean/],
    [{ cluster: 7 }, /cluster must be a string, got 7/],
    [{ onSourceChange: 'ignore' }, /onSourceChange must be recopy or abort/],
    [{ precopyThreshold: 0 }, /precopyThreshold must be a whole number of changes >= 1, got 0/],
    [{ precopy: 'yes' }, /precopy must be a boolean/],
    [{ verify: 'some' }, /verify must be delta or full/],
    [{ sneaky: true }, /unknown parameter\(s\) sneaky/],
  ];
  for (const [patch, re] of bad) {
    const e = t.throws(() => paramsFromJournal({ ...paramsToJournal(params), ...patch }, '/s/r.jsonl'));
    t.true(isInvalidInput(e), `${JSON.stringify(patch)}: ${e?.message}`);
    t.regex(e!.message, re);
    t.regex(e!.message, /run journal \/s\/r\.jsonl/);
  }
});

test('resume, rollback and status refuse a tampered journal: exit 2, the field named, the journal untouched', async (t) => {
  const state = tempDir('zkmig-resume-params-');
  try {
    const run = 'c1-20260101T000000Z-abcd';
    const file = journalWith(state.dir, run, (p) => ({ ...p, method: 'recovr' }));
    const before = fs.readFileSync(file);
    const env = { ZKMIG_STATE_DIR: state.dir };
    for (const args of [['resume', run, '--yes'], ['rollback', run, '--yes'], ['status', run]]) {
      const r = await cli(args, env);
      t.is(r.code, 2, args.join(' '));
      t.regex(r.err, /run journal .* its run-start parameters do not validate: --method must be one of copy, recover, reconfig, got "recovr"/, args.join(' '));
    }
    await t.throwsAsync(resume(run, { stateDir: state.dir, env: {}, emit: () => undefined }), { message: /--method must be one of/ });
    t.deepEqual(fs.readFileSync(file), before, 'nothing was appended to the journal');
    t.deepEqual(fs.readdirSync(state.dir), [path.basename(file)], 'no side file was written');
  } finally {
    state.cleanup();
  }
});

test('an intact journal passes the validation (resume goes on to read the inventory)', async (t) => {
  const state = tempDir('zkmig-resume-params-');
  try {
    const run = 'c1-20260101T000000Z-abce';
    journalWith(state.dir, run, (p) => p);
    const r = await cli(['resume', run, '--yes'], { ZKMIG_STATE_DIR: state.dir });
    t.is(r.code, 2);
    t.regex(r.err, /inventory \/nonexistent\/inventory.yml does not exist/);
  } finally {
    state.cleanup();
  }
});
