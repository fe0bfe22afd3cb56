import type { JournalEntry } from '../../coordinator/lib/migrate/journal';
import { AgentPool } from '../../coordinator/lib/fleet';
import type { ZkSession } from '../../shared/zk/client';
import { withZk } from '../integration/migrate-support';
import type { RelFleet } from './fleet';
import type { Injected } from './inject';

/**
 * The jobs a fault starts in the cluster (a duplication during the copy, a bulk load during blind):
 * what must be true of them after the run, and their removal before the next run.
 *
 * Correct is: a duplication started while the copy runs is caught by the source-change guard
 * (check-source recopies, or recheck-source copies the difference once the leader has stopped), so
 * a completed run serves the duplication's record from the new ensemble; or the guard gives up
 * (still changing after the last copy) and the run rolls back, the record still on the old
 * ensemble and the target cleaned. A bulk load started right after set-blind lifts the level to
 * steady: the copy refuses before writing a node and the run rolls back; the bulk load's state
 * stays on the old ensemble and nothing is left on the target.
 */

type Job = NonNullable<Injected['job']>;

async function exists(hosts: string, path: string): Promise<boolean> {
  return withZk(hosts, async (s) => (await s.exists(path)) !== null);
}

export async function verifyJob(job: Job, o: { entries: readonly JournalEntry[]; endedOn: string; source: string; target: string; root: string }): Promise<string[]> {
  const problems: string[] = [];
  const why = o.entries.flatMap((e) => (e.kind === 'step-failed' ? [e.error] : [])).join('\n');
  const done = (step: string): Record<string, unknown> | undefined => {
    const e = o.entries.find((x) => x.kind === 'step-done' && x.step === step);
    return e && e.kind === 'step-done' ? e.data : undefined;
  };
  const targetTree = await exists(o.target, o.root);
  if (job.kind === 'duplication') {
    const rec = `${o.root}/apps/${job.appId}/duplication/${job.dupid}`;
    if (o.endedOn === 'target') {
      if (!(await exists(o.target, rec))) problems.push(`duplication ${job.dupid} started during the copy is missing from the new ensemble (${rec})`);
      // Everything it wrote until the old leader stopped (record and progress) is on the target:
      // the first copy, or the guard's recopy (check-source) or difference copy (recheck-source).
      const dir = `${o.root}/apps/${job.appId}/duplication`;
      const [src, dst] = [await subtree(o.source, dir), await subtree(o.target, dir)];
      if (src !== dst) problems.push(`the duplication's nodes on the new ensemble differ from the old ensemble's: ${dst} vs ${src}`);
    } else if (o.endedOn === 'source') {
      if (!/the source changed/.test(why)) problems.push(`rolled back without naming the source change: ${why.split('\n')[0] ?? ''}`);
      if (!(await exists(o.source, rec))) problems.push(`duplication ${job.dupid} is missing from the old ensemble (${rec})`);
      if (targetTree) problems.push(`rolled back but the target still holds ${o.root}`);
    }
  } else {
    if (!/no longer blind/.test(why)) problems.push(`no step refused for the lifted level: ${why.split('\n')[0] ?? 'no step failed'}`);
    if (done('copy')) problems.push('the copy step finished although the level was no longer blind');
    if (targetTree) problems.push(`the target holds ${o.root} after the rollback`);
    if (!(await exists(o.source, `${o.root}/bulk_load/${job.appId}`))) problems.push(`the bulk load's state bulk_load/${job.appId} is missing from the old ensemble`);
  }
  return problems;
}

/** Paths and data of a subtree, as one comparable string. */
async function subtree(hosts: string, path: string): Promise<string> {
  return withZk(hosts, async (s) => {
    const out: string[] = [];
    const walk = async (p: string): Promise<void> => {
      if (!(await s.exists(p))) return;
      out.push(`${p}=${(await s.getData(p)).data.toString()}`);
      for (const c of (await s.getChildren(p)).sort()) await walk(`${p}/${c}`);
    };
    await walk(path);
    return out.join(';');
  });
}

/** How the source-change guard caught a duplication (for the report): check-source's copies, recheck-source's difference copy. */
export function guardCopies(entries: readonly JournalEntry[]): string {
  const data = (step: string): Record<string, unknown> | undefined => {
    const e = entries.find((x) => x.kind === 'step-done' && x.step === step);
    return e && e.kind === 'step-done' ? e.data : undefined;
  };
  return `check-source copies ${String(data('check-source')?.copies ?? '?')}, recheck-source ${data('recheck-source')?.recopied === true ? 'recopied' : 'unchanged'}`;
}

async function removeRecursive(s: ZkSession, path: string): Promise<void> {
  if (!(await s.exists(path))) return;
  for (const c of await s.getChildren(path)) await removeRecursive(s, `${path}/${c}`);
  await s.remove(path);
}

/**
 * Before the next run: with every meta stopped (a duplication's progress timer lives in the meta
 * that added it), remove the jobs' nodes and flags from the tree the cluster serves, then start the
 * metas again through their agents. The simulator's shell has no command that ends either job.
 */
export async function removeJobs(f: RelFleet, zk: string): Promise<void> {
  const root = f.info.clusterRoot;
  const pool = new AgentPool({ coordinator: 'reliability-jobs-cleanup' });
  try {
    for (const h of f.cluster.metas) await pool.client(h).controlService(h.metaService, 'stop');
    await withZk(zk, async (s) => {
      await removeRecursive(s, `${root}/bulk_load`);
      for (const id of await s.getChildren(`${root}/apps`)) {
        await removeRecursive(s, `${root}/apps/${id}/duplication`);
        const node = `${root}/apps/${id}`;
        const app = JSON.parse((await s.getData(node)).data.toString()) as Record<string, unknown>;
        if (app.duplicating === true || app.is_bulk_loading === true) await s.setData(node, Buffer.from(JSON.stringify({ ...app, duplicating: false, is_bulk_loading: false })));
      }
    });
    for (const h of f.cluster.metas) await pool.client(h).controlService(h.metaService, 'start');
  } finally {
    pool.close();
  }
}
