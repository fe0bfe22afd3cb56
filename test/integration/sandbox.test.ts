/**
 * `zkmig sandbox up|status|down` through the real CLI in child processes: `up --json` prints the
 * cluster, the inventory and both ensembles, and everything it started keeps running after it
 * exits; the inventory drives other commands; a second `up` leaves the running sandbox alone;
 * `down` stops every process (by pid and by marker) and leaves nothing running.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sandboxDown } from '../../coordinator/lib/sandbox';
import { findByMarker } from '../../coordinator/lib/sandbox/processes';
import { readState } from '../../coordinator/lib/sandbox/state';
import { ZkSession } from '../../shared/zk/client';
import { tempDir } from '../harness/tmp';

const CLI = path.join(__dirname, '..', '..', 'coordinator', 'cli.js');
const tmp = tempDir('zkmig-sandbox-');
const dir = path.join(tmp.dir, 'sb');

function zkmig(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 170000, env: { ...process.env, ZKMIG_SANDBOX_DIR: dir } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
};

test.after.always(async () => {
  await sandboxDown(dir).catch(() => undefined);
  tmp.cleanup();
});

test.serial('sandbox up / status / down: a complete fleet that outlives "up", and nothing left after "down"', async (t) => {
  const up = zkmig(['sandbox', 'up', '--json']);
  t.is(up.code, 0, up.err);
  const info = JSON.parse(up.out) as { cluster: string; inventory: string; oldZk: string; newZk: string; clusterRoot: string; alreadyUp: boolean };
  t.like(info, { cluster: 'sandbox', inventory: path.join(fs.realpathSync(dir), 'inventory.yaml'), clusterRoot: '/pegasus/sandbox', alreadyUp: false });
  t.true(fs.existsSync(info.inventory));

  // Both ensembles answer; the cluster's tree is on the old one only.
  for (const [zk, has] of [[info.oldZk, true], [info.newZk, false]] as const) {
    const s = await ZkSession.connect(zk, { sessionTimeoutMs: 5000 });
    t.is((await s.exists(info.clusterRoot)) !== null, has, zk);
    s.close();
  }

  const st = zkmig(['sandbox', 'status', '--json']);
  t.is(st.code, 0, st.out);
  const status = JSON.parse(st.out) as { allUp: boolean; processes: { name: string; kind: string; pid: number; alive: boolean }[] };
  t.true(status.allUp);
  t.deepEqual(status.processes.map((p) => p.kind).sort(), ['agent', 'agent', 'agent', 'meta', 'meta', 'meta', 'replica', 'replica', 'replica', 'zookeeper', 'zookeeper']);
  // The metas are run by the agents (command backend), not by "sandbox up".
  const s = readState(fs.realpathSync(dir))!;
  for (const m of s.metas) t.true(fs.existsSync(m.pidFile) && m.pidFile.includes(`${path.sep}agents${path.sep}`));

  // The inventory drives the other commands: health through the simulated shell and the agents.
  const h = spawnSync(process.execPath, [CLI, 'health', '-i', info.inventory, '--cluster', info.cluster, '--json'], { encoding: 'utf8' });
  t.is(h.status, 0, h.stdout + h.stderr);
  t.like(JSON.parse(h.stdout), { verdict: 'healthy' });

  const again = zkmig(['sandbox', 'up', '--json']);
  t.is(again.code, 0, again.err);
  t.like(JSON.parse(again.out), { alreadyUp: true, oldZk: info.oldZk });

  const pids = status.processes.map((p) => p.pid);
  t.true(pids.every(alive));
  const down = zkmig(['sandbox', 'down']);
  t.is(down.code, 0, down.err);
  t.regex(down.out, /is down \(11 process\(es\) stopped\)/);
  t.deepEqual(pids.filter(alive), []);
  t.deepEqual(findByMarker(s.id, s.javaMarker), []);
  const after = zkmig(['sandbox', 'status']);
  t.is(after.code, 2);
  t.regex(after.out, /No sandbox/);
});
