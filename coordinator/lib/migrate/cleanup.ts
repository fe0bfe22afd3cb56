import { AppError, PreconditionError, toAppError } from '../../../shared/errors';
import { listItems, readMetaConfigs } from '../config-edit';
import { AgentPool, targetsOf } from '../fleet';
import { normalizeRoot } from '../config-edit';
import { PegasusShell } from '../shell';
import { loadCluster } from './env';
import type { PegasusCluster } from '../inventory';
import { withRunZkSecurity } from './zk-security';
import { connectZk } from './preflight';
import { onSession, removeTree } from '../zk/rm';
import { readTree } from '../zk/tree-read';

/**
 * `zkmig cleanup`: delete a cluster's tree from its old ensemble, only once it is proven unused
 * and redundant (docs/pegasus-internals.md §8.15: a stale old tree lets a misconfigured meta "succeed"):
 * - every meta's config names another ensemble, read through the agents (all must answer);
 * - the running leader reports another ensemble in cluster_info;
 * - no meta session holds an ephemeral node in the old tree (a meta still running there);
 * - every persistent node of the old tree exists in the tree the cluster now uses.
 */

export interface CleanupOptions {
  inventory: string;
  cluster: string;
  /** The old ensemble's connect string. */
  old: string;
  env: NodeJS.ProcessEnv;
  /** Asked after the checks, with what would be deleted; false → nothing is deleted. */
  confirm?: (what: CleanupCheck) => Promise<boolean>;
  /** Check everything, delete nothing. @default false */
  checkMode?: boolean;
  progress?: (m: string) => void;
}

export interface CleanupCheck {
  cluster: string;
  old: string;
  current: string;
  root: string;
  /** Persistent nodes that would be deleted. */
  nodes: number;
}

export interface CleanupResult extends CleanupCheck {
  deleted: number;
  checkMode: boolean;
  confirmed: boolean;
}

export async function cleanupOld(o: CleanupOptions): Promise<CleanupResult> {
  const cluster = loadCluster({ inventory: o.inventory, cluster: o.cluster }, o.env);
  return withRunZkSecurity(cluster, { old: o.old }, () => cleanupIn(o, cluster));
}

async function cleanupIn(o: CleanupOptions, cluster: PegasusCluster): Promise<CleanupResult> {
  const say = o.progress ?? (() => undefined);
  const pool = new AgentPool({ coordinator: 'zkmig cleanup' });
  try {
    say('reading every meta config through the agents');
    const cfgs = await readMetaConfigs({ pool, targets: targetsOf([cluster]) });
    const bad = cfgs.filter((c) => !c.value);
    if (bad.length > 0) throw new PreconditionError(`cannot read the config of ${bad.map((b) => `${b.host} (${b.error?.message ?? b.status})`).join(', ')}: every meta must be checked before the old tree is deleted`);
    const old = listItems(o.old).join(',');
    const still = cfgs.filter((c) => listItems(c.value!.values['zookeeper.hosts_list'] ?? '').join(',') === old);
    if (still.length > 0) throw new PreconditionError(`${still.map((s) => s.host).join(', ')} still name ${o.old} in [zookeeper] hosts_list; the old tree is in use`);
    const root = normalizeRoot(cfgs[0]!.value!.values['meta_server.cluster_root'] ?? '/');
    say('asking the cluster which ensemble it runs on');
    const info = await PegasusShell.forCluster(cluster, { env: o.env }).clusterInfo();
    if (listItems(info.zookeeperHosts).join(',') === old) throw new PreconditionError(`the leader ${info.primaryMetaServer} still runs on ${o.old}`);
    const [src, dst] = [await connectZk(o.old, 'old'), await connectZk(info.zookeeperHosts, 'current')];
    try {
      say(`comparing ${root} on ${o.old} with ${info.zookeeperHosts}`);
      const [a, b] = await Promise.all([readTree(src, root, { keepData: true }), readTree(dst, root, { keepData: true })]);
      if (!a.exists) throw new AppError('NOT_FOUND', `${o.old} has no ${root}: nothing to clean up`);
      if (a.ephemeral.length > 0) throw new PreconditionError(`the old tree has live ephemeral node(s) ${a.ephemeral.slice(0, 3).map((e) => root + e).join(', ')}: a meta still runs on ${o.old}`);
      const have = new Set(b.list.map((n) => n.rel));
      const missing = a.list.filter((n) => !have.has(n.rel)).map((n) => root + n.rel);
      if (missing.length > 0) throw new PreconditionError(`the tree on ${info.zookeeperHosts} lacks ${missing.length} node(s) of the old tree (${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}); not deleting`);
      const check: CleanupCheck = { cluster: cluster.name, old: o.old, current: info.zookeeperHosts, root, nodes: a.nodes };
      if (o.checkMode) return { ...check, deleted: 0, checkMode: true, confirmed: false };
      if (o.confirm && !(await o.confirm(check))) return { ...check, deleted: 0, checkMode: false, confirmed: false };
      say(`deleting ${root} from ${o.old}`);
      const r = await removeTree({ ...onSession(src, root), recursive: true, ifExists: true, waitEphemeralUntil: Date.now() + 30000 });
      return { ...check, deleted: r.deleted, checkMode: false, confirmed: true };
    } finally {
      src.close();
      dst.close();
    }
  } catch (e) {
    throw toAppError(e);
  } finally {
    pool.close();
  }
}
