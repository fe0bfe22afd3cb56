/**
 * `npm run reliability` on a small subset, as CI runs it: the real runner as a child process, one
 * sandbox fleet (two 3-member ZooKeeper quorums, agents over mutual TLS, simulated metas and
 * replica servers), four copy migrations each hit by a fault as its step starts. Every run must keep
 * the data, end healthy on one ensemble and never show two leaders; the outcomes are pinned:
 * an agent restarted by "systemd" and a restarted target ZooKeeper member are ridden out (both used
 * to roll the migration back; see coordinator/lib/migrate/transient.ts), a killed coordinator is
 * resumed to completion, a meta that cannot start rolls the run back. The full matrix is
 * `npm run reliability` (docs/reliability/fault-matrix.md).
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

test.serial('four faulted copy migrations: data kept, healthy on one ensemble, never two leaders; the JSON report says so', async (t) => {
  const cells = ['copy/coordinator-kill/copy', 'copy/agent-kill/update-configs', 'copy/zk-target-restart/copy', 'copy/meta-start-fails/start-leader'];
  const r = await runner(t, ['--json', '--parallel', '1', '--dir', path.join(t.context.tmp.dir, 'fleets'), '--cell', cells.join(',')]);
  t.is(r.code, 0, r.err + r.out.slice(-4000));
  const rep = JSON.parse(r.out) as MatrixReport;
  t.is(rep.runs.length, 4);
  t.like(rep.summary, { runs: 4, ok: 4, failed: 0, dataLost: 0, unhealthy: 0, splitBrain: 0 });
  for (const run of rep.runs) {
    t.like(run, { dataLost: false, healthy: true, splitBrain: false, configsOk: true, oneEnsemble: true, oldTreeUnchanged: true, tablesKept: true, ok: true }, `${run.fault}@${run.step}: ${run.problems.join('; ')}`);
    t.deepEqual(run.problems, []);
  }
  const by = (fault: string): MatrixReport['runs'][number] => rep.runs.find((x) => x.fault === fault)!;
  t.like(by('coordinator-kill'), { outcome: 'killed→resume→completed', endedOn: 'target', newTreeEqual: true, landed: 'during-step' });
  t.like(by('agent-kill'), { outcome: 'completed', endedOn: 'target', newTreeEqual: true });
  t.like(by('zk-target-restart'), { outcome: 'completed', endedOn: 'target', newTreeEqual: true });
  t.like(by('meta-start-fails'), { outcome: 'rolled-back', endedOn: 'source', newTreeEqual: null, landed: 'during-step' });
});

test.serial('bad filters are refused before any fleet starts', async (t) => {
  const r = await runner(t, ['--fault', 'disk-full']);
  t.is(r.code, 2);
  t.regex(r.err, /unknown --fault "disk-full"; known: coordinator-kill/);
  const na = await runner(t, ['--cell', 'copy/replica-kill/copy']);
  t.is(na.code, 2);
  t.regex(na.err, /replica-kill is not run at copy step copy/);
});
