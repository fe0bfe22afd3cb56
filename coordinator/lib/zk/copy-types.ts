import type { ZkSecurity } from '../../../shared/zk/security';
import type { ZkEndpoint } from '../../../shared/zk/endpoint';
import type { PreconditionError } from '../../../shared/errors';
import type { TreeDifference } from './tree-index';
import type { RawAcl } from './wire';

/**
 * A check of one source node's ACL as the copy (or a live follower) reads it, before the node is
 * written: a refusal stops the copy before that node reaches the target. The migration's pre-copy
 * checks ACLs this way instead of reading every ACL once more in its preflight (migrate/acl-guard.ts).
 */
export type AclGuard = (path: string, acl: readonly RawAcl[]) => PreconditionError | undefined;

/**
 * What to do when the target path already holds something:
 * - `fail`: refuse before writing anything if the target path has data or children;
 * - `overwrite`: create what is missing, update only nodes whose data or ACL differ, delete nothing;
 * - `sync`: like overwrite, and also delete target nodes the source does not have (a mirror).
 */
export type OnExists = 'fail' | 'overwrite' | 'sync';

/**
 * - `target`: re-read the target and compare it with the hashes kept from the copy's source read;
 * - `full`: re-read the source as well (also catches a source that changed during the copy);
 * - `none`: skip verification.
 */
export type VerifyMode = 'target' | 'full' | 'none';

export interface CopyOptions {
  /** `host:port[,host:port...]/path` of the subtree to copy, or a parsed endpoint. */
  source: string | ZkEndpoint;
  /** Where the subtree goes; the source root's data and ACL land on this path. */
  target: string | ZkEndpoint;
  /** @default 'fail' */
  onExists?: OnExists;
  /** Read both sides and report what would change; write nothing. @default false */
  dryRun?: boolean;
  /** @default 'target' */
  verify?: VerifyMode;
  /** Subtrees to leave out, absolute (under the source path) or relative to it. `/zookeeper` is always left out. */
  excludes?: readonly string[];
  /**
   * Skip the ACL-only walk before the copy: the caller has checked already, outside any write
   * freeze, that the source session sees no digest ACL masked (a migration with `--no-precopy`: its
   * preflight reads every ACL), or it accepts that the copy's own read checks each ACL (the live
   * pre-copy: its run removes the partial copy when refused). A masked ACL met during the copy
   * stops it before that node is written (`aclGuard`, else masked-acl.ts's refusal). @default false
   */
  sourceAclsChecked?: boolean;
  /** With `sourceAclsChecked`: the check of each node's ACL as read. @default refuse a masked digest ACL */
  aclGuard?: AclGuard;
  /**
   * The source is being written and the caller follows its changes by other means (the live
   * pre-copy, follow.ts): a node that keeps changing while read is copied as read instead of
   * failing the copy (WalkOptions.acceptChanging). @default false
   */
  live?: boolean;
  /** Digest `user:password` for the source session. */
  sourceAuth?: string;
  /** Digest `user:password` for the target session. */
  targetAuth?: string;
  /** TLS/SASL for the source sessions. */
  sourceSecurity?: ZkSecurity;
  /** TLS/SASL for the target sessions. */
  targetSecurity?: ZkSecurity;
  /** @default 30000 */
  sessionTimeoutMs?: number;
  /** @default 15000 */
  connectTimeoutMs?: number;
  /** How long an ensemble may stay unreachable or silent before the copy fails. @default 60000 */
  retryTimeoutMs?: number;
  /** Sessions reading each side in parallel. @default 3 */
  readSessions?: number;
  /** Requests in flight per read session. @default 300 with multiRead (ZooKeeper 3.6+), else 100 */
  window?: number;
  /** Serialized bytes per multi. @default 262144 */
  batchBytes?: number;
  /** Multis in flight. @default 4 */
  maxInFlight?: number;
  /** Data read but not yet written above which reading pauses. @default 16 MiB */
  maxBacklogBytes?: number;
  /** Paths kept per list in the summary (ephemerals, excluded, plan, differences); counts stay exact. @default 1000 */
  listLimit?: number;
  /** Aborting stops reading and writing; the promise rejects with the signal's reason. A rerun with `overwrite` resumes. */
  signal?: AbortSignal;
  /** Called at most every 200 ms and at each phase change. */
  onProgress?: (p: CopyProgress) => void;
}

export const COPY_DEFAULTS = {
  onExists: 'fail',
  verify: 'target',
  readSessions: 3,
  maxBacklogBytes: 16 * 1024 * 1024,
  listLimit: 1000,
} as const;

export type CopyPhase = 'scan-target' | 'copy' | 'acl' | 'delete' | 'verify';

export interface CopyProgress {
  phase: CopyPhase;
  /** Nodes done in this phase. */
  nodes: number;
  /** Data bytes done in this phase. */
  bytes: number;
  /** Best current estimate of the phase's total nodes (the walk discovers the tree as it goes). */
  total: number | undefined;
  /** Milliseconds since the phase started. */
  elapsedMs: number;
}

/** A capped list of paths with its exact count. */
export interface PathList {
  count: number;
  paths: string[];
}

export interface VerifyResult {
  mode: 'target' | 'full';
  /** True when every source node is on the target with the same data and ACL (and, except with `overwrite`, nothing extra). */
  ok: boolean;
  /** Source nodes compared. */
  nodes: number;
  /** `-` missing on the target, `~` different, `+` only on the target. */
  count: { missing: number; changed: number; extra: number };
  /** The first differences, sorted by path (relative paths; see formatDifference). */
  differences: TreeDifference[];
  sourceDigest: string;
  targetDigest: string;
  /** `full` only: the source read again differs from what the copy read (something wrote to it). */
  sourceChanged?: boolean;
  ms: number;
}

export interface CopySummary {
  source: string;
  target: string;
  mode: OnExists;
  dryRun: boolean;
  /** Source nodes copied or compared (ephemeral and excluded nodes not counted). */
  nodes: number;
  /** Their data bytes. */
  bytes: number;
  created: number;
  /** Existing target nodes rewritten because data or ACL differed. */
  updated: number;
  /** Of `updated`, those whose ACL was set. */
  aclUpdated: number;
  deleted: number;
  /** Existing target nodes already identical (not rewritten). */
  unchanged: number;
  skippedEphemeral: PathList;
  excluded: PathList;
  /** Nodes that disappeared from the source between being listed and being read. */
  vanished: number;
  /** Highest mzxid / pzxid seen in the source read (hex): a later read with higher values means the source changed. */
  maxMzxid: string;
  maxPzxid: string;
  /** Digest of the source tree as read (see treeDigest). */
  digest: string;
  /** Dry run: what would be created, updated and deleted. */
  plan?: { create: PathList; update: PathList; delete: PathList };
  verify?: VerifyResult;
  durationMs: number;
  copyMs: number;
  warnings: string[];
  /** Engine counters, for the curious and the benchmark. */
  stats: {
    readSessions: number;
    multis: number;
    /** Batches whose outcome was unknown (connection loss) or failed, re-read and settled. */
    recoveries: number;
    /** Nodes read again (changed while read, or a connection dropped). */
    rereads: number;
    /** Sessions (source and target) that expired and were replaced. */
    expiredSessions: number;
  };
}
