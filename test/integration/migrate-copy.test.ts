/**
 * `zkmig migrate --method copy --no-precopy` (the copy inside the freeze) end to end on a sandbox fleet (two real ZooKeepers, three real
 * agents over mutual TLS running simulated metas, simulated replica servers): the CLI migrates
 * while a second coordinator is refused; no LOCKNODE ever shows up in the target as a persistent
 * node; the old tree is untouched; a DDL write during the copy is detected and copied again;
 * `cleanup` deletes an old tree only when it is safe; a non-empty target and an agent that does not
 * answer are refused before anything changes.
 */
import anyTest, { TestFn } from 'ava';
import * as fs from 'node:fs';
import { migrate, MigrateEvent } from '../../coordinator/lib/migrate';
import { PegasusShell } from '../../coordinator/lib/shell';
import { waitFor } from '../harness/tmp';
import { cli, cliChild, currentZk, Fleet, health, journals, newJournal, readJournal, sandboxPids, sha256File, startFleet, treeFingerprint, watchLockNodes, withZk } from './migrate-support';

const test = anyTest as TestFn<{ fleet: Fleet }>;

test.before(async (t) => {
  t.context.fleet = await startFleet('zkmig-mig-copy-');
});

test.after.always(async (t) => {
  await t.context.fleet?.close();
});

test.serial('copy through the CLI: a second concurrent migrate is refused, no LOCKNODE is ever persistent in the target, the old tree is untouched', async (t) => {
  const f = t.context.fleet;
  const { oldZk, newZk, clusterRoot: root, cluster } = f.info;
  const oldBefore = await treeFingerprint(oldZk, root);
  const locks = watchLockNodes(newZk, root);
  const before = journals(f);
  const child = cliChild(f, ['migrate', '--cluster', cluster, '--to', newZk, '--method', 'copy', '--no-precopy', '--yes', '--json']);
  const file = await newJournal(f, before);
  await waitFor('the first run to hold the lock and act', () => readJournal(file).some((e) => e.kind === 'step-intent' && e.step === 'stop-followers'), 30000, 10);

  const second = await cli(f, ['migrate', '--cluster', cluster, '--to', newZk, '--method', 'copy', '--yes']);
  t.is(second.code, 1, second.out + second.err);
  t.regex(second.out, /already being migrated by run sandbox-/);

  const first = await child.done;
  const seen = await locks.stop();
  t.is(first.code, 0, first.err + first.out.slice(-3000));
  const events = first.out.trim().split('\n').map((l) => JSON.parse(l) as MigrateEvent);
  const end = events[events.length - 1]!;
  t.is(end.kind, 'run-end');
  if (end.kind === 'run-end') {
    t.is(end.outcome, 'succeeded');
    t.true(typeof end.summary.writeFreezeMs === 'number' && end.summary.writeFreezeMs > 0);
    t.deepEqual(Object.keys(end.summary.hosts).sort(), ['meta0', 'meta1', 'meta2']);
  }

  // The copy skipped the metas' ephemeral lock nodes, and none ever appeared persistent on the target.
  const copyDone = readJournal(file).find((e) => e.kind === 'step-done' && e.step === 'copy') as unknown;
  t.truthy(copyDone);
  const skipped = (copyDone as { data: { skippedEphemeral: string[] } }).data.skippedEphemeral;
  t.true(skipped.length > 0 && skipped.every((p) => /LOCKNODE\d{10}$/.test(p)), skipped.join(','));
  t.true(seen.length > 0, 'the watcher saw the new leader take its lock');
  t.deepEqual(seen.filter((s) => !s.ephemeral), []);

  const h = await health(f, newZk);
  t.is(h.verdict, 'healthy', h.problems.join('; '));
  for (const m of f.cluster.metas) t.regex(fs.readFileSync(m.metaConfig, 'utf8'), new RegExp(`\\[zookeeper\\]\\n  hosts_list = ${newZk.replace(/\./g, '\\.')}\\n`));
  const oldAfter = await treeFingerprint(oldZk, root);
  t.is(oldAfter.digest, oldBefore.digest);
  t.is(oldAfter.maxMzxid, oldBefore.maxMzxid);

  const status = await cli(f, ['status', '--json']);
  t.is(status.code, 0);
  t.like((JSON.parse(status.out) as { outcome: string }[]).find((r) => r.outcome === 'succeeded'), { method: 'copy', cluster });
});

test.serial('cleanup refuses the tree in use and deletes the old one; a DDL write during the copy is detected and copied again', async (t) => {
  const f = t.context.fleet;
  const { oldZk, newZk, clusterRoot: root, cluster } = f.info;
  const refused = await cli(f, ['cleanup', '--cluster', cluster, '--old', newZk, '--yes']);
  t.is(refused.code, 2);
  t.regex(refused.err, /still name|still runs on/);
  t.true((await treeFingerprint(newZk, root)).exists);
  const cleaned = await cli(f, ['cleanup', '--cluster', cluster, '--old', oldZk, '--yes']);
  t.is(cleaned.code, 0, cleaned.err);
  t.false((await treeFingerprint(oldZk, root)).exists);

  // Back to the old ensemble; right after the copy an operator drops a table: blind lets DDL through.
  const events: MigrateEvent[] = [];
  const shell = PegasusShell.forCluster(f.cluster);
  const r = await migrate(
    { inventory: f.info.inventory, cluster, to: oldZk, method: 'copy', precopy: false },
    {
      stateDir: f.stateDir,
      env: f.env,
      emit: (e) => events.push(e),
      afterStep: async (step) => {
        if (step !== 'copy') return;
        // At blind the drop writes the app node at once and then waits for partition updates the
        // level defers, so the shell call itself times out: let it, and wait for the ZooKeeper write.
        void shell.exec('drop orders', { timeoutMs: 20000 }).catch(() => undefined);
        await waitFor('the drop to reach ZooKeeper', () => withZk(newZk, async (s) => (await s.getData(`${root}/apps/3`)).data.toString().includes('AS_DROPPED')), 20000, 50);
      },
    },
  );
  t.is(r.outcome, 'succeeded', `${r.error?.message ?? ''} ${r.rolledBackBecause?.message ?? ''}`);
  t.true(events.some((e) => e.kind === 'warning' && /the source changed during the copy/.test(e.message) && /apps\/3/.test(e.message)));
  const check = readJournal(r.journal).find((e) => e.kind === 'step-done' && e.step === 'check-source') as { data: { copies: number } } | undefined;
  t.is(check?.data.copies, 2);
  t.is(await currentZk(f), oldZk);
  const apps = await shell.listApps();
  t.deepEqual(apps.apps.filter((a) => a.status === 'AVAILABLE').map((a) => a.appName).sort(), ['stat', 'temp']);
  const h = await health(f, oldZk);
  t.is(h.verdict, 'healthy', h.problems.join('; '));
});

test.serial('a non-empty target is refused before any change', async (t) => {
  const f = t.context.fleet;
  const { newZk, clusterRoot: root, cluster } = f.info;
  const shas = f.cluster.metas.map((m) => sha256File(m.metaConfig));
  const targetBefore = await treeFingerprint(newZk, root);
  t.true(targetBefore.exists && targetBefore.nodes > 0);
  const before = journals(f);
  const r = await cli(f, ['migrate', '--cluster', cluster, '--to', newZk, '--method', 'copy', '--yes']);
  t.is(r.code, 1, r.out + r.err);
  t.regex(r.out, /already has \/pegasus\/sandbox with \d+ child node/);
  t.regex(r.out, /ABORTED/);
  t.deepEqual(f.cluster.metas.map((m) => sha256File(m.metaConfig)), shas);
  t.is((await treeFingerprint(newZk, root)).digest, targetBefore.digest);
  const file = journals(f).find((j) => !before.includes(j))!;
  const steps = readJournal(file).filter((e) => e.kind === 'step-intent').map((e) => (e as { step: string }).step);
  t.deepEqual(steps, ['preflight']);
  t.is((await health(f, f.info.oldZk)).verdict, 'healthy');
});

test.serial('an agent that does not answer at preflight is refused before any change', async (t) => {
  const f = t.context.fleet;
  const { newZk, cluster } = f.info;
  t.is((await cli(f, ['cleanup', '--cluster', cluster, '--old', newZk, '--yes'])).code, 0);
  const pid = sandboxPids(f).agents['agent-meta2']!;
  process.kill(pid, 'SIGKILL');
  await waitFor('the agent to be gone', () => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  });
  const shas = f.cluster.metas.map((m) => sha256File(m.metaConfig));
  const r = await cli(f, ['migrate', '--cluster', cluster, '--to', newZk, '--method', 'copy', '--yes']);
  t.is(r.code, 1, r.out + r.err);
  t.regex(r.out, /agent of meta2 \(127\.0\.0\.1:\d+\) does not answer/);
  t.deepEqual(f.cluster.metas.map((m) => sha256File(m.metaConfig)), shas);
  t.false((await treeFingerprint(newZk, f.info.clusterRoot)).exists);
  const h = await health(f, f.info.oldZk);
  t.is(h.verdict, 'healthy', h.problems.join('; '));
});
