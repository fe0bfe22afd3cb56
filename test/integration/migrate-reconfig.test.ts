/**
 * `zkmig migrate --method reconfig` end to end on the sandbox (`sandbox up --reconfig`: real
 * ZooKeeper 3.8 with dynamic reconfiguration, three old voters and three joiners, simulated
 * Pegasus metas run by real agents). The coordinator is SIGKILLed between steps (after `promote`,
 * the ensemble half done and no meta moved yet) and `zkmig resume` finishes the run. Invariants
 * sampled throughout: never two ZooKeeper servers claiming leadership at once; after: the cluster
 * healthy on the new servers, every table present, no znode of cluster_root lost (digest), the
 * membership exactly the new servers, and a write freeze recorded. One sandbox for the file.
 */
import anyTest, { TestFn } from 'ava';
import { fourLetter } from '../../coordinator/lib/zk-server';
import { connectAdmin, readConfig } from '../../coordinator/lib/zk/reconfig';
import { waitFor } from '../harness/tmp';
import { cli, cliChild, Fleet, health, journals, newJournal, readJournal, runIdOf, startFleet, treeFingerprint, withZk } from './migrate-support';
import { readTree } from '../../coordinator/lib/zk/tree-read';
import { PegasusShell } from '../../coordinator/lib/shell';

const test = anyTest as TestFn<{ fleet: Fleet }>;

const RECONFIG_STEPS = ['preflight', 'add-observers', 'promote', 'roll-metas', 'remove-old', 'confirm-write', 'final-health'];

test.before(async (t) => {
  t.context.fleet = await startFleet('zkmig-mig-reconfig-', { reconfig: true });
});

test.after.always(async (t) => {
  await t.context.fleet?.close();
});

/** Every `srvr` Mode every 150 ms; the most servers that said "leader" in one sample. */
function leaderWatch(endpoints: string[]): { stop: () => Promise<{ most: number; samples: number }> } {
  let most = 0;
  let samples = 0;
  let on = true;
  const loop = (async () => {
    while (on) {
      const modes = await Promise.all(endpoints.map((e) => fourLetter(Number(e.split(':')[1]), 'srvr', 500).then((o) => /^Mode: (\w+)/m.exec(o)?.[1], () => undefined)));
      most = Math.max(most, modes.filter((m) => m === 'leader').length);
      samples++;
      await new Promise((r) => setTimeout(r, 150));
    }
  })();
  return {
    stop: async () => {
      on = false;
      await loop;
      return { most, samples };
    },
  };
}

test.serial('reconfig: SIGKILL after promote, then resume: one ensemble moved under the cluster, nothing copied, nothing lost', async (t) => {
  const f = t.context.fleet;
  const { oldZk, newZk, clusterRoot } = f.info;
  const before = await treeFingerprint(oldZk, clusterRoot);
  t.true(before.exists);
  const beforeTree = await withZk(oldZk, (s) => readTree(s, clusterRoot, { keepData: true }));
  const watch = leaderWatch([...oldZk.split(','), ...newZk.split(',')]);

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
  await waitFor('step-done promote', () => done().includes('promote') || exited, 120000, 5);
  child.proc.kill('SIGKILL');
  const killed = await child.done;
  t.deepEqual(done(), RECONFIG_STEPS.slice(0, 3), killed.err + killed.out.slice(-2000));

  const resume = await cli(f, ['resume', runIdOf(file), '--yes']);
  const leaders = await watch.stop();
  t.is(resume.code, 0, resume.err + resume.out.slice(-3000));
  t.regex(resume.out, /SUCCEEDED/);
  const entries = readJournal(file);
  t.deepEqual(
    entries.filter((e) => e.kind === 'step-done').map((e) => (e as { step: string }).step),
    RECONFIG_STEPS,
  );
  // The leader's failover is the write freeze, recorded with its parts.
  const roll = entries.find((e) => e.kind === 'step-done' && e.step === 'roll-metas') as { data: { freeze?: { totalMs: number; stopToServingMs: number } } } | undefined;
  t.truthy(roll?.data.freeze);
  t.true(roll!.data.freeze!.totalMs >= roll!.data.freeze!.stopToServingMs);
  t.truthy(entries.find((e) => e.kind === 'note' && e.text === 'freeze-end'));

  // Never two leaders in one sample (two quorums), and the sampler did run throughout.
  t.true(leaders.samples > 10);
  t.is(leaders.most, 1);

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
  // Nothing copied, nothing rewritten: the persistent tree is the very same one.
  t.is(after.digest, before.digest);
});
