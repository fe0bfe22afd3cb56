/**
 * `zkmig sandbox up --profile large` through the real CLI: the production-size cluster (40 tables ×
 * 256 partitions × 3 replicas over 5 replica servers, 350 dropped tables kept in the tree: 100,231
 * znodes under apps) comes up healthy, the leader having loaded the whole tree, and `zkmig health`
 * through the inventory says so. Start time and memory are measured by `npm run bench -- sandbox`,
 * not here.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sandboxDown } from '../../coordinator/lib/sandbox';
import { readState } from '../../coordinator/lib/sandbox/state';
import { ZkSession } from '../../shared/zk/client';
import { tempDir } from '../harness/tmp';

const CLI = path.join(__dirname, '..', '..', 'coordinator', 'cli.js');
const tmp = tempDir('zkmig-sandbox-large-');
const dir = path.join(tmp.dir, 'sb');

function zkmig(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) => p.on('close', (code) => resolve({ code, out, err })));
}

test.after.always(async () => {
  await sandboxDown(dir).catch(() => undefined);
  tmp.cleanup();
});

test.serial('the large profile comes up healthy with 10,240 live partitions on a 100,231-znode tree', async (t) => {
  t.timeout(600000);
  const up = await zkmig(['sandbox', 'up', '--profile', 'large', '--dir', dir, '--json']);
  t.is(up.code, 0, up.err.slice(-3000));
  const info = JSON.parse(up.out) as { cluster: string; inventory: string; oldZk: string; clusterRoot: string };

  const s = await ZkSession.connect(info.oldZk, { sessionTimeoutMs: 10000 });
  try {
    const apps = await s.getChildren(`${info.clusterRoot}/apps`);
    t.is(apps.length, 390, '350 dropped + 40 live tables');
    t.is((await s.getChildren(`${info.clusterRoot}/apps/351`)).length, 256);
  } finally {
    s.close();
  }
  // The leader loaded every node of the tree (its log line, sim/meta/app-store.ts).
  const st = readState(fs.realpathSync(dir))!;
  const logs = st.metas.map((m) => fs.readFileSync(m.log, 'utf8')).join('\n');
  t.regex(logs, /read 100230 nodes from remote storage in \d+ ms/);

  const h = await zkmig(['health', '-i', info.inventory, '--cluster', info.cluster, '--json']);
  t.is(h.code, 0, h.out + h.err);
  const report = JSON.parse(h.out) as { verdict: string; nodes: { alive: number }; tables: { total: number; fullyHealthy: number } };
  t.like(report, { verdict: 'healthy', nodes: { alive: 5 }, tables: { total: 40, fullyHealthy: 40 } }, h.out);
});
