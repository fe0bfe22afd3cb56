/**
 * The pre-copy's proof inside whole migrations (`zkmig migrate --method copy`, the pre-copy being
 * the default) on a sandbox fleet (two real ZooKeepers, real agents running simulated metas):
 *
 *  - `--verify full` (the real CLI, --json): finalize records a full comparison of both trees, and
 *    the run ends healthy on the new ensemble with the frozen source's digest;
 *  - someone else writes the TARGET after the pre-copy (a node changed, created, deleted, an ACL
 *    set): the follower watches the target too and its ACL sweep covers both sides, so finalize
 *    undoes every such write and still proves the copy by the delta;
 *  - a foreign write on the target racing the proof (the `beforeProof` test seam, in-process only:
 *    it lands after the last round): the proof fails, finalize falls back to the full copy
 *    (--on-exists sync, verified in full), says so in a warning, and the target ends equal to the
 *    frozen source.
 *
 * Each migration goes to the ensemble the previous one left (nextMigration empties it first). The
 * foreign writes go to `<root>/operator`, a subtree the metas never write, so that it can be
 * compared on both ensembles after the cutover; the rest of the tree is compared through finalize's
 * digest, which must be the frozen source's.
 */
import anyTest, { ExecutionContext, TestFn } from 'ava';
import { migrate, MigrateEvent, RunResult } from '../../coordinator/lib/migrate';
import type { JournalEntry } from '../../coordinator/lib/migrate/journal';
import { digestId, PERM } from '../../coordinator/lib/zk/acl';
import { zk, ZkSession } from '../../shared/zk/client';
import { cli, currentZk, Fleet, health, journals, nextMigration, readJournal, startFleet, treeFingerprint, withZk } from './migrate-support';

const test = anyTest as TestFn<{ fleet: Fleet }>;

const PRECOPY_STEPS = ['preflight', 'precopy', 'stop-followers', 'set-blind', 'stop-leader', 'finalize', 'update-configs', 'start-leader', 'wait-leader', 'start-followers', 'final-health'];

test.before(async (t) => {
  t.context.fleet = await startFleet('zkmig-mig-precopy-proof-');
});

test.after.always(async (t) => {
  await t.context.fleet?.close();
});

function stepData(entries: readonly JournalEntry[], step: string): Record<string, unknown> {
  const e = entries.find((x) => x.kind === 'step-done' && x.step === step);
  return e && e.kind === 'step-done' ? e.data : {};
}

function doneSteps(entries: readonly JournalEntry[]): string[] {
  return entries.flatMap((e) => (e.kind === 'step-done' ? [e.step] : []));
}

function setAcl(s: ZkSession, path: string, perms: number): Promise<void> {
  return new Promise((resolve, reject) => s.client.setACL(path, [new zk.ACL(perms, new zk.Id('world', 'anyone'))], -1, (e) => (e ? reject(e) : resolve())));
}

/** `<root>/operator` with three children on the source: nodes no meta writes, for the foreign writes. */
async function seedOperatorNodes(hosts: string, root: string): Promise<string> {
  const dir = `${root}/operator`;
  await withZk(hosts, async (s) => {
    if (await s.exists(dir)) return;
    await s.create(dir, Buffer.from('kept by an operator'));
    for (const c of ['a', 'b', 'c']) await s.create(`${dir}/${c}`, Buffer.from(`node ${c}`));
  });
  return dir;
}

test.serial('--verify full: finalize compares both trees in full; healthy on the new ensemble with the frozen source digest', async (t) => {
  t.timeout(5 * 60_000);
  const f = t.context.fleet;
  const { from, to } = await nextMigration(f);
  const before = journals(f);
  const r = await cli(f, ['migrate', '--cluster', f.info.cluster, '--to', to, '--method', 'copy', '--verify', 'full', '--yes', '--json']);
  t.is(r.code, 0, r.err + r.out.slice(-3000));
  const events = r.out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as MigrateEvent);
  const fin = events.find((e): e is Extract<MigrateEvent, { kind: 'step-done' }> => e.kind === 'step-done' && e.step === 'finalize');
  t.regex(fin?.summary ?? '', /proven equal to the frozen source by a full comparison \(a full comparison was asked for\)/);
  t.false(
    events.some((e) => e.kind === 'warning' && /proof failed/.test(e.message)),
    'no fallback',
  );
  const file = journals(f).find((j) => !before.includes(j))!;
  const entries = readJournal(file);
  t.deepEqual(doneSteps(entries), PRECOPY_STEPS);
  const data = stepData(entries, 'finalize');
  t.is(data.proof, 'full', JSON.stringify(data));
  t.is(data.fallback, 'a full comparison was asked for');
  t.true((data.nodes as number) > 0);
  // The full proof found source and target equal with this digest; the source has been frozen since.
  t.is(data.digest, (await treeFingerprint(from, f.info.clusterRoot)).digest);
  t.is(await currentZk(f), to);
  const h = await health(f, to);
  t.is(h.verdict, 'healthy', h.problems.join('; '));
});

test.serial('foreign writes on the target after the pre-copy (changed, created, deleted, ACL set): finalize undoes them and proves the copy by the delta', async (t) => {
  t.timeout(5 * 60_000);
  const f = t.context.fleet;
  const root = f.info.clusterRoot;
  const { from, to } = await nextMigration(f);
  const dir = await seedOperatorNodes(from, root);
  const r = await migrate(
    { inventory: f.info.inventory, cluster: f.info.cluster, to, method: 'copy' },
    {
      stateDir: f.stateDir,
      env: f.env,
      emit: () => undefined,
      afterStep: async (step) => {
        if (step !== 'precopy') return;
        // The pre-copy is done and the follower runs: someone else writes the target now.
        await withZk(to, async (s) => {
          await s.setData(`${dir}/a`, Buffer.from('foreign data'));
          await s.remove(`${dir}/b`);
          await s.create(`${dir}/stray`, Buffer.from('foreign node'));
          // setACL fires no watch: only finalize's ACL sweep of the target can see it.
          await setAcl(s, `${dir}/c`, PERM.READ | PERM.ADMIN);
        });
        t.not((await treeFingerprint(to, dir)).digest, (await treeFingerprint(from, dir)).digest, 'the foreign writes made the target differ');
      },
    },
  );
  t.is(r.outcome, 'succeeded', `${r.error?.message ?? ''} ${r.rolledBackBecause?.message ?? ''}`);
  const entries = readJournal(r.journal);
  t.deepEqual(doneSteps(entries), PRECOPY_STEPS);
  const fin = stepData(entries, 'finalize');
  t.is(fin.proof, 'delta', JSON.stringify(fin));
  t.is(fin.fallback, undefined);
  // Undone by the follower's background rounds before the freeze, or by finalize's last delta.
  t.true((fin.applied as number) + (fin.appliedSincePrecopy as number) >= 4, `the four foreign writes were undone: ${JSON.stringify(fin)}`);
  t.is(fin.digest, (await treeFingerprint(from, root)).digest, 'the proven target is the frozen source');
  // No meta writes there: the subtree is still what the proof saw, on both ensembles, ACLs included.
  const [a, b] = await Promise.all([treeFingerprint(from, dir), treeFingerprint(to, dir)]);
  t.is(a.nodes, 4);
  t.is(b.digest, a.digest);
  t.is(await currentZk(f), to);
  const h = await health(f, to);
  t.is(h.verdict, 'healthy', h.problems.join('; '));
});

test.serial('a foreign write on the target racing the proof: the proof fails, finalize falls back to the full copy with a warning, the target ends equal to the frozen source', async (t) => {
  t.timeout(5 * 60_000);
  const f = t.context.fleet;
  const root = f.info.clusterRoot;
  const { from, to } = await nextMigration(f);
  const dir = await seedOperatorNodes(from, root);
  const events: MigrateEvent[] = [];
  let raced = false;
  const r = await migrate(
    { inventory: f.info.inventory, cluster: f.info.cluster, to, method: 'copy' },
    {
      stateDir: f.stateDir,
      env: f.env,
      emit: (e) => events.push(e),
      testHooks: {
        // After the last round, before the proof: what a writer on the target racing it would do.
        beforeProof: async () => {
          await withZk(to, async (s) => {
            await s.setData(`${dir}/a`, Buffer.from('racing the proof'));
            await s.create(`${dir}/stray`, Buffer.from('racing the proof'));
          });
          raced = true;
        },
      },
    },
  );
  t.true(raced, 'the seam ran inside finalize');
  t.is(r.outcome, 'succeeded', `${r.error?.message ?? ''} ${r.rolledBackBecause?.message ?? ''}`);
  const entries = readJournal(r.journal);
  t.deepEqual(doneSteps(entries), PRECOPY_STEPS);
  const fin = stepData(entries, 'finalize');
  t.is(fin.proof, 'copy', JSON.stringify(fin));
  t.regex(String(fin.fallback), /^the pre-copy's proof failed \(.*is not proven equal to the source.*changed after the last round/);
  t.regex(String(fin.summary), /full copy \(--on-exists sync\) of \d+ nodes .*both trees verified in full/);
  const warned = events.filter((e): e is Extract<MigrateEvent, { kind: 'warning' }> => e.kind === 'warning' && e.step === 'finalize');
  t.true(
    warned.some((w) => /^the pre-copy's proof failed .*: copying \S+ in full \(--on-exists sync\) and verifying both trees in full instead$/.test(w.message)),
    JSON.stringify(warned),
  );
  t.is(fin.digest, (await treeFingerprint(from, root)).digest, 'the full copy made the target the frozen source');
  const [a, b] = await Promise.all([treeFingerprint(from, dir), treeFingerprint(to, dir)]);
  t.is(b.digest, a.digest, 'the racing writes were undone by the full copy');
  t.is(await currentZk(f), to);
  const h = await health(f, to);
  t.is(h.verdict, 'healthy', h.problems.join('; '));
});

/** alice's digest ACL, with world rights `world` but never ADMIN: zkmig's sessions (no digest login) see "alice:x". */
function maskedAcl(world: number): zk.ACL[] {
  return [new zk.ACL(PERM.ALL, new zk.Id('digest', digestId('alice:secret'))), new zk.ACL(world, new zk.Id('world', 'anyone'))];
}

/**
 * A migration during which `write` gives `<root>/operator/<node>` on the source an ACL the run sees
 * masked, right after the pre-copy (the precopy step-done event): the run must refuse it before the
 * write freeze and roll back, the target removed, the cluster healthy on the old ensemble. The node
 * is put back as it was (open, "node <node>") for the next runs. Returns the run and the node's path.
 */
async function refusedAfterPrecopy(t: ExecutionContext<{ fleet: Fleet }>, node: string, write: (s: ZkSession, path: string) => Promise<void>): Promise<{ r: RunResult; path: string; to: string }> {
  const f = t.context.fleet;
  const root = f.info.clusterRoot;
  const { from, to } = await nextMigration(f);
  const path = `${await seedOperatorNodes(from, root)}/${node}`;
  let wrote: Promise<void> | undefined;
  try {
    const r = await migrate(
      { inventory: f.info.inventory, cluster: f.info.cluster, to, method: 'copy' },
      {
        stateDir: f.stateDir,
        env: f.env,
        emit: (e) => {
          if (e.kind === 'step-done' && e.step === 'precopy') wrote = withZk(from, (s) => write(s, path));
        },
      },
    );
    await wrote;
    t.is(r.outcome, 'rolled-back', r.error?.message ?? '');
    const steps = readJournal(r.journal).flatMap((e) => (e.kind === 'step-intent' ? [e.step] : []));
    t.false(steps.includes('set-blind') || steps.includes('stop-leader'), `no write freeze: ${steps.join(',')}`);
    t.false((await treeFingerprint(to, root)).exists, 'the partial copy was removed');
    t.is(await currentZk(f), from);
    const h = await health(f, from);
    t.is(h.verdict, 'healthy', h.problems.join('; '));
    return { r, path, to };
  } finally {
    await wrote?.catch(() => undefined);
    // World has DELETE on the parent: remove the node and recreate it open for the next runs.
    await withZk(from, async (s) => {
      await s.remove(path).catch(() => undefined);
      await s.create(path, Buffer.from(`node ${node}`)).catch(() => undefined);
    });
  }
}

test.serial('a node recreated after the pre-copy with an ACL the run sees masked: a catch-up round refuses it before the write freeze; rolled back, the target removed', async (t) => {
  t.timeout(5 * 60_000);
  // Recreated (watched events), so a background round reads its ACL.
  const { r, path, to } = await refusedAfterPrecopy(t, 'b', async (s, p) => {
    await s.remove(p);
    await new Promise<void>((res, rej) => s.client.create(p, Buffer.from('masked'), maskedAcl(PERM.READ), zk.CreateMode.PERSISTENT, (err) => (err ? rej(err) : res())));
  });
  t.regex(r.rolledBackBecause?.message ?? '', new RegExp(`digest ACL of ${path} masked as "user:x".*found by a catch-up round after the pre-copy; refused before the write freeze`));
  const steps = readJournal(r.journal).flatMap((e) => (e.kind === 'step-intent' ? [e.step] : []));
  t.true(steps.includes('stop-followers'), steps.join(','));
  await withZk(to, async (s) => t.is(await s.exists(path), null));
});

test.serial('an ACL set after the pre-copy to one the run sees masked (setACL: no watch): the sweep before the freeze finds it, its round refuses it, stop-followers fails; rolled back', async (t) => {
  t.timeout(5 * 60_000);
  // setACL fires no watch: no background round sees it, only the ACL sweep of stop-followers.
  const masked = maskedAcl(PERM.READ | PERM.WRITE | PERM.DELETE | PERM.CREATE);
  const { r, path } = await refusedAfterPrecopy(t, 'c', (s, p) => new Promise<void>((res, rej) => s.client.setACL(p, masked, -1, (err) => (err ? rej(err) : res()))));
  t.regex(r.rolledBackBecause?.message ?? '', new RegExp(`digest ACL of ${path} masked as "user:x".*refused before the write freeze`));
  t.true(readJournal(r.journal).some((e) => e.kind === 'step-failed' && e.step === 'stop-followers'));
});
