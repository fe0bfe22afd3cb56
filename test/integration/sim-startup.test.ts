import * as path from 'node:path';
import { simZkTest } from '../harness/sim-fixture';
import { waitFor } from '../harness/tmp';
import { SimCluster, isFullyHealthy } from '../../sim/cluster';

/**
 * Start-up honesty (src/meta/server_state.cpp initialize_node_state, meta_service.cpp start): a
 * freshly started leader marks every node named in a partition config ALIVE before any beacon, and
 * only after fd_grace_seconds without one are they UNALIVE. Its health right after start is no proof.
 */

const test = simZkTest();

test.serial('a freshly started leader reports dead replica servers ALIVE and the cluster healthy until fd_grace_seconds pass', async (t) => {
  const c = await SimCluster.create({ baseDir: path.join(t.context.tmp.dir, 'up'), zkHosts: t.context.zk.connectString, clusterName: 'up', metaCount: 1, timing: { fdLeaseSeconds: 8, fdGraceSeconds: 10 } });
  t.context.clusters.push(c);
  c.startAll();
  await c.waitHealthy();
  // Every replica server dies, then the meta restarts.
  for (const [i] of c.replicas.entries()) await c.killReplica(i);
  await c.killMeta(0);
  // The grace runs from the leader's start, which is after this and before waitForLeader returns:
  // time from here is an upper bound for the lower-bound check below, whatever the machine's load.
  const spawned = Date.now();
  c.startMeta(0);
  await c.waitForLeader();
  const started = Date.now();
  const r = await c.shell(['ls -d', 'nodes'], { rpcTimeoutMs: 3000 });
  const firstLook = Date.now() - started;
  t.true(firstLook < c.timing.fdGraceSeconds * 1000, `looked ${firstLook} ms after start, within the grace`);
  t.true(isFullyHealthy(r.stdout), r.stdout);
  for (const n of c.replicas) t.regex(r.stdout, new RegExp(`^${n.address.replace(/\./g, '\\.')}\\s+ALIVE`, 'm'), 'no replica server runs, yet it is ALIVE');
  // After the grace the truth shows.
  await waitFor(
    'every replica server UNALIVE',
    async () => {
      const n = await c.shell('nodes', { rpcTimeoutMs: 3000 });
      return c.replicas.every((x) => new RegExp(`^${x.address.replace(/\./g, '\\.')}\\s+UNALIVE`, 'm').test(n.stdout));
    },
    60000,
  );
  const unalive = Date.now() - spawned;
  t.true(unalive >= c.timing.fdGraceSeconds * 1000, `UNALIVE ${unalive} ms after the meta was started, grace ${c.timing.fdGraceSeconds} s`);
});
