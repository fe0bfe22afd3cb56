import type { TreeNode } from '../zk/tree-read';

/**
 * What metadata recovery cannot restore (docs/pegasus-internals.md §5.4): the meta rebuilds apps and partitions
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

/** The kinds of node lossesOf and runningJobsOf judge. */
type JudgedKind = 'table' | 'duplication' | 'backup' | 'bulk-load' | 'ranger';

/**
 * What a node is to lossesOf and runningJobsOf (by path relative to cluster_root, '/a/b'): a
 * table's node (`/apps/<id>`), one of its duplications (`/apps/<id>/duplication/<dupid>`), a backup
 * policy, a bulk load, the Ranger dump; undefined for the rest, above all the partition nodes
 * (`/apps/<id>/<pidx>`) that make up most of a tree. `parts` are the path's components.
 */
function judgedKind(parts: readonly string[]): JudgedKind | undefined {
  if (parts[0] === 'apps') {
    if (parts.length === 2) return 'table';
    return parts.length === 4 && parts[2] === 'duplication' ? 'duplication' : undefined;
  }
  if (parts.length === 2 && parts[0] === 'backup') return 'backup';
  if (parts.length === 2 && parts[0] === 'bulk_load') return 'bulk-load';
  return parts.length === 1 && parts[0] === 'ranger_policy_meta_root' ? 'ranger' : undefined;
}

const componentsOf = (rel: string): string[] => rel.split('/').filter(Boolean);

/** The nodes lossesOf and runningJobsOf look at (judgedKind): the preflight keeps only these. */
export function judgedNode(rel: string): boolean {
  return judgedKind(componentsOf(rel)) !== undefined;
}

export function lossesOf(nodes: readonly TreeNode[]): TreeLosses {
  let duplications = 0;
  let backupPolicies = 0;
  let bulkLoads = 0;
  let rangerPolicies = false;
  const droppedTables: string[] = [];
  for (const n of nodes) {
    const parts = componentsOf(n.rel);
    const kind = judgedKind(parts);
    if (kind === 'duplication') duplications++;
    else if (kind === 'table') {
      try {
        const info = JSON.parse(n.data.toString('utf8')) as { status?: string; app_name?: string };
        if (info.status === 'app_status::AS_DROPPED') droppedTables.push(`${info.app_name ?? '?'} (id ${parts[1]})`);
      } catch {
        /* the meta checks app JSON itself; not our concern here */
      }
    } else if (kind === 'backup') backupPolicies++;
    else if (kind === 'bulk-load') bulkLoads++;
    else if (kind === 'ranger') rangerPolicies = true;
  }
  const lines: string[] = [];
  if (duplications) lines.push(`${duplications} duplication(s): recovery does not restore duplications; add them again afterwards`);
  if (backupPolicies) lines.push(`${backupPolicies} backup polic(y/ies): not restored; recreate them afterwards`);
  if (bulkLoads) lines.push(`${bulkLoads} table(s) with bulk-load state: lost`);
  if (droppedTables.length) lines.push(`dropped tables come back as live tables, their drop state lost: ${droppedTables.join(', ')}`);
  if (rangerPolicies) lines.push('the Ranger policy dump: not restored');
  return { duplications, backupPolicies, bulkLoads, droppedTables, rangerPolicies, lines };
}

/**
 * Jobs that keep writing the tree whatever the meta level (`src/meta/server_state.cpp
 * update_configuration_on_remote` gates only partition configs): duplications not paused or
 * removed (`apps/<id>/duplication/<dupid>`, `meta_duplication_service`), bulk loads in progress
 * (`bulk_load/<app_id>`, `bulk_load_service`), backup policies not disabled (`backup/<policy>`,
 * `backup_service`). One line each, saying what to pause.
 */
export function runningJobsOf(nodes: readonly TreeNode[]): string[] {
  const dups: string[] = [];
  const bulk: string[] = [];
  const backups: string[] = [];
  for (const n of nodes) {
    const parts = componentsOf(n.rel);
    const kind = judgedKind(parts);
    const json = (): Record<string, unknown> => {
      try {
        return JSON.parse(n.data.toString('utf8')) as Record<string, unknown>;
      } catch {
        return {}; // not JSON: count it as active, the safe reading
      }
    };
    if (kind === 'duplication') {
      const j = json();
      const st = String(j.status ?? '');
      if (!/DS_PAUSE|DS_REMOVED/.test(st)) dups.push(`${parts[3]} of table id ${parts[1]}${st ? ` (${st})` : ''}`);
    } else if (kind === 'bulk-load') bulk.push(`table id ${parts[1]}`);
    else if (kind === 'backup') {
      const j = json();
      if (j.is_disable !== true && j.is_disable !== 'true') backups.push(parts[1]!);
    }
  }
  const out: string[] = [];
  if (dups.length) out.push(`${dups.length} duplication(s) running: ${dups.join(', ')} (pause_dup)`);
  if (bulk.length) out.push(`bulk load in progress on ${bulk.join(', ')} (pause_bulk_load or wait until it ends)`);
  if (backups.length) out.push(`${backups.length} backup polic(y/ies) enabled: ${backups.join(', ')} (disable_backup_policy)`);
  return out;
}
