/**
 * `zkmig migrate --method reconfig` end to end on the sandbox (`sandbox up --reconfig`: real
 * ZooKeeper 3.8 with dynamic reconfiguration, three old voters and three joiners, simulated
 * Pegasus metas run by real agents). One sandbox for the file, two runs:
 * - a joiner that stops answering (SIGSTOP) before it synced: add-observers fails naming it, the
 *   automatic rollback removes the joiners it added, and the old ensemble is whole (same
 *   membership, same tree, healthy); the joiner is let go again (SIGCONT) for the next run
 *   (a joiner SIGKILLed before it synced is covered at the moves level, zk-reconfig.test.ts);
 * - the coordinator SIGKILLed after add-observers, the ZooKeeper leader then SIGKILLed and started
 *   again (a new election mid-reconfig), and `zkmig resume` finishes the run.
 * Invariants sampled throughout: never two ZooKeeper servers claiming leadership at once; every
 * table healthy through `ls -d` during the resumed run except within the recorded write freeze; after:
 * the cluster healthy on the new servers, every table present, no znode of cluster_root lost
 * (digest), the membership exactly the new servers, and a write freeze recorded;
 * - then `zkmig rollback` of that completed run (past remove-old): the old servers back, the metas
 *   on them, the new servers gone, no znode lost.
 */
import anyTest, { TestFn } from 'ava';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SandboxState } from '../../coordinator/lib/sandbox/state';
import { fourLetter } from '../../coordinator/lib/zk-server';
import { connectAdmin, readConfig } from '../../coordinator/lib/zk/reconfig';
import { waitFor } from '../harness/tmp';
import { cli, cliChild, Fleet, health, journals, newJournal, readJournal, runIdOf, startFleet, treeFingerprint, withZk } from './migrate-support';
import { readTree } from '../../coordinator/lib/zk/tree-read';
import { PegasusShell } from '../../coordinator/lib/shell';
import { freezeWindow } from '../../coordinator/lib/migrate/summary';

const test = anyTest as TestFn<{ fleet: Fleet }>;

const RECONFIG_STEPS = ['preflight', 'add-observers', 'promote', 'roll-metas', 'remove-old', 'confirm-write', 'final-health'];

test.before(async (t) => {
  t.context.fleet = await startFleet('zkmig-mig-reconfig-', { reconfig: true });
});

test.after.always(async (t) => {
  await t.context.fleet?.close();
});

/** `sample` back to back, `pauseMs` apart, until stop(), which returns every sample. */
function sampler<T>(sample: () => Promise<T>, pauseMs: number): { stop: () => Promise<T[]> } {
  const out: T[] = [];
  let on = true;
  const loop = (async () => {
    while (on) {
      out.push(await sample());
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  })();
  return {
    stop: async () => {
      on = false;
      await loop;
      return out;
    },
  };
}

/**
 * Every `srvr` Mode every 150 ms. `most`: the most servers that said "leader" in one sample;
 * `lasting`: the most that said so in two samples in a row. A leader that hands over (remove-old
 * removes it from the membership; ZooKeeper designates the next leader) can still answer "leader"
 * for a moment while its successor already does, and the sample's requests are not simultaneous:
 * one such sample is a handover seen mid-way, two leaders lasting past the next sample would be
 * two quorums.
 */
function leaderWatch(endpoints: string[]): { stop: () => Promise<{ most: number; lasting: number; samples: number }> } {
  const s = sampler(async () => {
    const modes = await Promise.all(endpoints.map((e) => fourLetter(Number(e.split(':')[1]), 'srvr', 500).then((o) => /^Mode: (\w+)/m.exec(o)?.[1], () => undefined)));
    return modes.filter((m) => m === 'leader').length;
  }, 150);
  return {
    stop: async () => {
      const leaders = await s.stop();
      const lasting = Math.max(0, ...leaders.slice(1).map((n, i) => Math.min(n, leaders[i]!)));
      return { most: Math.max(0, ...leaders), lasting, samples: leaders.length };
    },
  };
}

interface HealthSample {
  from: number;
  to: number;
  ok: boolean;
  why: string;
}

/**
 * The Pegasus cluster as a client sees it, sampled back to back: a leader answers `ls -d` and no
 * table is unhealthy. The run's write freeze (the leader's failover) is the only time allowed to
 * fail it; a sample counts against the window it overlaps.
 */
function clusterWatch(f: Fleet): { stop: () => Promise<HealthSample[]> } {
  const shell = PegasusShell.forCluster(f.cluster, { env: f.env });
  return sampler(async () => {
    const from = Date.now();
    try {
      const apps = await shell.listApps({ detailed: true });
      const ok = apps.summary.unhealthyAppCount === 0 && apps.apps.length >= f.info.tables.length;
      return { from, to: Date.now(), ok, why: `${apps.summary.unhealthyAppCount ?? '?'} unhealthy of ${apps.apps.length} table(s)` };
    } catch (e) {
      return { from, to: Date.now(), ok: false, why: (e as Error).message.split('\n')[0]! };
    }
  }, 100);
}

function sandboxState(f: Fleet): SandboxState {
  return JSON.parse(fs.readFileSync(path.join(f.info.dir, 'sandbox.json'), 'utf8')) as SandboxState;
}

async function modeOf(endpoint: string): Promise<string | undefined> {
  return fourLetter(Number(endpoint.split(':')[1]), 'srvr', 500).then(
    (o) => /^Mode: (\w+)/m.exec(o)?.[1],
    () => undefined,
  );
}

async function membersOf(hosts: string): Promise<string[]> {
  const c = await connectAdmin(hosts);
  try {
    return (await readConfig(c)).members.map((m) => `${m.id}:${m.role}:${m.clientPort}`);
  } finally {
    c.close();
  }
}

function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

/**
 * SIGKILL a sandbox ZooKeeper server and start it again with the same command line (its own
 * files: an old member restarts into its committed config). The marker in its command line lets
 * `sandbox down` and the reaper find the new process.
 */
async function restartZk(pid: number): Promise<number> {
  const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  const cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
  const logDir = argv.find((a) => a.startsWith('-Dzookeeper.log.dir='))!.split('=')[1]!;
  process.kill(pid, 'SIGKILL');
  await waitFor(`ZooKeeper pid ${pid} gone`, () => gone(pid), 10000);
  const log = fs.openSync(path.join(logDir, 'server.log'), 'a');
  const child = spawn(argv[0]!, argv.slice(1), { cwd, detached: true, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  child.unref();
  return child.pid!;
}

test.serial('reconfig: a joiner that stops answering before it synced fails add-observers by name; the rollback leaves the old ensemble whole', async (t) => {
  const f = t.context.fleet;
  const { oldZk, newZk, clusterRoot } = f.info;
  const st = sandboxState(f);
  const joinerPid = st.zk.new!.pids[2]!;
  const membersBefore = await membersOf(oldZk);
  const before = await treeFingerprint(oldZk, clusterRoot);
  const known = journals(f);
  const child = cliChild(f, ['migrate', '--cluster', f.info.cluster, '--to', newZk, '--method', 'reconfig', '--sync-timeout', '5s', '--yes', '--json']);
  const file = await newJournal(f, known);
  let exited = false;
  void child.done.then(() => (exited = true));
  await waitFor('step-done preflight', () => readJournal(file).some((e) => e.kind === 'step-done' && e.step === 'preflight') || exited, 120000, 5);
  process.kill(joinerPid, 'SIGSTOP');
  let r;
  try {
    r = await child.done;
  } finally {
    process.kill(joinerPid, 'SIGCONT');
  }
  t.not(r.code, 0);
  const entries = readJournal(file);
  const failed = entries.find((e) => e.kind === 'step-failed' && e.step === 'add-observers') as { error: string } | undefined;
  t.regex(failed?.error ?? '', new RegExp(`server 6 \\(${newZk.split(',')[2]!.replace(/\./g, '\\.')}\\) did not sync`), r.out.slice(-2000));
  t.like(entries.at(-1), { kind: 'run-end', outcome: 'rolled-back' });
  t.true(entries.some((e) => e.kind === 'step-done' && e.step === 'rollback-remove-new'));
  // The old ensemble whole: the same membership, the same tree, healthy, the metas on it.
  t.deepEqual(await membersOf(oldZk), membersBefore);
  t.is((await treeFingerprint(oldZk, clusterRoot)).digest, before.digest);
  const h = await health(f, oldZk);
  t.is(h.verdict, 'healthy', h.problems.join('; '));
  // Every joiner follows the leader again, as a non-voting member, for the next run.
  for (const e of newZk.split(',')) await waitFor(`${e} follows again`, async () => (await modeOf(e)) === 'follower', 60000, 200);
});

test.serial('reconfig: coordinator SIGKILLed after add-observers, the ZooKeeper leader restarted, then resume: the ensemble moved under the cluster, nothing copied, nothing lost', async (t) => {
  const f = t.context.fleet;
  const { oldZk, newZk, clusterRoot } = f.info;
  const before = await treeFingerprint(oldZk, clusterRoot);
  t.true(before.exists);
  const beforeTree = await withZk(oldZk, (s) => readTree(s, clusterRoot, { keepData: true }));
  const watch = leaderWatch([...oldZk.split(','), ...newZk.split(',')]);
  // A failing assertion must not leave the sampling loop running (it would keep the worker alive).
  t.teardown(async () => void (await watch.stop()));

  const plan = await cli(f, ['plan', '--cluster', f.info.cluster, '--to', newZk, '--method', 'reconfig']);
  t.is(plan.code, 0, plan.err + plan.out);
  for (const title of ['Add the new servers as observers', 'Promote the new servers', "Move each meta's [zookeeper] hosts_list", 'Remove the old servers', 'Confirm a write commits', 'Final health check']) t.true(plan.out.includes(title), title);
  t.regex(plan.out, /No point of no return: old and new servers are one ensemble with one history/);

  const known = journals(f);
  const child = cliChild(f, ['migrate', '--cluster', f.info.cluster, '--to', newZk, '--method', 'reconfig', '--yes', '--json']);
  const file = await newJournal(f, known);
  const done = (): string[] => readJournal(file).flatMap((e) => (e.kind === 'step-done' ? [e.step] : []));
  let exited = false;
  void child.done.then(() => (exited = true));
  await waitFor('step-done add-observers', () => done().includes('add-observers') || exited, 120000, 5);
  child.proc.kill('SIGKILL');
  const killed = await child.done;
  t.deepEqual(done(), RECONFIG_STEPS.slice(0, 2), killed.err + killed.out.slice(-2000));

  // Mid-reconfig (observers added, none promoted): the ZooKeeper leader dies and comes back.
  const st = sandboxState(f);
  const olds = oldZk.split(',');
  const modes = await Promise.all(olds.map(modeOf));
  const li = modes.indexOf('leader');
  t.true(li >= 0, `an old server leads: ${modes.join(',')}`);
  const restarted = await restartZk(st.zk.old!.pids[li]!);
  // It stays up for the rollback test below; "sandbox down" (and the reaper) find it by its marker.
  t.false(gone(restarted));
  await waitFor(`${olds[li]} serves again`, async () => ['follower', 'leader'].includes((await modeOf(olds[li]!)) ?? ''), 60000, 200);
  await waitFor('a leader among the old servers', async () => (await Promise.all(olds.map(modeOf))).includes('leader'), 60000, 200);

  const cluster = clusterWatch(f);
  t.teardown(async () => void (await cluster.stop()));
  const resume = await cli(f, ['resume', runIdOf(file), '--yes']);
  const leaders = await watch.stop();
  const samples = await cluster.stop();
  t.is(resume.code, 0, resume.err + resume.out.slice(-3000));
  t.regex(resume.out, /SUCCEEDED/);
  const entries = readJournal(file);
  t.deepEqual(
    entries.filter((e) => e.kind === 'step-done').map((e) => (e as { step: string }).step),
    RECONFIG_STEPS,
  );
  // The leader's failover is the write freeze, recorded with its parts.
  const roll = entries.find((e) => e.kind === 'step-done' && e.step === 'roll-metas') as { data: { freeze?: { totalMs: number; stopToServingMs: number; lockReleased: boolean } } } | undefined;
  t.truthy(roll?.data.freeze);
  t.true(roll!.data.freeze!.totalMs >= roll!.data.freeze!.stopToServingMs);
  // The stopped leader's lock node was deleted (lock-release.ts): the follower took over without
  // waiting for the stopped process's session to expire.
  t.true(roll!.data.freeze!.lockReleased, JSON.stringify(roll!.data.freeze));
  t.truthy(entries.find((e) => e.kind === 'note' && e.text === 'freeze-end'));

  // The cluster served throughout the resumed run (promote, the metas' rolls, remove-old,
  // confirm-write) except during the leader's failover, the recorded write freeze.
  const win = freezeWindow(entries);
  t.truthy(win.start && win.end, JSON.stringify(win));
  const [fs0, fe0] = [Date.parse(win.start!), Date.parse(win.end!)];
  t.true(samples.length > 10, `${samples.length} health samples`);
  t.true(samples.some((x) => x.ok));
  const outside = samples.filter((x) => !x.ok && (x.to < fs0 || x.from > fe0));
  t.deepEqual(outside.map((x) => `${new Date(x.from).toISOString()}: ${x.why}`), [], `freeze ${win.start} .. ${win.end}`);
  t.log(`${samples.length} health samples, ${samples.filter((x) => !x.ok).length} failed, each within the freeze (${win.start} .. ${win.end})`);

  // Never two leaders in one sample (two quorums), and the sampler did run throughout.
  t.true(leaders.samples > 10);
  t.is(leaders.lasting, 1, 'never two leaders in two samples in a row');
  t.true(leaders.most <= 2);
  if (leaders.most > 1) t.log('one sample caught a leader handover mid-way (two servers answered "leader")');

  // Membership: exactly the new servers, all voting.
  const c = await connectAdmin(newZk);
  try {
    const cfg = await readConfig(c);
    t.deepEqual(cfg.members.map((m) => `127.0.0.1:${m.clientPort}`).sort(), newZk.split(',').sort());
    t.true(cfg.members.every((m) => m.role === 'participant'));
  } finally {
    c.close();
  }

  // Healthy on the new servers with every table; no persistent znode of cluster_root lost.
  const h = await health(f, newZk);
  t.is(h.verdict, 'healthy', h.problems.join('; '));
  const apps = await PegasusShell.forCluster(f.cluster, { env: f.env }).listApps();
  const names = apps.apps.map((a) => a.appName);
  for (const tb of f.info.tables) t.true(names.includes(tb.name), `table ${tb.name} in ${names.join(',')}`);
  const after = await withZk(newZk, (s) => readTree(s, clusterRoot, { keepData: true }));
  const have = new Set(after.list.map((n) => n.rel));
  t.deepEqual(
    beforeTree.list.map((n) => n.rel).filter((p) => !have.has(p)),
    [],
  );
  // Nothing copied, nothing rewritten: the persistent tree is the very same one, except what the
  // live cluster itself wrote meanwhile: a partition config whose ballot moved forward (a meta
  // that leads again re-places a replica; src/meta/server_state.cpp update_configuration_on_remote).
  const was = new Map(beforeTree.list.map((n) => [n.rel, n]));
  const changed = after.list.filter((n) => !was.get(n.rel)?.data.equals(n.data));
  const ballot = (b: Buffer | undefined): number => (b ? ((JSON.parse(b.toString()) as { ballot?: number }).ballot ?? -1) : -1);
  const unexplained = changed.filter((n) => !/^\/apps\/\d+\/\d+$/.test(n.rel) || !(ballot(n.data) > ballot(was.get(n.rel)?.data)));
  t.deepEqual(
    unexplained.map((n) => `${n.rel}: ${was.get(n.rel)?.data.toString() ?? '(new)'} -> ${n.data.toString()}`),
    [],
  );
  if (changed.length > 0) t.log(`the cluster moved ${changed.length} partition ballot(s) during the run: ${changed.map((n) => n.rel).join(', ')}`);
  else t.is(after.digest, before.digest);
});

test.serial('reconfig: "zkmig rollback" after a completed run (past remove-old) brings the old servers back and the metas with them, copying nothing', async (t) => {
  const f = t.context.fleet;
  const { oldZk, newZk, clusterRoot } = f.info;
  const done = journals(f)
    .map((file) => ({ file, entries: readJournal(file) }))
    .find((j) => j.entries.some((e) => e.kind === 'run-end' && e.outcome === 'succeeded'));
  t.truthy(done, 'the previous test left a succeeded run');
  const before = await withZk(newZk, (s) => readTree(s, clusterRoot, { keepData: true }));
  const r = await cli(f, ['rollback', runIdOf(done!.file), '--yes']);
  t.is(r.code, 1, r.err + r.out.slice(-3000));
  t.regex(r.out, /ROLLED-BACK/);
  const entries = readJournal(done!.file);
  t.deepEqual(
    entries.filter((e) => e.kind === 'step-done' && e.step.startsWith('rollback-')).map((e) => (e as { step: string }).step),
    ['rollback-readd-old', 'rollback-restore-metas', 'rollback-remove-new', 'rollback-restore-level', 'rollback-verify'],
  );
  // The old servers alone again, all voting; the cluster healthy on them with the same tree.
  const members = await membersOf(oldZk);
  t.deepEqual(members.map((m) => Number(m.split(':')[2])).sort(), oldZk.split(',').map((e) => Number(e.split(':')[1])).sort());
  t.true(members.every((m) => m.split(':')[1] === 'participant'));
  const h = await health(f, oldZk);
  t.is(h.verdict, 'healthy', h.problems.join('; '));
  const after = await withZk(oldZk, (s) => readTree(s, clusterRoot, { keepData: true }));
  const have = new Set(after.list.map((n) => n.rel));
  t.deepEqual(before.list.map((n) => n.rel).filter((p) => !have.has(p)), []);
});
