/**
 * `npm run reliability` on a small subset, as CI runs it: the real runner as a child process, one
 * sandbox fleet (two 3-member ZooKeeper quorums, agents over mutual TLS, simulated metas and
 * replica servers), six copy migrations each hit by a fault (or two) as its step starts. Every run
 * must keep the data, end healthy on one ensemble, never show two leaders, never go back to the
 * old tree past the point of no return, and repair a replica death afterwards; the outcomes are
 * pinned: an agent restarted by "systemd" and a restarted target ZooKeeper member are ridden out
 * (both used to roll the migration back; see coordinator/lib/migrate/transient.ts), a killed
 * coordinator is resumed to completion, a meta that cannot start rolls the run back, a replica
 * death on the new ensemble right after the point of no return is ridden out, and a coordinator
 * killed there together with a replica death is resumed to completion on the target. The full
 * matrix is `npm run reliability` (docs/reliability/fault-matrix.md).
 */
import anyTest, { TestFn } from 'ava';
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { tempDir } from '../harness/tmp';
import type { MatrixReport } from '../reliability/table';

interface Ctx {
  tmp: { dir: string; cleanup: () => void };
  child?: ChildProcess;
}
const test = anyTest as TestFn<Ctx>;
const RUNNER = path.join(__dirname, '..', 'reliability', 'run.js');

test.before((t) => {
  t.context.tmp = tempDir('zkmig-rel-matrix-');
});

test.after.always((t) => {
  // The runner's fleets are tied to it: killing it takes every ZooKeeper, agent and meta along.
  t.context.child?.kill('SIGKILL');
  t.context.tmp?.cleanup();
});

function runner(t: { context: Ctx }, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [RUNNER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.context.child = child;
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err })));
}

test.serial('six faulted copy migrations, two of them past the point of no return: data kept, healthy on one ensemble, never two leaders, never back on the stale tree, repairable; the JSON report says so', async (t) => {
  // Six migrations on one fleet, each followed by the repair check (a loaded 2-core machine needs more than ava's 3 m).
  t.timeout(15 * 60_000);
  const cells = [
    'copy/coordinator-kill/copy',
    'copy/agent-kill/update-configs',
    'copy/zk-target-restart/copy',
    'copy/meta-start-fails/start-leader',
    'copy/replica-kill/no-return',
    'copy/coordinator-kill@no-return+replica-kill@no-return',
  ];
  const r = await runner(t, ['--json', '--parallel', '1', '--dir', path.join(t.context.tmp.dir, 'fleets'), '--cell', cells.join(',')]);
  t.is(r.code, 0, r.err + r.out.slice(-4000));
  const rep = JSON.parse(r.out) as MatrixReport;
  t.is(rep.runs.length, 6);
  t.like(rep.summary, { runs: 6, ok: 6, failed: 0, dataLost: 0, unhealthy: 0, splitBrain: 0, staleRollback: 0, unexpected: 0, unrepairable: 0 });
  for (const run of rep.runs) {
    t.like(run, { dataLost: false, healthy: true, splitBrain: false, configsOk: true, oneEnsemble: true, noStaleRollback: true, repairable: true, oldTreeUnchanged: true, tablesKept: true, ok: true }, `${run.fault}@${run.step}: ${run.problems.join('; ')}`);
    t.deepEqual(run.problems, []);
  }
  const by = (fault: string, step: string): MatrixReport['runs'][number] => rep.runs.find((x) => x.fault === fault && x.step === step)!;
  t.like(by('coordinator-kill', 'copy'), { outcome: 'killed→resume→completed', endedOn: 'target', newTreeEqual: true, landed: 'during-step', pastNoReturn: true, asExpected: null });
  t.like(by('agent-kill', 'update-configs'), { outcome: 'completed', endedOn: 'target', newTreeEqual: true });
  t.like(by('zk-target-restart', 'copy'), { outcome: 'completed', endedOn: 'target', newTreeEqual: true });
  t.like(by('meta-start-fails', 'start-leader'), { outcome: 'rolled-back', endedOn: 'source', newTreeEqual: null, landed: 'during-step', pastNoReturn: false });
  // Past the point of no return: forward only, and the matrix's expectation for the cell holds.
  t.like(by('replica-kill', 'no-return'), { outcome: 'completed', endedOn: 'target', newTreeEqual: true, landed: 'during-step', pastNoReturn: true, asExpected: true });
  t.like(by('coordinator-kill+replica-kill', 'no-return+no-return'), { outcome: 'killed→resume→completed', endedOn: 'target', newTreeEqual: true, landed: 'during-step+during-step', pastNoReturn: true, asExpected: true });
});

test.serial('bad filters are refused before any fleet starts', async (t) => {
  const r = await runner(t, ['--fault', 'disk-full']);
  t.is(r.code, 2);
  t.regex(r.err, /unknown --fault "disk-full"; known: coordinator-kill/);
  const na = await runner(t, ['--cell', 'copy/replica-kill/copy']);
  t.is(na.code, 2);
  t.regex(na.err, /replica-kill is not run at copy step copy \(before the point of no return/);
  const two = await runner(t, ['--cell', 'copy/agent-kill@update-configs+disk-full@copy']);
  t.is(two.code, 2);
  t.regex(two.err, /unknown --fault "disk-full"/);
  const at = await runner(t, ['--cell', 'copy/agent-kill@nowhere']);
  t.is(at.code, 2);
  t.regex(at.err, /agent-kill is not run at copy step nowhere \(no step nowhere; copy steps: preflight, .*wait-leader, no-return, start-followers/);
  const job = await runner(t, ['--cell', 'copy/dup-during-copy/stop-leader']);
  t.is(job.code, 2);
  t.regex(job.err, /dup-during-copy is not run at copy step stop-leader \(only while the copy runs\)/);
});
