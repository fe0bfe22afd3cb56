/**
 * A follower meta under a supervisor the agent cannot see (like supervisord `autorestart=true`
 * around the same command): the agent's stop works, the supervisor brings the meta back a moment
 * later. The run must notice within the stays-stopped window, stop at stop-followers naming the
 * host and the service, and roll back (before the point of no return) to a healthy cluster on the
 * old ensemble with nothing written to the target. The supervisor here is the test's: it runs the
 * agent's own start command (same argv, cwd and env, without the agent's mark) whenever the meta
 * port goes quiet. With the pre-copy (the copy method's default) the same, after the pre-copy wrote
 * the target: the rollback removes that tree.
 */
import anyTest, { TestFn } from 'ava';
import type { MigrateEvent } from '../../coordinator/lib/migrate';
import { AgentPool } from '../../coordinator/lib/fleet';
import { PegasusShell } from '../../coordinator/lib/shell';
import { waitFor } from '../harness/tmp';
import { agentCommand, supervise, Supervisor } from '../reliability/supervisor';
import { cli, currentZk, Fleet, health, journals, readJournal, startFleet, treeFingerprint } from './migrate-support';

interface Ctx {
  fleet: Fleet;
}
const test = anyTest as TestFn<Ctx>;
// Not in t.context: an after hook sees the before hooks' context, not what a test put there.
let sup: Supervisor | undefined;

test.before(async (t) => {
  t.context.fleet = await startFleet('zkmig-mig-supervisor-');
});

test.after.always(async (t) => {
  await sup?.stop();
  await t.context.fleet?.close();
});

test.serial('a supervisor restarts a stopped follower: the run stops at stop-followers naming it, rolls back, healthy on the old ensemble, nothing left on the target', async (t) => {
  const f = t.context.fleet;
  const { oldZk, newZk, clusterRoot: root, cluster } = f.info;
  const leader = (await PegasusShell.forCluster(f.cluster).clusterInfo()).primaryMetaServer;
  const follower = f.cluster.metas.find((m) => m.metaAddress !== leader)!;
  const oldBefore = await treeFingerprint(oldZk, root);
  sup = supervise(agentCommand(f, follower.metaConfig), follower);

  // A long window: the supervised copy must have time to start on a loaded machine; it ends the
  // wait as soon as the port answers.
  const r = await cli(f, ['migrate', '--cluster', cluster, '--to', newZk, '--method', 'copy', '--no-precopy', '--yes', '--json', '--stay-stopped', '60s', '--leader-timeout', '30s']);
  const events = r.out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as MigrateEvent);
  const dump = `${r.err}\n${r.out.slice(-4000)}`;
  t.is(r.code, 1, dump);
  t.true(sup.restarts() >= 1, `the supervisor restarted the follower\n${dump}`);

  const failed = events.find((e) => e.kind === 'step-failed');
  t.is(failed?.kind === 'step-failed' ? failed.step : undefined, 'stop-followers', dump);
  const why = failed?.kind === 'step-failed' ? failed.error : '';
  if (failed?.kind === 'step-failed') t.log(`stop-followers failed after ${failed.ms} ms`);
  t.true(why.includes(`${follower.name}: ${follower.metaService} runs again`), why);
  t.regex(why, /a supervisor restarted it: stop it through the supervisor, or let the agent own the process \(systemd backend\)/);
  t.regex(why, new RegExp(`meta port ${follower.address}:${follower.metaPort} answers`));
  // The preflight said up front that the agent cannot see a supervisor of a "command" service.
  t.true(events.some((e) => e.kind === 'warning' && e.step === 'preflight' && e.message.startsWith(`${follower.name}: ${follower.metaService} is a "command" backend service`)));
  // The rollback left the supervisor's copy alone instead of starting a second one on its port.
  t.true(events.some((e) => e.kind === 'warning' && e.message.startsWith(`${follower.name}: ${follower.metaService} already runs outside the agent`)));

  const end = events.find((e) => e.kind === 'run-end');
  t.is(end?.kind === 'run-end' ? end.outcome : undefined, 'rolled-back', dump);
  if (end?.kind === 'run-end') t.log(`the whole run (preflight to rolled back) took ${end.summary.totalMs} ms`);
  const entries = readJournal(journals(f).at(-1)!);
  const started = entries.flatMap((e) => (e.kind === 'step-intent' ? [e.step] : []));
  const done = entries.flatMap((e) => (e.kind === 'step-done' ? [e.step] : []));
  t.false(started.includes('copy'), 'nothing was copied');
  for (const s of ['rollback-start-metas', 'rollback-restore-level', 'rollback-verify', 'rollback-clean-target']) t.true(done.includes(s), s);

  t.is(await currentZk(f), oldZk);
  const h = await health(f, oldZk);
  t.is(h.verdict, 'healthy', h.problems.join('; '));
  t.is((await treeFingerprint(oldZk, root)).digest, oldBefore.digest);
  t.false((await treeFingerprint(newZk, root)).exists, 'nothing was written to the target');
  await sup.stop();
  sup = undefined;
});

test.serial('with the pre-copy: the follower restarted by a supervisor stops the run at stop-followers, which rolls back and removes the pre-copied tree', async (t) => {
  const f = t.context.fleet;
  const { oldZk, newZk, clusterRoot: root, cluster } = f.info;
  // The first test left the follower's supervised copy stopped: the agent starts every meta again.
  const pool = new AgentPool({ coordinator: 'supervisor-test' });
  try {
    for (const m of f.cluster.metas) await pool.client(m).controlService(m.metaService, 'start');
  } finally {
    pool.close();
  }
  await waitFor('the cluster healthy again', async () => (await health(f, oldZk)).verdict === 'healthy', 60000, 500);
  const leader = (await PegasusShell.forCluster(f.cluster).clusterInfo()).primaryMetaServer;
  const follower = f.cluster.metas.find((m) => m.metaAddress !== leader)!;
  sup = supervise(agentCommand(f, follower.metaConfig), follower);
  const r = await cli(f, ['migrate', '--cluster', cluster, '--to', newZk, '--method', 'copy', '--yes', '--json', '--stay-stopped', '60s', '--leader-timeout', '30s']);
  const events = r.out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as MigrateEvent);
  const dump = `${r.err}\n${r.out.slice(-4000)}`;
  t.is(r.code, 1, dump);
  t.true(sup.restarts() >= 1, dump);
  const failed = events.find((e) => e.kind === 'step-failed');
  t.is(failed?.kind === 'step-failed' ? failed.step : undefined, 'stop-followers', dump);
  t.true(failed?.kind === 'step-failed' && failed.error.includes(`${follower.name}: ${follower.metaService} runs again`), dump);
  const entries = readJournal(journals(f).at(-1)!);
  const done = entries.flatMap((e) => (e.kind === 'step-done' ? [e.step] : []));
  t.true(done.includes('precopy'), 'the pre-copy ran before the freeze');
  t.true(done.includes('rollback-clean-target'));
  const end = events.find((e) => e.kind === 'run-end');
  t.is(end?.kind === 'run-end' ? end.outcome : undefined, 'rolled-back', dump);
  await sup.stop();
  sup = undefined;
  t.is(await currentZk(f), oldZk);
  t.false((await treeFingerprint(newZk, root)).exists, 'the pre-copied tree is gone from the target');
});
