import anyTest, { TestFn } from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatArgv } from '../../coordinator/lib/shell/argv';
import { SIM_BIN, SimCluster } from '../../sim/cluster';
import { tempDir } from '../harness/tmp';
import { startZk } from '../harness/zookeeper';
import { zkmig } from './zk-helpers';

// zkmig meta-level against the Pegasus simulator, through the inventory's pegasus_shell.
interface Ctx {
  inv: string;
  cleanups: (() => void | Promise<void>)[];
}
const test = anyTest as TestFn<Ctx>;

test.before(async (t) => {
  const cleanups: (() => void | Promise<void>)[] = [];
  t.context = { cleanups } as unknown as Ctx;
  const z = await startZk();
  cleanups.push(z.cleanup);
  const tmp = tempDir('zkmig-meta-level-');
  cleanups.push(tmp.cleanup);
  const cluster = await SimCluster.create({ baseDir: path.join(tmp.dir, 'sim'), zkHosts: z.zk.connectString });
  cleanups.unshift(() => cluster.close());
  cluster.startAll();
  await cluster.waitForLeader();
  const inv = path.join(tmp.dir, 'inventory.ini');
  fs.writeFileSync(
    inv,
    [
      '[all:vars]',
      'meta_config=/unused/config.ini',
      'agent_ca_file=/unused/ca.pem',
      'agent_cert_file=/unused/c.pem',
      'agent_key_file=/unused/c.key',
      `pegasus_shell=${JSON.stringify(`${formatArgv([process.execPath, SIM_BIN.shell])} --cluster {meta_servers}`)}`,
      '[pegasus_clusters:children]',
      'sim',
      '[sim]',
      ...cluster.metas.map((m, i) => `meta${i} ansible_host=127.0.0.1 meta_port=${m.port}`),
    ].join('\n'),
  );
  t.context = { inv, cleanups };
});

test.after.always(async (t) => {
  for (const c of t.context.cleanups ?? []) await c();
});

test.serial('meta-level shows the level, --check changes nothing, --yes sets it and back', async (t) => {
  const run = (...a: string[]) => zkmig(['meta-level', '-i', t.context.inv, ...a]);
  const shown = await run('--json');
  t.is(shown.code, 0, shown.err);
  const before = (JSON.parse(shown.out) as { level: string }).level;
  t.true(['steady', 'lively'].includes(before), before);
  const check = await run('blind', '--check');
  t.is(check.code, 0, check.err);
  t.regex(check.out, new RegExp(`^sim: meta level ${before} \\(check: would set blind\\)$`, 'm'));
  t.regex((await run()).out, new RegExp(`meta level ${before}\\n`));
  const refused = await run('blind');
  t.is(refused.code, 2);
  t.regex(refused.err, /without --yes/);
  const set = await run('blind', '--yes');
  t.is(set.code, 0, set.err);
  t.is(set.out, `sim: meta level ${before} -> blind\n`);
  t.regex((await run()).out, /meta level blind\n/);
  t.is((await run(before, '--yes')).code, 0);
  t.regex((await run()).out, new RegExp(`meta level ${before}\\n`));
  const bad = await run('sideways');
  t.is(bad.code, 2);
  t.regex(bad.err, /meta level "sideways" is not one of stopped, blind, freezed, steady, lively/);
});
