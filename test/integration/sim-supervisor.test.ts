import * as fs from 'node:fs';
import * as path from 'node:path';
import { simZkTest } from '../harness/sim-fixture';
import { SimCluster } from '../../sim/cluster';
import { FAIL_NEXT_START_FILE } from '../../sim/common/fault-flags';

/**
 * The supervisor mode (supervisord `autorestart=true`, systemd `Restart=always`): a supervised meta
 * comes back by itself after a kill or after exiting on its own, and stays down once unsupervised.
 */

const test = simZkTest();

test.serial('a supervised meta comes back by itself after SIGKILL and after a failed start; unsupervised it stays down', async (t) => {
  const c = await SimCluster.create({ baseDir: path.join(t.context.tmp.dir, 'sup'), zkHosts: t.context.zk.connectString, clusterName: 'sup', supervise: [1] });
  t.context.clusters.push(c);
  c.startAll();
  await c.waitForLeader();
  t.true(c.metas[1]!.supervised);
  t.falsy(c.metas[0]!.supervised);

  // kill -9: the supervisor restarts it; the restarted process joins the election again.
  const pid1 = c.metas[1]!.proc!.pid;
  await c.killMeta(1);
  const pid2 = await c.waitRestarted(1, pid1);
  t.not(pid2, pid1);
  t.is(c.metas[1]!.restarts, 1);
  t.regex(c.log(c.metas[1]!), /\[supervisor\] meta1 exited, restart #1/);

  // A start that fails (exit 1) is restarted too, and the next start succeeds.
  fs.writeFileSync(path.join(c.metas[1]!.dir, FAIL_NEXT_START_FILE), '');
  await c.killMeta(1);
  await c.waitRestarted(1, pid2);
  const failed = await c.waitExit(c.metas[1]!, 20000);
  t.is(failed.code, 1);
  const pid4 = await c.waitRestarted(1, c.metas[1]!.proc!.pid);
  t.true(c.metas[1]!.restarts! >= 3);
  // The leader dies: the supervised follower takes over (and the unsupervised leader stays dead).
  await c.killMeta(0);
  await new Promise((r) => setTimeout(r, 1500));
  t.false(c.isRunning(c.metas[0]!), 'an unsupervised meta is not restarted');
  t.is(await c.waitForLeader(30000), c.metas[1]!.address);
  t.is(c.metas[1]!.proc!.pid, pid4);

  // Unsupervised, a stop is final.
  c.setSupervised(1, false);
  await c.stopMeta(1);
  await new Promise((r) => setTimeout(r, 1500));
  t.false(c.isRunning(c.metas[1]!));
});
