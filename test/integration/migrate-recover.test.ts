/**
 * The recover method end to end on a sandbox fleet, plus the two ways to look before leaping:
 * `zkmig plan` (steps, hosts, agents' check-mode diffs, what recovery cannot restore) and
 * `zkmig migrate --dry-run` (the whole plan in check mode): both change nothing.
 */
import anyTest, { TestFn } from 'ava';
import * as fs from 'node:fs';
import { MigrateEvent } from '../../coordinator/lib/migrate';
import { PegasusShell } from '../../coordinator/lib/shell';
import { readState } from '../../coordinator/lib/sandbox';
import { cli, currentZk, Fleet, health, readJournal, sha256File, startFleet, treeFingerprint } from './migrate-support';

const test = anyTest as TestFn<{ fleet: Fleet }>;

test.before(async (t) => {
  t.context.fleet = await startFleet('zkmig-mig-recover-');
});

test.after.always(async (t) => {
  await t.context.fleet?.close();
});

function metaPids(f: Fleet): number[] {
  return readState(f.info.dir)!.metas.map((m) => Number(fs.readFileSync(m.pidFile, 'utf8').trim()));
}

test.serial('plan and --dry-run show the steps and the config diffs and change nothing', async (t) => {
  const f = t.context.fleet;
  const { newZk, clusterRoot: root, cluster } = f.info;
  const shas = f.cluster.metas.map((m) => sha256File(m.metaConfig));
  const pids = metaPids(f);

  const plan = await cli(f, ['plan', '--cluster', cluster, '--to', newZk, '--method', 'recover']);
  t.is(plan.code, 0, plan.err);
  t.regex(plan.out, /recovery losses: none found/);
  t.regex(plan.out, /recover -s <ALIVE nodes>/);
  t.regex(plan.out, /Wait \d+(\.\d)? s for the replica servers to go inactive/);
  t.regex(plan.out, /\+\s+recover_from_replica_server = true/);
  t.regex(plan.out, new RegExp(`\\+\\s+hosts_list = ${newZk.replace(/\./g, '\\.')}`));

  // A dry run of each copy path: the copy inside the freeze (--no-precopy), then the default pre-copy.
  for (const extra of [['--no-precopy'], []]) {
    const dry = await cli(f, ['migrate', '--cluster', cluster, '--to', newZk, '--method', 'copy', '--dry-run', '--json', ...extra]);
    t.is(dry.code, 0, dry.err + dry.out.slice(-2000));
    const events = dry.out.trim().split('\n').map((l) => JSON.parse(l) as MigrateEvent);
    t.like(events[0], { kind: 'run-start', dryRun: true });
    t.true(events.some((e) => e.kind === 'host-result' && e.status === 'changed' && /\(check mode\)/.test(e.msg) && /hosts_list/.test(e.diff ?? '')));
    t.true(events.some((e) => e.kind === 'host-result' && /\(check mode\)/.test(e.msg) && /stop/.test(e.msg)));
    if (extra.length > 0) t.true(events.some((e) => e.kind === 'step-done' && e.step === 'copy' && /would create \d+ node/.test(e.summary ?? '')));
    else t.true(events.some((e) => e.kind === 'step-done' && e.step === 'precopy') && events.some((e) => e.kind === 'step-done' && e.step === 'finalize'));
    t.like(events[events.length - 1], { kind: 'run-end', outcome: 'succeeded' });
  }

  t.deepEqual(f.cluster.metas.map((m) => sha256File(m.metaConfig)), shas);
  t.deepEqual(metaPids(f), pids);
  t.false((await treeFingerprint(newZk, root)).exists);
  t.is(await new PegasusShell({ argv: f.cluster.shell.argv }).getMetaLevel(), 'steady');
});

test.serial('recover end to end: metas stopped, recovery on the new ensemble, every meta back, tables and replica counts as before', async (t) => {
  const f = t.context.fleet;
  const { newZk, clusterRoot: root, cluster } = f.info;
  const shell = PegasusShell.forCluster(f.cluster);
  const tablesBefore = (await shell.listApps()).apps.map((a) => `${a.appId} ${a.appName} ${a.partitionCount}`);
  const nodesBefore = (await shell.listNodes({ detailed: true })).nodes.map((n) => `${n.address} ${n.status} ${n.replicaCount}`).sort();

  const r = await cli(f, ['migrate', '--cluster', cluster, '--to', newZk, '--method', 'recover', '--yes', '--json']);
  t.is(r.code, 0, r.err + r.out.slice(-3000));
  const events = r.out.trim().split('\n').map((l) => JSON.parse(l) as MigrateEvent);
  const end = events[events.length - 1]!;
  if (end.kind !== 'run-end') return t.fail('no run-end event');
  t.is(end.outcome, 'succeeded');
  const run = (events[0] as { run: string }).run;
  const journal = readJournal(`${f.stateDir}/${run}.jsonl`);
  const done = journal.filter((e) => e.kind === 'step-done').map((e) => (e as { step: string }).step);
  t.deepEqual(done, ['preflight', 'backup-lists', 'stop-metas', 'wait-inactive', 'configure-recovery', 'start-recovery-meta', 'recover', 'disable-recovery', 'restart-recovered-meta', 'start-others', 'wait-converged', 'final-health']);
  // The write freeze covers the derived wait for inactive replicas (fast timing: 4 s).
  t.true((end.summary.writeFreezeMs ?? 0) >= 4000, String(end.summary.writeFreezeMs));
  t.true(fs.existsSync(`${f.stateDir}/${run}.nodes`) && fs.existsSync(`${f.stateDir}/${run}.recover.nodes`));

  t.is(await currentZk(f), newZk);
  const h = await health(f, newZk);
  t.is(h.verdict, 'healthy', h.problems.join('; '));
  t.deepEqual((await shell.listApps()).apps.map((a) => `${a.appId} ${a.appName} ${a.partitionCount}`), tablesBefore);
  t.deepEqual((await shell.listNodes({ detailed: true })).nodes.map((n) => `${n.address} ${n.status} ${n.replicaCount}`).sort(), nodesBefore);
  for (const m of f.cluster.metas) {
    const text = fs.readFileSync(m.metaConfig, 'utf8');
    t.regex(text, /recover_from_replica_server = false/);
    t.regex(text, new RegExp(`hosts_list = ${newZk.replace(/\./g, '\\.')}`));
  }
  // Every meta runs again (the reference script restarts only two).
  t.true(metaPids(f).every((pid) => pid > 0));
  t.true((await treeFingerprint(newZk, root)).nodes > 0);
});
