/**
 * The blind re-check (issue 14 §2), on a sandbox fleet: a bulk load started right after the runner
 * set the leader to blind sets the level back to steady (src/meta/meta_bulk_load_service.cpp,
 * bulk_load_service::on_start_bulk_load). The copy step sees it before writing a node, refuses
 * with a message naming the cause, and the automatic rollback leaves the cluster as it was: level
 * steady, followers running, healthy on the old ensemble, nothing in the target.
 */
import anyTest, { TestFn } from 'ava';
import { migrate, MigrateEvent } from '../../coordinator/lib/migrate';
import { exitCodeOf } from '../../coordinator/lib/migrate/cli-support';
import { PegasusShell } from '../../coordinator/lib/shell';
import { Fleet, health, readJournal, startFleet, treeFingerprint, withZk } from './migrate-support';

const test = anyTest as TestFn<{ fleet: Fleet }>;

test.before(async (t) => {
  t.context.fleet = await startFleet('zkmig-mig-blind-', { tables: [{ name: 'temp', partitions: 2 }] });
});

test.after.always(async (t) => {
  await t.context.fleet?.close();
});

test.serial('a bulk load started after set-blind lifts blind: the copy is refused before any node is written and the run rolls back to the previous level', async (t) => {
  t.timeout(5 * 60_000);
  const f = t.context.fleet;
  const { oldZk, newZk, clusterRoot: root, cluster } = f.info;
  const shell = PegasusShell.forCluster(f.cluster);
  t.is(await shell.getMetaLevel(), 'steady');
  const oldTree = await treeFingerprint(oldZk, root);
  const events: MigrateEvent[] = [];
  let bulk = '';
  const r = await migrate(
    { inventory: f.info.inventory, cluster, to: newZk, method: 'copy', precopy: false },
    {
      stateDir: f.stateDir,
      env: f.env,
      emit: (e) => events.push(e),
      afterStep: async (step) => {
        if (step !== 'set-blind') return;
        // The operator's bulk load lands in the window between blind and the copy.
        bulk = (await shell.exec('start_bulk_load -a temp -c remote_cluster -p local_service -r /bulk')).text;
      },
    },
  );
  t.regex(bulk, /start bulk load succeed/);
  t.is(r.outcome, 'rolled-back', r.error?.message ?? r.summary.message);
  t.is(exitCodeOf(r.outcome), 1, 'exit 1: not migrated, the cluster as it was');
  const why = r.rolledBackBecause?.message ?? '';
  t.regex(why, /before the copy, the leader's meta level is steady, no longer blind \(a bulk load started\?/);
  t.regex(why, /pause the bulk load .*--allow-running-jobs/);
  // What the operator reads (the renderer prints warnings as they come).
  t.true(events.some((e) => e.kind === 'warning' && e.message.startsWith('rolling back automatically: step copy failed: before the copy, the leader')));
  const entries = readJournal(r.journal);
  const failed = entries.find((e) => e.kind === 'step-failed') as { step: string } | undefined;
  t.is(failed?.step, 'copy', 'refused by the copy step itself, not by the check after it');
  t.false(entries.some((e) => e.kind === 'step-done' && e.step === 'copy'));
  t.false(events.some((e) => e.kind === 'step-progress' && e.step === 'copy'), 'the copy engine never ran');

  // As it was: the level the run found, every meta serving, healthy on the old ensemble, the old
  // tree untouched but for the bulk load's own node, nothing on the new ensemble.
  t.is(await shell.getMetaLevel(), 'steady');
  t.false((await treeFingerprint(newZk, root)).exists, 'the target holds nothing');
  const h = await health(f, oldZk);
  t.is(h.verdict, 'healthy', h.problems.join('\n'));
  t.true(h.checks.some((c) => c.name === 'metas' && c.status === 'pass' && /3 of 3 configured metas answer/.test(c.message)));
  const now = await treeFingerprint(oldZk, root);
  t.true(now.exists);
  t.not(now.digest, oldTree.digest, 'the bulk load wrote its node');
  t.true(await withZk(oldZk, async (s) => (await s.exists(`${root}/bulk_load/2`)) !== null));
});
