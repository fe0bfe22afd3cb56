import { connectZk, PreflightFacts, TableFacts } from './preflight';
import type { StepContext } from './runner';
import { sleep } from './steps-common';
import { trustAfterStartMs } from './timing';
import { readTree } from '../zk/tree-read';

/** Helpers for what the steps may believe after a leader starts, and about the cluster's size. */

/** Partitions of the tables the run knows (available and dropped-but-held): sizes deadlines. */
export function partitionsOf(f: Pick<PreflightFacts, 'tables' | 'dropped'>): number {
  return [...f.tables, ...(f.dropped ?? [])].reduce((n, t) => n + t.partitionCount, 0);
}

/**
 * Wait until fd_grace_seconds plus one beacon interval have passed since `startedAt` (timing.ts
 * trustAfterStartMs): before that, `nodes` shows every node of the copied configs ALIVE whether
 * it beaconed the new leader or not.
 */
export async function waitTrustworthy(ctx: StepContext, f: Pick<PreflightFacts, 'timing'>, startedAt: number): Promise<void> {
  const need = trustAfterStartMs(f.timing);
  const until = startedAt + need;
  if (Date.now() >= until) return;
  ctx.progress(`trusting nodes and ls -d only after fd_grace_seconds ${f.timing.fdGraceSeconds} + fd_beacon_interval_seconds ${f.timing.fdBeaconIntervalSeconds} since the start: ${Math.ceil((until - Date.now()) / 1000)} s left`);
  while (Date.now() < until) await sleep(Math.min(1000, until - Date.now()));
}

/** The available tables as the tree holds them (`<root>/apps/<id>` JSON), for when no meta runs. */
export async function tablesOf(hosts: string, root: string): Promise<TableFacts[]> {
  const s = await connectZk(hosts, 'source');
  try {
    const apps = await readTree(s, root === '/' ? '/apps' : `${root}/apps`, { keepData: true });
    const out: TableFacts[] = [];
    for (const n of apps.list) {
      const parts = n.rel.split('/').filter(Boolean);
      if (parts.length !== 1) continue;
      try {
        const j = JSON.parse(n.data.toString('utf8')) as { app_id?: number; app_name?: string; partition_count?: number; status?: string };
        if (j.status !== 'app_status::AS_AVAILABLE') continue;
        out.push({ appId: Number(j.app_id ?? parts[0]), name: String(j.app_name ?? ''), partitionCount: Number(j.partition_count ?? 0), status: 'AVAILABLE' });
      } catch {
        /* not an app node: the meta would refuse it at load, and the partition compare says so */
      }
    }
    return out.sort((a, b) => a.appId - b.appId);
  } finally {
    s.close();
  }
}
