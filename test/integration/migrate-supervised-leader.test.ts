/**
 * The LEADER meta under a supervisor the agent cannot see, which brings it back 50 ms after its port
 * goes quiet: the copy method's stop-leader is followed at once by that restart, inside the write
 * freeze, where the run no longer waits out a stays-stopped window (stay-stopped.ts). Which of the
 * two starts on the leader's host wins is a race (the supervisor's copy reads the config before or
 * after the edit; the agent's start and it contend for one port). The first law must hold whichever
 * wins: the run ends with the cluster healthy on one ensemble, and no meta holds a lock on the other
 * (a meta campaigning on the old tree while the cluster serves from the new one would be a second
 * leader on a stale tree).
 */
import anyTest, { TestFn } from 'ava';
import type { MigrateEvent } from '../../coordinator/lib/migrate';
import { PegasusShell } from '../../coordinator/lib/shell';
import { agentCommand, supervise, Supervisor } from '../reliability/supervisor';
import { cli, Fleet, health, startFleet, treeFingerprint } from './migrate-support';

const test = anyTest as TestFn<{ fleet: Fleet }>;
let sup: Supervisor | undefined;

test.before(async (t) => {
  t.context.fleet = await startFleet('zkmig-mig-sup-leader-');
});

test.after.always(async (t) => {
  await sup?.stop();
  await t.context.fleet?.close();
});

/** The meta lock holders in `zk` (ephemeral nodes under the cluster's lock directory). */
async function lockHolders(zk: string, root: string): Promise<string[]> {
  const f = await treeFingerprint(zk, root);
  return f.exists ? f.ephemeral.filter((p) => p.includes('lock')) : [];
}

test.serial('a supervisor restarts the stopped leader during the freeze: the run ends healthy on one ensemble, with no meta holding a lock on the other', async (t) => {
  t.timeout(5 * 60_000);
  const f = t.context.fleet;
  const { oldZk, newZk, clusterRoot: root, cluster } = f.info;
  const leaderAddr = (await PegasusShell.forCluster(f.cluster).clusterInfo()).primaryMetaServer;
  const leader = f.cluster.metas.find((m) => m.metaAddress === leaderAddr)!;
  sup = supervise(agentCommand(f, leader.metaConfig), leader, 50);

  const r = await cli(f, ['migrate', '--cluster', cluster, '--to', newZk, '--method', 'copy', '--yes', '--json', '--leader-timeout', '30s']);
  const events = r.out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as MigrateEvent);
  // What happened, one line per step and warning (the race decides which path the run took).
  const story = events
    .flatMap((e) => (e.kind === 'step-done' ? [`done ${e.step}`] : e.kind === 'step-failed' ? [`FAILED ${e.step}: ${e.error.split('\n')[0]}`] : e.kind === 'warning' ? [`warning ${e.step ?? ''}: ${e.message.split('\n')[0]}`] : []))
    .join('\n');
  const dump = `${story}\n${r.err.slice(-2000)}`;
  const end = events.find((e) => e.kind === 'run-end');
  const outcome = end?.kind === 'run-end' ? end.outcome : undefined;
  t.log(`outcome ${outcome}, supervisor restarts ${sup.restarts()}; ${story.split('\n').filter((l) => /FAILED|outside the agent|rolling/.test(l)).join(' | ') || 'the agent\'s start won the port'}`);
  t.true(sup.restarts() >= 1, `the supervisor restarted the leader\n${dump}`);
  t.true(outcome === 'succeeded' || outcome === 'rolled-back', `the run ended on one ensemble, not half-way (${outcome})\n${dump}`);

  // The ensemble the cluster serves from, healthy, and nobody campaigning on the other one.
  const on = outcome === 'succeeded' ? newZk : oldZk;
  const other = on === newZk ? oldZk : newZk;
  const h = await health(f, on);
  t.is(h.verdict, 'healthy', `${h.problems.join('; ')}\n${dump}`);
  t.deepEqual(await lockHolders(other, root), [], `no meta holds a lock on ${other === oldZk ? 'the old' : 'the new'} ensemble\n${dump}`);
  t.true((await lockHolders(on, root)).length >= 1);
  await sup.stop();
  sup = undefined;
});
