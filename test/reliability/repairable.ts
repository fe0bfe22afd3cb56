import * as fs from 'node:fs';
import { readState } from '../../coordinator/lib/sandbox';
import { waitFor } from '../harness/tmp';
import { health } from '../integration/migrate-support';
import { RelFleet, stopNamed } from './fleet';

/**
 * "Repairable afterwards" (issue 14 §1): after a run, one replica server is SIGKILLed and must be
 * repaired. With three replica servers a death freezes the meta (`min_live_node_count_for_unfreeze`,
 * src/meta/meta_service.cpp meta_service::update_node_status), so "repaired" here means: the meta
 * notices the death (not healthy), the server comes back, and the cluster is healthy again within
 * the deadline, with no replica refused for its ballot. On a stale tree that is exactly what fails:
 * the partitions the victim led never get a primary again, the metas log `reject coz ballot not
 * match` and the replicas `ERR_INVALID_VERSION` (src/meta/server_state.cpp
 * server_state::on_update_configuration; test/integration/migrate-old-rollback).
 */

export interface RepairCheck {
  ok: boolean;
  ms: number;
  problems: string[];
}

const VICTIM = 'replica1';

export async function checkRepairable(f: RelFleet, zk: string | undefined): Promise<RepairCheck> {
  const t0 = Date.now();
  if (!zk) return { ok: false, ms: 0, problems: ['repairable: no ensemble serves'] };
  const st = readState(f.dir)!;
  const logs = [...st.metas, ...st.replicas].map((p) => p.log);
  const sizes = new Map(logs.map((l) => [l, fs.existsSync(l) ? fs.statSync(l).size : 0]));
  const problems: string[] = [];
  const start = await stopNamed(f, 'replicas', VICTIM, 'SIGKILL');
  try {
    await waitFor(`the meta to notice ${VICTIM} died`, async () => (await health(f, zk).catch(() => undefined))?.verdict !== 'healthy', 60000, 300);
  } catch {
    problems.push(`repairable: the meta never noticed ${VICTIM}'s death`);
  }
  start();
  try {
    await waitFor(`healthy again after ${VICTIM}'s death`, async () => (await health(f, zk).catch(() => undefined))?.verdict === 'healthy', 120000, 500);
  } catch {
    problems.push(`repairable: not healthy within 120 s after ${VICTIM} died and came back`);
  }
  const since = logs.map((l) => (fs.existsSync(l) ? fs.readFileSync(l).subarray(sizes.get(l)!).toString('utf8') : '')).join('\n');
  const refused = /reject coz ballot not match[^\n]*|[^\n]*ERR_INVALID_VERSION[^\n]*/.exec(since);
  if (refused) problems.push(`repairable: a replica was refused for its ballot: ${refused[0].trim().slice(0, 200)}`);
  return { ok: problems.length === 0, ms: Date.now() - t0, problems };
}
