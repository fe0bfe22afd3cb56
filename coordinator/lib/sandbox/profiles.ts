import { UsageError } from '../../../shared/errors';
import type { SimTiming } from '../../../sim/cluster';

/**
 * Sandbox sizes (`zkmig sandbox up --profile NAME`). `default` is the small playground; `large` is a
 * realistic production size that still fits a 2-core machine: 40 tables × 256 partitions (10,240
 * live partitions, 3 replicas each over 5 replica servers, so ~6,100 replicas per server) and, with
 * dropped tables kept in ZooKeeper as Pegasus keeps them, a cluster tree of just over 100,000 znodes.
 */

export interface SandboxTableSpec {
  name: string;
  partitions: number;
}

export interface SandboxProfile {
  name: string;
  /** One line for `--help` and the README. */
  summary: string;
  metaServers: number;
  replicaServers: number;
  /** Replicas per partition of the live tables. */
  replicasPerPartition: number;
  /** Tables created after start (the meta also writes its default `stat` table, 4 partitions, into an empty tree). */
  tables: SandboxTableSpec[];
  /** Dropped tables seeded into the old ensemble before the metas first start. */
  ballast?: { droppedTables: number; partitions: number };
  /**
   * The tables exist before the first start (existing-cluster.ts): written into the tree and onto
   * the replica servers' disks instead of created through the shell.
   */
  existing?: boolean;
  /** Tables created at once (each `create` waits until its table is ready, as the shell does). */
  createConcurrency: number;
  /** Overrides of the simulator's fast timing (intervals that would cost CPU at this size). */
  timing?: Partial<SimTiming>;
}

const LARGE_TABLES = 40;
const LARGE_PARTITIONS = 256;
const LARGE_DROPPED = 350;

export const SANDBOX_PROFILES: Record<string, SandboxProfile> = {
  default: {
    name: 'default',
      summary: '3 metas, 3 replica servers, tables temp (8), orders (4) and stat (4): 20 znodes under apps; starts in seconds',
    metaServers: 3,
    replicaServers: 3,
    replicasPerPartition: 3,
    createConcurrency: 1,
    tables: [
      { name: 'temp', partitions: 8 },
      { name: 'orders', partitions: 4 },
    ],
  },
  large: {
    name: 'large',
    summary: `3 metas, 5 replica servers, ${LARGE_TABLES} tables × ${LARGE_PARTITIONS} partitions × 3 replicas (10,240 live partitions) and ${LARGE_DROPPED} dropped tables of ${LARGE_PARTITIONS}: 100,231 znodes under apps; the tables exist before the first start (a restarted cluster)`,
    metaServers: 3,
    replicaServers: 5,
    replicasPerPartition: 3,
    tables: Array.from({ length: LARGE_TABLES }, (_, i) => ({ name: `t${String(i).padStart(2, '0')}`, partitions: LARGE_PARTITIONS })),
    ballast: { droppedTables: LARGE_DROPPED, partitions: LARGE_PARTITIONS },
    existing: true,
    createConcurrency: 8,
    // At this size a busy 2-core machine stalls processes for seconds: the fast timing's 3 s
    // ZooKeeper session and 2-3 s lease/grace would expire sessions and declare replica servers dead
    // while nothing failed. The production template's session, lease and grace are used instead;
    // config syncs (each carries a server's ~6,100 replicas), guardian ticks (each walks 10,240
    // partitions) and group checks run less often than with the fast timing. (Created through the
    // shell instead of seeded, the tick would bound the start: with the template's flow control, 20
    // added secondaries per node per tick, the 20,480 secondaries take ~205 ticks.)
    timing: {
      zkTimeoutMs: 10000,
      fdCheckIntervalSeconds: 2,
      fdBeaconIntervalSeconds: 2,
      fdLeaseSeconds: 20,
      fdGraceSeconds: 22,
      configSyncIntervalMs: 10000,
      lbIntervalMs: 1000,
      groupCheckIntervalMs: 5000,
    },
  },
};

export const PROFILE_NAMES = Object.keys(SANDBOX_PROFILES);

/** The profile called `name`; a usage error (exit 2) naming the valid ones otherwise. */
export function sandboxProfile(name: string): SandboxProfile {
  const p = Object.hasOwn(SANDBOX_PROFILES, name) ? SANDBOX_PROFILES[name] : undefined;
  if (!p) throw new UsageError(`unknown sandbox profile "${name}"; choose one of: ${PROFILE_NAMES.join(', ')}`);
  return p;
}

/** Znodes of the cluster tree under `<cluster_root>/apps` once the profile is up (app + partition nodes, `stat` included). */
export function profileZnodes(p: SandboxProfile): number {
  // The meta writes its default `stat` table only into an empty tree, so not when dropped tables are seeded.
  const live = [...p.tables, ...(p.ballast || p.existing ? [] : [{ name: 'stat', partitions: 4 }])].reduce((n, t) => n + 1 + t.partitions, 0);
  const dropped = p.ballast ? p.ballast.droppedTables * (1 + p.ballast.partitions) : 0;
  return 1 + live + dropped;
}
