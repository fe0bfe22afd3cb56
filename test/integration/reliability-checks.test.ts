/**
 * The fault matrix's checks are not vacuous: against a real ZooKeeper holding a Pegasus tree and
 * real config files, they pass on an untouched state and report "data lost", "config BAD" or "two
 * leaders" when the tree, a file or the leadership is deliberately damaged.
 */
import anyTest, { TestFn } from 'ava';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { seedPegasusTree } from '../../coordinator/lib/zk/seed';
import { tempDir, waitFor } from '../harness/tmp';
import { startZk, ZkEnsemble } from '../harness/zookeeper';
import { withZk } from './migrate-support';
import { allowedConfigVersions, baseline, checkConfigs, checkData, checkOneEnsemble } from '../reliability/checks';
import { watchLeaders } from '../reliability/leader-monitor';
import { PEGASUS_CONFIG_FIXTURE } from '../harness/fixtures';

interface Ctx {
  a: { zk: ZkEnsemble; cleanup: () => Promise<void> };
  b: { zk: ZkEnsemble; cleanup: () => Promise<void> };
  tmp: { dir: string; cleanup: () => void };
  servers: http.Server[];
}
const test = anyTest as TestFn<Ctx>;
const ROOT = '/pegasus/checks';
const FIXTURE = PEGASUS_CONFIG_FIXTURE;

test.before(async (t) => {
  t.context.servers = [];
  t.context.tmp = tempDir('zkmig-rel-checks-');
  [t.context.a, t.context.b] = await Promise.all([startZk(), startZk()]);
});

test.after.always(async (t) => {
  for (const s of t.context.servers) s.close();
  await Promise.all([t.context.a?.cleanup(), t.context.b?.cleanup()]);
  t.context.tmp?.cleanup();
});

/** A config like the fixture, naming `zk` (the fixture has a %{...} placeholder there). */
function writeConfig(file: string, zk: string): void {
  const text = fs.existsSync(FIXTURE) ? fs.readFileSync(FIXTURE, 'utf8') : '[meta_server]\n  recover_from_replica_server = false\n[zookeeper]\n  hosts_list = x\n';
  fs.writeFileSync(file, text.replace(/^(\s*hosts_list\s*=).*$/m, `$1 ${zk}`));
}

test.serial('an untouched tree and configs pass; a changed node, a lost partition or a target missing a table are data lost', async (t) => {
  const { a, b } = t.context;
  const src = a.zk.connectString;
  const dst = b.zk.connectString;
  await seedPegasusTree(src, { root: ROOT, apps: 3, partitions: 4 });
  await seedPegasusTree(dst, { root: ROOT, apps: 3, partitions: 4 });
  const cfg = path.join(t.context.tmp.dir, 'meta0.ini');
  writeConfig(cfg, src);
  const b0 = await baseline(src, dst, ROOT, [cfg]);
  t.is(b0.tables.length, 3);

  const clean = await checkData(b0, dst, true, 'copy');
  t.deepEqual(clean.problems, []);
  t.true(clean.oldTreeUnchanged && clean.tablesKept && clean.newTreeEqual === true);

  // One byte of the old tree changes: the digest catches it although every table is still there.
  await withZk(src, async (s) => {
    const p = `${ROOT}/apps/1/0`;
    const d = (await s.getData(p)).data.toString();
    await s.setData(p, Buffer.from(d.replace('"ballot":', '"ballot":1')), -1);
  });
  const touched = await checkData(b0, dst, true, 'copy');
  t.false(touched.oldTreeUnchanged);
  t.regex(touched.problems.join('\n'), /old tree on .* changed/);

  // A partition lost on the tree the cluster serves from.
  await withZk(dst, (s) => s.remove(`${ROOT}/apps/2/3`, -1));
  const lost = await checkData(b0, dst, true, 'copy');
  t.false(lost.tablesKept);
  t.false(lost.newTreeEqual);
  t.regex(lost.problems.join('\n'), /missing \[2:/);
  t.regex(lost.problems.join('\n'), /copy: new tree has \d+ persistent nodes/);

  // A completed recover is judged on tables, not on node counts.
  await withZk(dst, (s) => s.create(`${ROOT}/apps/2/3`, Buffer.from('{}'), undefined, undefined));
  const rec = await checkData(await baseline(dst, src, ROOT, [cfg]), dst, false, 'recover');
  t.deepEqual(rec.problems, []);
});

test.serial('configs: the old or the new version passes; any other byte, or text that does not parse, is BAD', (t) => {
  const dir = t.context.tmp.dir;
  const src = '127.0.0.1:1111';
  const dst = '127.0.0.1:2222,127.0.0.1:2223';
  const files = ['m0.ini', 'm1.ini', 'm2.ini'].map((f) => path.join(dir, f));
  for (const f of files) writeConfig(f, src);
  const b = { source: src, target: dst, root: ROOT, old: { root: ROOT, nodes: 0, bytes: 0, digest: '', maxMzxid: '0', ephemeral: [], exists: true }, tables: [], configs: Object.fromEntries(files.map((f) => [f, fs.readFileSync(f)])) };

  const untouched = checkConfigs(b);
  t.true(untouched.ok, untouched.problems.join('; '));
  t.deepEqual(untouched.hostsLists, [src, src, src]);

  // The migration's own edit: hosts_list now names the target, on every file.
  for (const f of files) fs.writeFileSync(f, allowedConfigVersions(b.configs[f]!, dst)[1]!);
  const migrated = checkConfigs(b);
  t.true(migrated.ok, migrated.problems.join('; '));
  t.deepEqual(migrated.hostsLists, [dst, dst, dst]);

  // A half-written file (torn write) and a stray edit are both reported.
  fs.writeFileSync(files[1]!, b.configs[files[1]!]!.subarray(0, 200));
  fs.appendFileSync(files[2]!, '\n  hosts_list = 127.0.0.1:9\n');
  const bad = checkConfigs(b);
  t.false(bad.ok);
  t.regex(bad.problems.join('\n'), /m1\.ini is neither the old nor the new version/);
  t.regex(bad.problems.join('\n'), /m2\.ini is neither the old nor the new version/);

  fs.writeFileSync(files[0]!, '[zookeeper\nhosts_list = x\n');
  t.regex(checkConfigs(b).problems.join('\n'), /m0\.ini does not parse/);
});

/** A stand-in meta that answers the monitor's cluster_info as a leader (or as a follower). */
async function fakeMeta(t: { context: Ctx }, leads: () => boolean, zk: string): Promise<string> {
  const srv = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(leads() ? { err: 'ERR_OK', zookeeper_hosts: zk } : { err: 'ERR_FORWARD_TO_OTHERS', leader: '127.0.0.1:1' }));
    });
  });
  t.context.servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return `127.0.0.1:${(srv.address() as { port: number }).port}`;
}

test.serial('leaders: two metas claiming at once is split brain; one leader on the ensemble the configs name is one ensemble', async (t) => {
  let second = false;
  const m0 = await fakeMeta(t, () => true, 'zk-old:2181');
  const m1 = await fakeMeta(t, () => second, 'zk-new:2181');
  const w = watchLeaders([m0, m1], 20);
  try {
    // Rounds with a single leader: the monitor must stay quiet.
    await waitFor('three monitor rounds', () => w.peek().rounds >= 3, 10000, 10);
    t.is(w.peek().overlaps.length, 0);
    second = true;
    await waitFor('the overlap to be seen', () => w.peek().overlaps.length > 0, 10000, 10);
  } finally {
    await w.stop();
  }
  const seen = w.peek();
  t.deepEqual(seen.overlaps[0]!.leaders.map((l) => l.zk).sort(), ['zk-new:2181', 'zk-old:2181']);
  t.deepEqual([...seen.ensembles].sort(), ['zk-new:2181', 'zk-old:2181']);

  const split = await checkOneEnsemble([m0, m1], ['zk-old:2181', 'zk-old:2181']);
  t.false(split.oneEnsemble);
  t.regex(split.problems.join('\n'), /2 metas claim leadership/);
  second = false;
  const one = await checkOneEnsemble([m0, m1], ['zk-old:2181', 'zk-old:2181']);
  t.true(one.oneEnsemble, one.problems.join('; '));
  const mixed = await checkOneEnsemble([m0, m1], ['zk-old:2181', 'zk-new:2181']);
  t.false(mixed.oneEnsemble);
  t.regex(mixed.problems.join('\n'), /name 2 ensembles/);
});
