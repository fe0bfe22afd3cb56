import { InvalidInputError } from '../../../shared/errors';
import { normalizePath } from '../../../shared/zk/endpoint';

/**
 * A synthetic Pegasus meta-server tree (docs/pegasus-internals.md §2.2, §2.3) for the copy benchmark, the tests,
 * the demo and the sandbox: `<root>/apps` ("unlock"), one `<root>/apps/<app_id>` app_info JSON per
 * table and one `<root>/apps/<app_id>/<pidx>` partition_configuration JSON per partition, plus the
 * persistent lock directory. Deterministic, so two seeds of the same spec are byte-identical.
 * Ephemeral LOCKNODEs are not part of it: they need a live session (see `seedLockNode`).
 */

export interface PegasusTreeSpec {
  /** cluster_root, e.g. `/pegasus/c1`. */
  root: string;
  /** Number of tables (app ids 1..apps). */
  apps: number;
  /** Partitions per table. */
  partitions: number;
  /** Replicas per partition (primary + secondaries). @default 3 */
  replicas?: number;
  /**
   * Partition JSON flavour: `v2.5` writes IP addresses only (about 190 bytes a node), `master` adds
   * the hp_* host:port fields (about 330 bytes). @default 'v2.5'
   */
  flavour?: 'v2.5' | 'master';
  /** Tables (from the highest id down) written as dropped (AS_DROPPED): their nodes stay in ZooKeeper. @default 0 */
  dropped?: number;
  /**
   * Where the lock root lives: `lock` = `<root>/lock` (production template), `root` = the lock dir sits
   * directly under cluster_root (onebox). @default 'lock'
   */
  lockRoot?: 'lock' | 'root';
}

export interface GeneratedNode {
  path: string;
  data: Buffer;
}

/** The path of the leader-lock directory whose children are the EPHEMERAL_SEQUENTIAL LOCKNODEs (docs/pegasus-internals.md §2.5). */
export function leaderLockDir(spec: Pick<PegasusTreeSpec, 'root' | 'lockRoot'>): string {
  const root = normalizePath(spec.root);
  const lockRoot = (spec.lockRoot ?? 'lock') === 'lock' ? join(root, 'lock') : root;
  return join(lockRoot, 'dsn.meta.server.leader');
}

function join(a: string, b: string): string {
  return a === '/' ? `/${b}` : `${a}/${b}`;
}

/** Compact JSON app_info, fields in Pegasus's order (docs/pegasus-internals.md §2.3). */
export function appInfoJson(appId: number, partitions: number, dropped = false): string {
  return JSON.stringify({
    status: dropped ? 'app_status::AS_DROPPED' : 'app_status::AS_AVAILABLE',
    app_type: 'pegasus',
    app_name: `table_${appId}`,
    app_id: appId,
    partition_count: partitions,
    envs: {},
    is_stateful: 1,
    max_replica_count: 3,
    expire_second: 0,
    create_second: 1714564800 + appId,
    drop_second: dropped ? 1714600000 + appId : 0,
    duplicating: 0,
    init_partition_count: partitions,
    is_bulk_loading: 0,
  });
}

/** A deterministic replica-server address for replica `n` of partition `pidx` of `appId`. */
function replicaHost(appId: number, pidx: number, n: number): { ip: string; host: string } {
  const k = (appId * 7 + pidx * 3 + n) % 200;
  return { ip: `10.0.${Math.floor(k / 50)}.${10 + (k % 50)}:34801`, host: `replica-${k}.pegasus.local:34801` };
}

/** Compact JSON partition_configuration; `pid` matches the path, as the meta checks on load. */
export function partitionJson(appId: number, pidx: number, replicas = 3, flavour: 'v2.5' | 'master' = 'v2.5', dropped = false): string {
  const hosts = Array.from({ length: replicas }, (_, n) => replicaHost(appId, pidx, n));
  const [primary, ...secondaries] = hosts;
  const base: Record<string, unknown> = {
    pid: `${appId}.${pidx}`,
    ballot: 3 + ((appId + pidx) % 17),
    max_replica_count: replicas,
    primary: primary?.ip ?? 'invalid address',
    secondaries: secondaries.map((h) => h.ip),
    last_drops: [],
    last_committed_decree: 100000 + appId * 1000 + pidx * 37,
    partition_flags: dropped ? 1 : 0,
  };
  if (flavour === 'master') {
    base.hp_primary = primary?.host ?? 'invalid host_port';
    base.hp_secondaries = secondaries.map((h) => h.host);
    base.hp_last_drops = [];
  }
  return JSON.stringify(base);
}

function check(spec: PegasusTreeSpec): void {
  for (const [k, v] of [
    ['apps', spec.apps],
    ['partitions', spec.partitions],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw new InvalidInputError(`pegasus tree: ${k} must be a non-negative integer, got ${v}`);
  }
  if ((spec.dropped ?? 0) > spec.apps) throw new InvalidInputError(`pegasus tree: dropped (${spec.dropped}) exceeds apps (${spec.apps})`);
}

/**
 * Every node of the tree, parents before children. The root's ancestors are not included
 * (callers mkdirp them, as Pegasus does).
 */
export function* pegasusTreeNodes(spec: PegasusTreeSpec): Generator<GeneratedNode> {
  check(spec);
  const root = normalizePath(spec.root);
  const empty = Buffer.alloc(0);
  const flavour = spec.flavour ?? 'v2.5';
  const replicas = spec.replicas ?? 3;
  const firstDropped = spec.apps - (spec.dropped ?? 0) + 1;
  yield { path: root, data: empty };
  const apps = join(root, 'apps');
  yield { path: apps, data: Buffer.from('unlock') };
  for (let app = 1; app <= spec.apps; app++) {
    const dropped = app >= firstDropped;
    const appPath = join(apps, String(app));
    yield { path: appPath, data: Buffer.from(appInfoJson(app, spec.partitions, dropped)) };
    for (let p = 0; p < spec.partitions; p++) {
      yield { path: join(appPath, String(p)), data: Buffer.from(partitionJson(app, p, replicas, flavour, dropped)) };
    }
  }
  yield { path: join(root, 'bulk_load'), data: empty };
  const lockDir = leaderLockDir(spec);
  if ((spec.lockRoot ?? 'lock') === 'lock') yield { path: join(root, 'lock'), data: empty };
  yield { path: lockDir, data: empty };
}

/** How many nodes `pegasusTreeNodes(spec)` yields. */
export function pegasusTreeSize(spec: PegasusTreeSpec): number {
  return 2 + spec.apps * (1 + spec.partitions) + 1 + ((spec.lockRoot ?? 'lock') === 'lock' ? 2 : 1);
}
