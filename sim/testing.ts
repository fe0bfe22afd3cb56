import { ZkSession, readLong, zk } from '../shared/zk/client';
import { LOCK_ID } from './meta/leader-lock';
import { LOCK_STATE, UNLOCK_STATE } from './meta/app-store';
import { AppInfo, PartitionConfig, decodePartition, encodeAppInfo, encodePartition, defaultAppInfo, emptyPartition } from './common/types';
import { SimCluster } from './cluster';

/** Helpers for tests that look at or prepare the ZooKeeper tree a simulated cluster uses. */

export { LOCK_ID, LOCK_STATE, UNLOCK_STATE };

export function lockDir(c: SimCluster): string {
  return `${c.opts.lockRoot}/${LOCK_ID}`;
}

export function appsPath(c: SimCluster): string {
  return `${c.opts.clusterRoot}/apps`;
}

/** Lock nodes with their data and whether they are ephemeral, smallest sequence first. */
export async function lockNodes(s: ZkSession, dir: string): Promise<{ name: string; data: string; ephemeral: boolean }[]> {
  const names = (await s.getChildren(dir)).sort();
  const out = [];
  for (const name of names) {
    try {
      const { data, stat } = await s.getData(`${dir}/${name}`);
      out.push({ name, data: data.toString(), ephemeral: readLong(stat.ephemeralOwner) !== 0n });
    } catch {
      /* vanished meanwhile */
    }
  }
  return out;
}

export async function mzxid(s: ZkSession, path: string): Promise<bigint> {
  return readLong((await s.getData(path)).stat.mzxid);
}

export async function getText(s: ZkSession, path: string): Promise<string> {
  return (await s.getData(path)).data.toString();
}

/** A valid app for seeding trees: AVAILABLE, `partitions` partitions, no members. */
export function seedApp(id: number, name: string, partitions: number): { info: AppInfo; parts: PartitionConfig[] } {
  const info: AppInfo = {
    ...defaultAppInfo(),
    status: 'AS_AVAILABLE',
    app_type: 'pegasus',
    app_name: name,
    app_id: id,
    partition_count: partitions,
    is_stateful: true,
    max_replica_count: 3,
    create_second: 1714564800,
    init_partition_count: partitions,
  };
  return { info, parts: Array.from({ length: partitions }, (_, i) => emptyPartition(id, i, 3)) };
}

/** Write `<cluster_root>/apps` (with `state`) and the apps as given (an entry of `raw` overrides a node's data). */
export async function seedTree(
  s: ZkSession,
  root: string,
  apps: { info: AppInfo; parts: PartitionConfig[] }[],
  o: { state?: string; raw?: Record<string, string>; skip?: string[] } = {},
): Promise<void> {
  const appsPath = `${root}/apps`;
  await s.mkdirp(root);
  await s.create(appsPath, Buffer.from(o.state ?? UNLOCK_STATE));
  const put = async (p: string, data: string): Promise<void> => {
    if (o.skip?.includes(p)) return;
    await s.create(p, Buffer.from(o.raw?.[p] ?? data), zk.CreateMode.PERSISTENT);
  };
  for (const a of apps) {
    await put(`${appsPath}/${a.info.app_id}`, encodeAppInfo(a.info));
    for (let i = 0; i < a.parts.length; i++) await put(`${appsPath}/${a.info.app_id}/${i}`, encodePartition(a.parts[i]!));
  }
}

/** The `[details]` rows of `nodes -d` output as `address status replica_count` (what the migration script diffs). */
export function nodeTriples(out: string): string[] {
  return out
    .split('\n')
    .filter((l) => / (ALIVE|UNALIVE) /.test(l))
    .map((l) => l.trim().split(/\s+/).slice(0, 3).join(' '));
}

/** Copy every node below `from` to the same relative path below `to` (data only; `to` must not exist). */
export async function copyTree(s: ZkSession, from: string, to: string): Promise<number> {
  await s.mkdirp(to);
  let n = 0;
  const walk = async (src: string, dst: string): Promise<void> => {
    for (const child of (await s.getChildren(src)).sort()) {
      const { data } = await s.getData(`${src}/${child}`);
      await s.create(`${dst}/${child}`, data, zk.CreateMode.PERSISTENT);
      n++;
      await walk(`${src}/${child}`, `${dst}/${child}`);
    }
  };
  await walk(from, to);
  return n;
}

/** The partition configs of app `appId` as stored under `<root>/apps` (index order). */
export async function readPartitions(s: ZkSession, root: string, appId: number): Promise<PartitionConfig[]> {
  const kids = (await s.getChildren(`${root}/apps/${appId}`)).map(Number).sort((a, b) => a - b);
  return Promise.all(kids.map(async (i) => decodePartition(await getText(s, `${root}/apps/${appId}/${i}`))!));
}
