import type { ZkSession } from '../../../shared/zk/client';
import { readTree, TreeNode } from '../zk/tree-read';

/**
 * "The tables and partition configurations are equal to before": the apps the leader serves from
 * the new ensemble against the ones in the old tree (which a migration never writes). App nodes
 * must be identical. A partition must be identical, or superseded by a newer ballot: Pegasus bumps
 * the ballot on every membership change, so a change without a bump means the copy lost or
 * damaged something, while a bump is the meta legitimately moving on after its restart. A
 * partition that had a primary must still have one (a partition node re-created from defaults has
 * none: docs/pegasus-internals.md §8.5, silent data unavailability).
 */

interface PartitionJson {
  pid?: string;
  ballot?: number;
  primary?: string;
  secondaries?: string[];
  max_replica_count?: number;
}

const NO_PRIMARY = new Set(['', 'invalid address', 'invalid host_port', '0.0.0.0:0']);

function parse(n: TreeNode | undefined): unknown {
  if (!n) return undefined;
  try {
    return JSON.parse(n.data.toString('utf8'));
  } catch {
    return null;
  }
}

/** Differences, one line each (empty when equal). Pure: takes both sides' `apps` subtrees. */
export function diffApps(before: readonly TreeNode[], after: readonly TreeNode[]): string[] {
  const now = new Map(after.map((n) => [n.rel, n]));
  // A dropped table's partitions are dropped by the meta (primary cleared, dropped flag set): not a loss.
  const dropped = new Set(
    after.filter((n) => n.rel.split('/').filter(Boolean).length === 1 && (parse(n) as { status?: string } | null)?.status === 'app_status::AS_DROPPED').map((n) => n.rel.split('/').filter(Boolean)[0]!),
  );
  const out: string[] = [];
  for (const b of before) {
    const parts = b.rel.split('/').filter(Boolean);
    if (parts.length === 1) {
      const a = now.get(b.rel);
      if (!a) out.push(`app node apps/${parts[0]} is missing`);
      else if (!a.data.equals(b.data)) out.push(`app node apps/${parts[0]} differs`);
    } else if (parts.length === 2 && /^\d+$/.test(parts[1]!) && dropped.has(parts[0]!)) {
      if (!now.has(b.rel)) out.push(`partition ${parts[0]}.${parts[1]} of a dropped table is missing`);
    } else if (parts.length === 2 && /^\d+$/.test(parts[1]!)) {
      const where = `partition ${parts[0]}.${parts[1]}`;
      const pb = parse(b) as PartitionJson | null;
      const pa = parse(now.get(b.rel)) as PartitionJson | null | undefined;
      if (pa === undefined) out.push(`${where} is missing`);
      else if (pa === null || pb === null) {
        if (!now.get(b.rel)!.data.equals(b.data)) out.push(`${where} differs (not JSON)`);
      } else if ((pa.ballot ?? 0) < (pb.ballot ?? 0)) out.push(`${where} went back from ballot ${pb.ballot} to ${pa.ballot}`);
      else if ((pa.ballot ?? 0) === (pb.ballot ?? 0)) {
        const same = pa.primary === pb.primary && [...(pa.secondaries ?? [])].sort().join(',') === [...(pb.secondaries ?? [])].sort().join(',') && pa.pid === pb.pid;
        if (!same) out.push(`${where} changed members without a new ballot (${pb.ballot})`);
      } else if (!NO_PRIMARY.has(pb.primary ?? '') && NO_PRIMARY.has(pa.primary ?? '')) out.push(`${where} lost its primary (was ${pb.primary})`);
    }
  }
  return out;
}

export async function comparePartitions(src: ZkSession, dst: ZkSession, root: string): Promise<string[]> {
  const apps = root === '/' ? '/apps' : `${root}/apps`;
  const [b, a] = await Promise.all([readTree(src, apps, { keepData: true }), readTree(dst, apps, { keepData: true })]);
  if (!b.exists) return [];
  if (!a.exists) return [`${apps} is missing on the new ensemble`];
  return diffApps(b.list, a.list);
}
