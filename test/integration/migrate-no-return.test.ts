/**
 * The point of no return (issue 14 §1), on a sandbox fleet. A run whose step fails after the
 * leader served from the new ensemble (a follower's start fails, and a replica server dies there
 * meanwhile, so the new tree moves on with new ballots) rolls forward and ends healthy on the new
 * ensemble, never back on the stale old tree. `zkmig rollback RUN` of that run shows the plan, says
 * it is past the point of no return, copies the new tree back onto the old ensemble with every
 * meta stopped, and the cluster is healthy there with the new tree's partitions; a replica server
 * killed afterwards is re-replicated.
 */
import * as fs from 'node:fs';
import anyTest, { TestFn } from 'ava';
import { migrate, MigrateEvent } from '../../coordinator/lib/migrate';
import { waitFor } from '../harness/tmp';
import { failFlagOf } from '../reliability/fleet';
import { cli, currentZk, Fleet, health, journals, killReplica, readJournal, startFleet, treeFingerprint } from './migrate-support';

const test = anyTest as TestFn<{ fleet: Fleet }>;

test.before(async (t) => {
  t.context.fleet = await startFleet('zkmig-mig-noreturn-');
});

test.after.always(async (t) => {
  await t.context.fleet?.close();
});

test.serial('a step failing past the point of no return rolls forward to a healthy cluster on the new ensemble; rollback then copies the new tree back and the cluster repairs a replica death there', async (t) => {
  t.timeout(10 * 60_000);
  const f = t.context.fleet;
  const { oldZk, newZk, clusterRoot: root, cluster } = f.info;
  const events: MigrateEvent[] = [];
  let revive: (() => void) | undefined;
  const r = await migrate(
    { inventory: f.info.inventory, cluster, to: newZk, method: 'copy', leaderTimeoutMs: 60000 },
    {
      stateDir: f.stateDir,
      env: f.env,
      emit: (e) => events.push(e),
      afterStep: async (step) => {
        if (step !== 'wait-leader') return;
        // Every follower's next start fails once, and a replica server dies on the new ensemble
        // (the meta moves its partitions on with new ballots) and comes back 5 s later.
        const pre = readJournal(journals(f).at(-1)!).find((e) => e.kind === 'step-done' && e.step === 'preflight');
        const leader = (pre as unknown as { data: { leader: string } }).data.leader;
        for (const m of f.cluster.metas) if (m.name !== leader) fs.writeFileSync(failFlagOf(f, m.name), 'test\n');
        revive = await killReplica(f, 'replica0');
        setTimeout(() => revive?.(), 5000);
      },
    },
  );
  revive?.();
  for (const m of f.cluster.metas) fs.rmSync(failFlagOf(f, m.name), { force: true });
  t.is(r.outcome, 'succeeded', r.error?.message);
  const entries = readJournal(r.journal);
  const steps = entries.filter((e) => e.kind === 'step-intent').map((e) => (e as { step: string }).step);
  t.false(steps.some((s) => s.startsWith('rollback-')), `no rollback step ran: ${steps.join(', ')}`);
  t.true(steps.includes('roll-forward-1'), `${steps.join(', ')}\n${events.filter((e) => e.kind === 'host-result' || e.kind === 'warning').map((e) => JSON.stringify(e)).join('\n')}`);
  t.true(entries.some((e) => e.kind === 'note' && e.text === 'point-of-no-return'));
  t.true(events.some((e) => e.kind === 'point-of-no-return'));
  t.true(events.some((e) => e.kind === 'warning' && /past the point of no return: rolling forward, not back/.test(e.message)));
  t.truthy(r.summary.pointOfNoReturn);
  t.regex(r.summary.message, /rolled forward past the point of no return/);
  t.is(await currentZk(f), newZk);
  await waitFor('healthy on the new ensemble', async () => (await health(f, newZk).catch(() => undefined))?.verdict === 'healthy', 120000, 500);

  // The rollback of that run: the plan first (no --yes: nothing changes), then for real.
  const asked = await cli(f, ['rollback', r.run]);
  t.is(asked.code, 1);
  t.regex(asked.out, /PAST the point of no return/);
  t.regex(asked.out, /copy the new tree back onto the old ensemble/);
  t.regex(asked.err, /Not confirmed; nothing was changed/);
  t.is(await currentZk(f), newZk);

  const rb = await cli(f, ['rollback', r.run, '--yes']);
  t.is(rb.code, 1, rb.out + rb.err);
  t.regex(rb.out, /ROLLED-BACK/);
  t.regex(rb.out, /nodes copied back onto/);
  t.is(await currentZk(f), oldZk);
  const newTree = await treeFingerprint(newZk, root);
  t.true(newTree.exists, 'the new tree is kept after a rollback past the point of no return');
  await waitFor('healthy on the old ensemble', async () => (await health(f, oldZk).catch(() => undefined))?.verdict === 'healthy', 120000, 500);

  // Repairable afterwards: a replica server dies, the cluster re-replicates and is healthy again.
  const again = await killReplica(f, 'replica1');
  await waitFor('the dead replica server noticed', async () => (await health(f, oldZk).catch(() => undefined))?.verdict !== 'healthy', 60000, 300);
  again();
  await waitFor('healthy again on the old ensemble after a replica death', async () => (await health(f, oldZk).catch(() => undefined))?.verdict === 'healthy', 180000, 500);
  t.pass();
});
