import type { TreeNode } from './tree';

/**
 * What metadata recovery cannot restore (pegasus.md §5.4): the meta rebuilds apps and partitions
 * from what the replica servers hold, and nothing else. Read from the source tree before the
 * operator confirms, so they know what they give up.
 */
export interface TreeLosses {
  /** Duplication records under `apps/<id>/duplication`. */
  duplications: number;
  /** Backup policies under `<root>/backup`. */
  backupPolicies: number;
  /** Bulk loads in progress under `<root>/bulk_load`. */
  bulkLoads: number;
  /** Dropped tables still held: recovered as live tables, their drop state lost. */
  droppedTables: string[];
  /** A Ranger policy dump exists. */
  rangerPolicies: boolean;
  /** One line per kind of loss, for the plan. Empty when nothing is lost. */
  lines: string[];
}

export function lossesOf(nodes: readonly TreeNode[]): TreeLosses {
  let duplications = 0;
  let backupPolicies = 0;
  let bulkLoads = 0;
  let rangerPolicies = false;
  const droppedTables: string[] = [];
  for (const n of nodes) {
    const parts = n.rel.split('/').filter(Boolean);
    if (parts[0] === 'apps' && parts.length === 4 && parts[2] === 'duplication') duplications++;
    else if (parts[0] === 'apps' && parts.length === 2) {
      try {
        const info = JSON.parse(n.data.toString('utf8')) as { status?: string; app_name?: string };
        if (info.status === 'app_status::AS_DROPPED') droppedTables.push(`${info.app_name ?? '?'} (id ${parts[1]})`);
      } catch {
        /* the meta checks app JSON itself; not our concern here */
      }
    } else if (parts[0] === 'backup' && parts.length === 2) backupPolicies++;
    else if (parts[0] === 'bulk_load' && parts.length === 2) bulkLoads++;
    else if (parts[0] === 'ranger_policy_meta_root' && parts.length === 1) rangerPolicies = true;
  }
  const lines: string[] = [];
  if (duplications) lines.push(`${duplications} duplication(s): recovery does not restore duplications; add them again afterwards`);
  if (backupPolicies) lines.push(`${backupPolicies} backup polic(y/ies): not restored; recreate them afterwards`);
  if (bulkLoads) lines.push(`${bulkLoads} table(s) with bulk-load state: lost`);
  if (droppedTables.length) lines.push(`dropped tables come back as live tables, their drop state lost: ${droppedTables.join(', ')}`);
  if (rangerPolicies) lines.push('the Ranger policy dump: not restored');
  return { duplications, backupPolicies, bulkLoads, droppedTables, rangerPolicies, lines };
}
