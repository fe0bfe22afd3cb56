/**
 * Guards against the operator's likeliest mistakes (issue 14 §2, §5), refused before any change:
 * `--to` naming the ensemble in use under another name, or sharing a server with it (exit 2, and
 * never a hint to delete the live tree); `--to` values the metas' ZooKeeper C client cannot use
 * (exit 2); active bulk loads / duplications / backup policies (refused unless
 * --allow-running-jobs). The cluster's tree is unchanged afterwards.
 */
import anyTest, { TestFn } from 'ava';
import { PegasusShell } from '../../coordinator/lib/shell';
import { cli, Fleet, health, journals, readJournal, startFleet, treeFingerprint, withZk } from './migrate-support';
import { digestId, PERM } from '../../coordinator/lib/zk/acl';
import { createRaw, withSession } from './zk-helpers';

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

test.serial('the meta level: blind is refused by the preflight (the stored level, asked because cluster_info shows blind); lively is accepted and shown', async (t) => {
  const f = t.context.fleet;
  const { newZk, clusterRoot: root } = f.info;
  const shell = PegasusShell.forCluster(f.cluster);
  await shell.setMetaLevel('blind');
  try {
    const r = await cli(f, base(f, newZk));
    t.is(r.code, 1, r.out + r.err);
    t.regex(r.err, /the stored meta level is blind; a migration starts from steady or lively/);
    t.regex(r.err, /effective meta level is blind, not steady or lively; set by set_meta_level/);
    // lively: the effective level is the stored one (only freezed differs), no get_meta_level needed.
    await shell.setMetaLevel('lively');
    const ok = await cli(f, base(f, newZk));
    t.is(ok.code, 0, ok.out + ok.err);
    t.regex(ok.out, /; meta level lively/);
  } finally {
    await shell.setMetaLevel('steady');
  }
  t.false((await treeFingerprint(newZk, root)).exists);
  t.is(await shell.getMetaLevel(), 'steady');
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

test.serial('a source node whose digest ACL the run sees masked (user:x): refused by the pre-copy before any meta stops (partial copy removed), by the preflight with --no-precopy', async (t) => {
  const f = t.context.fleet;
  const { oldZk, newZk, clusterRoot: root } = f.info;
  const alice = 'alice:wonderland';
  const node = `${root}/zkmig-masked-acl`;
  await withSession(oldZk, (s) => createRaw(s, node, Buffer.from('m'), [{ perms: PERM.READ, scheme: 'world', id: 'anyone' }, { perms: PERM.ALL, scheme: 'digest', id: digestId(alice) }]), alice);
  try {
    const before = await treeFingerprint(oldZk, root);
    // --no-precopy copies inside the write freeze: its preflight reads every ACL and refuses first.
    const late = await cli(f, [...base(f, newZk, 'migrate'), '--no-precopy']);
    t.is(late.code, 1, late.out + late.err);
    t.regex(late.out + late.err, new RegExp(`digest ACL of 1 node\\(s\\) masked as "user:x" \\(no ADMIN on them\\): ${node}; the copy would write wrong ACLs`));
    t.false((await treeFingerprint(newZk, root)).exists);
    // The plan of the default method leaves ACLs to the pre-copy's read, and says so.
    const plan = await cli(f, base(f, newZk, 'plan'));
    t.is(plan.code, 0, plan.out + plan.err);
    t.regex(plan.out, /ACLs: checked as the pre-copy reads them/);
    // The pre-copy meets the ACL as it copies: refused before that node is written and before any
    // meta stops; the automatic rollback removes what it had copied.
    const j0 = journals(f);
    const r = await cli(f, base(f, newZk, 'migrate'));
    t.is(r.code, 1, r.out + r.err);
    t.regex(r.out + r.err, new RegExp(`digest ACL of ${node} masked as "user:x" \\(no ADMIN on it\\): the copy would write a wrong ACL, so it stopped before writing that node`));
    const file = journals(f).find((x) => !j0.includes(x))!;
    const steps = readJournal(file).flatMap((e) => (e.kind === 'step-intent' ? [e.step] : []));
    t.true(steps.includes('precopy'), steps.join(','));
    t.false(steps.some((s) => s.startsWith('stop-')), `no meta was stopped: ${steps.join(',')}`);
    t.is((await treeFingerprint(oldZk, root)).digest, before.digest);
    t.false((await treeFingerprint(newZk, root)).exists, 'the partial copy was removed');
    t.is((await health(f, oldZk)).verdict, 'healthy');
  } finally {
    await withZk(oldZk, (s) => s.remove(node).catch(() => undefined));
  }
});

test.serial('a running duplication (add_dup), an enabled backup policy (add_backup_policy) and a bulk load (start_bulk_load) make migrate refuse before any change, naming them; --allow-running-jobs passes the preflight', async (t) => {
  const f = t.context.fleet;
  const { oldZk, newZk, clusterRoot: root } = f.info;
  const shell = PegasusShell.forCluster(f.cluster);
  const temp = (await shell.listApps()).apps.find((a) => a.appName === 'temp')!;
  // The real shell commands, as an operator would have left them running (the sandbox's metas have
  // cold_backup_disabled = false, so the backup service is active).
  const dup = await shell.exec('add_dup temp remote_cluster');
  const dupid = /dupid: (\d+)\]/.exec(dup.text)?.[1];
  t.truthy(dupid, dup.text);
  t.regex((await shell.exec(`add_backup_policy -p nightly -b local_service -a ${temp.appId} -i 86400 -s 01:00 -c 3`)).text, /add backup policy succeed/);
  // And a real bulk load (the test above writes its node by hand); it also lifts the level to steady.
  t.regex((await shell.exec('start_bulk_load -a orders -c remote_cluster -p local_service -r /bulk')).text, /start bulk load succeed/);
  const orders = (await shell.listApps()).apps.find((a) => a.appName === 'orders')!;
  // No --yes and no terminal: past the preflight the plan is shown and the confirmation answers no.
  const migrateArgs = ['migrate', '--cluster', f.info.cluster, '--to', newZk, '--method', 'copy'];
  const r = await cli(f, migrateArgs);
  t.is(r.code, 1, r.out + r.err);
  t.regex(r.out + r.err, /preflight found \d+ problem\(s\); nothing was changed/);
  t.regex(r.out + r.err, new RegExp(`1 duplication\\(s\\) running: ${dupid} of table id ${temp.appId} \\(DS_LOG\\) \\(pause_dup\\)`));
  t.regex(r.out + r.err, /1 backup polic\(y\/ies\) enabled: nightly \(disable_backup_policy\)/);
  t.regex(r.out + r.err, new RegExp(`bulk load in progress on table id ${orders.appId} \\(pause_bulk_load`));
  t.regex(r.out + r.err, /blind does not stop them.*--allow-running-jobs/);
  t.notRegex(r.out + r.err, /Not confirmed/, 'refused by the preflight, before the plan is shown');
  t.false((await treeFingerprint(newZk, root)).exists);

  const ok = await cli(f, [...migrateArgs, '--allow-running-jobs']);
  t.is(ok.code, 1, ok.out + ok.err);
  t.regex(ok.out + ok.err, /active \(--allow-running-jobs\): 1 duplication\(s\) running/);
  t.regex(ok.out + ok.err, /active \(--allow-running-jobs\): 1 backup polic\(y\/ies\) enabled: nightly/);
  t.regex(ok.out + ok.err, /Not confirmed .*; nothing was changed/, 'the preflight passed and the plan was shown');
  t.false((await treeFingerprint(newZk, root)).exists);
  // Nothing else changed: no meta was stopped, the level was not set to blind. (Last in this file:
  // the duplication and the bulk load stay, the sim shell has no command to remove them.)
  t.is(await shell.getMetaLevel(), 'steady');
  const h = await health(f, oldZk);
  t.true(h.checks.some((c) => c.name === 'metas' && c.status === 'pass'), h.problems.join('\n'));
});
