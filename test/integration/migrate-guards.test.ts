/**
 * Guards against the operator's likeliest mistakes (issue 14 §2, §5), refused before any change:
 * `--to` naming the ensemble in use under another name, or sharing a server with it (exit 2, and
 * never a hint to delete the live tree); `--to` values the metas' ZooKeeper C client cannot use
 * (exit 2); active bulk loads / duplications / backup policies (refused unless
 * --allow-running-jobs). The cluster's tree is unchanged afterwards.
 */
import anyTest, { TestFn } from 'ava';
import { cli, Fleet, journals, startFleet, treeFingerprint, withZk } from './migrate-support';

const test = anyTest as TestFn<{ fleet: Fleet }>;

test.before(async (t) => {
  t.context.fleet = await startFleet('zkmig-mig-guards-');
});

test.after.always(async (t) => {
  await t.context.fleet?.close();
});

const base = (f: Fleet, to: string, cmd = 'plan'): string[] => [cmd, '--cluster', f.info.cluster, '--to', to, '--method', 'copy', ...(cmd === 'migrate' ? ['--yes'] : [])];

test.serial('--to naming the ensemble in use as localhost, or sharing a server with it, is refused with exit 2 and no delete hint', async (t) => {
  const f = t.context.fleet;
  const { oldZk, newZk, clusterRoot: root } = f.info;
  const before = await treeFingerprint(oldZk, root);
  const alias = oldZk.replace(/127\.0\.0\.1/g, 'localhost');
  t.not(alias, oldZk);
  for (const cmd of ['plan', 'migrate']) {
    const r = await cli(f, base(f, alias, cmd));
    t.is(r.code, 2, `${cmd}: ${r.out}${r.err}`);
    t.regex(r.out + r.err, /is the ensemble the cluster already uses .*other names/, `${cmd}: ${r.out}${r.err}`);
    t.notRegex(r.out + r.err, /zk rm/);
  }
  const mixed = await cli(f, base(f, `${newZk},${alias}`, 'migrate'));
  t.is(mixed.code, 2, mixed.out + mixed.err);
  t.regex(mixed.out + mixed.err, /shares server\(s\) with the ensemble the cluster uses now/);
  t.is((await treeFingerprint(oldZk, root)).digest, before.digest);
  t.false((await treeFingerprint(newZk, root)).exists);
});

test.serial('--to values the ZooKeeper C client cannot use are refused with exit 2 before any journal exists', async (t) => {
  const f = t.context.fleet;
  const n0 = journals(f).length;
  for (const [to, why] of [
    ['[::1]:2181', /IPv6 literal in brackets/],
    [`${f.info.newZk},,${f.info.newZk}`, /is empty/],
    [`${f.info.newZk},${f.info.newZk}`, /listed twice/],
    ['zk1', /no valid port/],
  ] as const) {
    const r = await cli(f, base(f, to, 'migrate'));
    t.is(r.code, 2, `${to}: ${r.out}${r.err}`);
    t.regex(r.err, why, to);
  }
  t.is(journals(f).length, n0);
});

test.serial('an active bulk load or backup policy is refused by default, named with what to pause; --allow-running-jobs accepts it', async (t) => {
  const f = t.context.fleet;
  const { oldZk, clusterRoot: root } = f.info;
  await withZk(oldZk, async (s) => {
    await s.create(`${root}/bulk_load`);
    await s.create(`${root}/bulk_load/2`, Buffer.from('{"status":"bulk_load_status::BLS_DOWNLOADING"}'));
  });
  try {
    const r = await cli(f, base(f, f.info.newZk));
    t.is(r.code, 1, r.out + r.err);
    t.regex(r.err, /bulk load in progress on table id 2 \(pause_bulk_load/);
    t.regex(r.err, /--allow-running-jobs/);
    const ok = await cli(f, [...base(f, f.info.newZk), '--allow-running-jobs']);
    t.is(ok.code, 0, ok.out + ok.err);
    t.regex(ok.err, /active \(--allow-running-jobs\): bulk load in progress/);
  } finally {
    await withZk(oldZk, async (s) => {
      for (const p of [`${root}/bulk_load/2`, `${root}/bulk_load`]) await s.remove(p).catch(() => undefined);
    });
  }
});

test.serial('recover --allow-unalive without a terminal is refused (exit 2, the abort risk named) unless --yes-unalive; nothing is journaled or changed', async (t) => {
  const f = t.context.fleet;
  const { oldZk, newZk, clusterRoot: root } = f.info;
  const before = await treeFingerprint(oldZk, root);
  const n0 = journals(f).length;
  const recover = ['migrate', '--cluster', f.info.cluster, '--to', newZk, '--method', 'recover', '--allow-unalive'];
  // No terminal (the in-process CLI has none), with and without --yes, and with --json.
  for (const extra of [[], ['--yes'], ['--yes', '--json']]) {
    const r = await cli(f, [...recover, ...extra]);
    t.is(r.code, 2, `${extra.join(' ')}: ${r.out}${r.err}`);
    t.regex(r.err, /--allow-unalive needs a second confirmation: .*makes every meta abort .*server_state::on_config_sync.*pass --yes-unalive/, extra.join(' '));
  }
  t.is(journals(f).length, n0);
  t.is((await treeFingerprint(oldZk, root)).digest, before.digest);
  t.false((await treeFingerprint(newZk, root)).exists);
});
