import type { PegasusCluster } from '../inventory';
import type { RunEnv } from './env';
import type { MigrateParams } from './params';
import type { NodeFacts, PreflightFacts, TableFacts } from './preflight';
import type { StepContext } from './runner';

/**
 * The steps of each method as one definition each: what the plan shows (title, hosts,
 * detail) and what the run does, with the typed data each step journals. `plan` and the run both
 * map over the same arrays (steps.ts), so a step added to a method is planned and run, or neither.
 */

/** Every step journals a one-line summary, except in check mode where some do nothing. */
export interface Summary {
  summary?: string;
}

/** The `preflight` step: the facts every later step reads. */
export type PreflightOut = PreflightFacts & Summary;

export interface CopyOut extends Summary {
  nodes?: number;
  bytes?: number;
  created?: number;
  updated?: number;
  deleted?: number;
  skippedEphemeral?: string[];
  /** The source as the copy read it (absent in check mode). */
  digest?: string;
  /** The target as read back; equal to `digest`, or the step failed. */
  targetDigest?: string;
}

export interface SourceCheckOut extends Summary {
  /** Absent in check mode (nothing compared). */
  digest?: string;
  maxMzxid?: string;
  copies?: number;
  /** The tables to expect after a recopy (a drop or rename went through meanwhile). */
  tables?: TableFacts[];
  recopied?: boolean;
}

/** `precopy` (copy with pre-copy): the live copy and its catch-up rounds, before anything is stopped. */
export interface PrecopyOut extends Summary {
  /** From the step's start until the outstanding delta was below the threshold. */
  precopyMs?: number;
  copyMs?: number;
  compareMs?: number;
  /** Catch-up rounds run (the initial copy and comparison not counted). */
  rounds?: number;
  /** Changes outstanding when the step ended (below the threshold). */
  outstanding?: number;
  /** Writes the catch-up rounds applied to the target. */
  applied?: number;
  changeDetection?: 'watch' | 'sweep';
  resyncs?: number;
}

/**
 * `finalize` (copy with pre-copy): the last delta and the proof, with the source frozen; or, when
 * the follower is gone (a resumed run) or its proof failed, a full copy with a full verify.
 */
export interface FinalizeOut extends Summary {
  /** `delta`/`full`: the follower's proof (follow.ts); `copy`: the fallback full copy and verify. */
  proof?: 'delta' | 'full' | 'copy';
  /** Why the fallback copy ran instead of the follower's proof. */
  fallback?: string;
  /** The proven tree's digest (treeDigest, as `fingerprint` computes it): the point-of-no-return probe compares the target with it. */
  digest?: string;
  nodes?: number;
  /** Rounds and writes of the last delta. */
  rounds?: number;
  applied?: number;
  /** Paths the delta proof compared. */
  compared?: number;
  ms?: { finalDelta: number; aclCheck: number; proof: number; digest: number; total: number };
  /** Writes the background catch-up rounds applied between the pre-copy's end and finalize (steps-precopy.ts keepFollowing). */
  appliedSincePrecopy?: number;
  /** The ACL sweep ran before the freeze, alongside the followers' stays-stopped window (steps-precopy.ts), in this many ms. */
  aclSweptBeforeFreezeMs?: number;
}

/** `wait-leader` (copy): when the leader served from the new ensemble, and when the cluster first read healthy there (ms since the epoch). */
export interface LeaderOut extends Summary {
  servingAt?: number;
  healthyAt?: number;
}

export interface BackupsOut extends Summary {
  /** Per host, the agent's backup of the config it edited. */
  backups: Record<string, string>;
}

export interface StartedOut extends Summary {
  /** When the agent's start returned, ms since the epoch; absent in check mode. */
  startedAt?: number;
  /** start-leader (copy): when the meta port first answered, and when the leader first served from the new ensemble, if within the agent's start (leader-start.ts). */
  upAt?: number;
  servingAt?: number;
  /** start-leader (copy): the agent's start failed, and a copy of the meta started outside the agent (a supervisor) serves from the new ensemble instead. */
  outsideAgent?: boolean;
}

/** `backup-lists` (recover): what recovery must bring back, and from which nodes. */
export interface BackupListsOut extends Summary {
  tables: TableFacts[];
  dropped: TableFacts[];
  nodes: NodeFacts[];
  recoverNodes: string[];
  files: { apps: string; nodes: string; recoverNodes: string };
}

/** A reconfig move's step: the dynamic config it left (hex version and member lines). */
export interface ConfigOut extends Summary {
  configVersion?: string;
  members?: string[];
}

/**
 * `roll-metas` (reconfig): the agents' backups, and the leader's failover, the method's whole
 * write freeze, in parts: from the leader's stop until another meta serves from the new servers,
 * then until the first health check passes.
 */
export interface RollOut extends BackupsOut {
  freeze?: { stopToServingMs: number; servingToHealthyMs: number; totalMs: number; newLeader: string };
}

/** What each named step journals. A step's `run` must return this type; readers get it typed. */
export interface StepOutputs {
  preflight: PreflightOut;
  // copy
  'stop-followers': Summary;
  'set-blind': Summary;
  copy: CopyOut;
  'check-source': SourceCheckOut;
  'stop-leader': Summary;
  'recheck-source': SourceCheckOut;
  precopy: PrecopyOut;
  finalize: FinalizeOut;
  'update-configs': BackupsOut;
  'start-leader': StartedOut;
  'wait-leader': LeaderOut;
  'start-followers': Summary;
  // recover
  'backup-lists': BackupListsOut;
  'stop-metas': Summary & { stoppedAt?: number };
  'wait-inactive': Summary;
  'configure-recovery': BackupsOut | Summary;
  'start-recovery-meta': Summary;
  recover: Summary & { hints?: string[] };
  'disable-recovery': Summary;
  'restart-recovered-meta': StartedOut;
  'start-others': Summary;
  'wait-converged': Summary & { extraTables?: string[] };
  // reconfig
  'add-observers': ConfigOut;
  promote: ConfigOut;
  'roll-metas': RollOut;
  'remove-old': ConfigOut;
  'confirm-write': Summary & { zxid?: string };
  // every method
  'final-health': Summary;
}

export type StepName = keyof StepOutputs;
/** The steps of a method (every named step but the preflight, which `plan` runs on its own). */
export type MethodStepName = Exclude<StepName, 'preflight'>;

/** One step of a method: described for the plan from the preflight's facts, and run. */
export interface MethodStep<K extends MethodStepName = MethodStepName> {
  name: K;
  /** One line, shown in the plan and in the run's step-start and step-done events. */
  title(f: PreflightFacts): string;
  /** Inventory hosts the step acts on (empty: the cluster through the shell, or ZooKeeper). */
  hosts(f: PreflightFacts, cluster: PegasusCluster): string[];
  /** The plan's second line: what to expect (deadlines, what is checked); '' for none. */
  detail(params: MigrateParams, f: PreflightFacts): string;
  /** The point of no return is passed during this step (no-return.ts). */
  pointOfNoReturn?: boolean;
  /** Re-reads the real state first, so running it twice is safe (runner.ts). */
  run(env: RunEnv, ctx: StepContext): Promise<StepOutputs[K]>;
}

/** Checks each step's output type against its name at the definition. */
export function step<K extends MethodStepName>(def: MethodStep<K>): MethodStep<K> {
  return def;
}
