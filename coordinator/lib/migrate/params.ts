import { InvalidInputError, UsageError } from '../../../shared/errors';
import { parseHosts } from '../../../shared/zk/endpoint';
import { cClientHostProblems } from './ensemble-guard';

/**
 * What a migration run was asked to do. Written into the journal's run-start entry, so that
 * `resume` and `rollback` rebuild exactly the same run from the journal alone.
 */

export type Method = 'copy' | 'recover' | 'reconfig';
export const METHODS: readonly Method[] = ['copy', 'recover', 'reconfig'];

export interface MigrateParams {
  /** Absolute path of the Ansible inventory. */
  inventory: string;
  cluster: string;
  /** The target ensemble's connect string (hosts only; `cluster_root` stays the same). */
  to: string;
  method: Method;
  /** Check mode everywhere: agents compute diffs, nothing changes. @default false */
  dryRun: boolean;
  /** Roll back by itself when a step after the first change fails. @default true */
  autoRollback: boolean;
  /** recover: go on when `nodes` shows UNALIVE replica servers (their replicas are not collected). @default false */
  allowUnalive: boolean;
  /**
   * Go on although active duplications, running bulk loads or backup policies write the tree
   * (preflight refuses them by default: the copy method would keep recopying, the recover method
   * cannot restore them). @default false
   */
  allowRunningJobs: boolean;
  /** copy: what to do when the source changed during the copy: copy again, or abort (and roll back). @default 'recopy' */
  onSourceChange: 'recopy' | 'abort';
  /** copy: copies in all before giving up on a source that keeps changing. @default 3 */
  maxCopyAttempts: number;
  /**
   * copy: copy the tree while the cluster runs and keep the target following it (steps-precopy.ts),
   * so that the write freeze covers only the last delta; false runs the copy inside the freeze
   * (`--no-precopy`). A journal written before the pre-copy existed lacks it: false then, so that
   * its run resumes on the steps it started with. @default true
   */
  precopy: boolean;
  /** copy with pre-copy: the freeze starts only once fewer changes than this are outstanding. @default 100 */
  precopyThreshold: number;
  /** copy with pre-copy: how long the catch-up rounds may take to get below the threshold; then the run fails, nothing stopped. @default 600000 */
  precopyTimeoutMs: number;
  /** copy with pre-copy: how the final proof compares the trees: the changed paths only (`delta`) or both trees in full. @default 'delta' */
  verify: 'delta' | 'full';
  /** After a meta restart, how long it may take to serve from the new ensemble. @default 120000 */
  leaderTimeoutMs: number;
  /** reconfig: how long a new ZooKeeper server may take to follow the leader and sync (snapshot plus diff). @default 120000 */
  syncTimeoutMs: number;
  /** How long the cluster may take to be healthy after the cutover. @default 300000 */
  healthTimeoutMs: number;
  /** recover: how long tables and replica counts may take to match the backup. @default 600000 */
  convergeTimeoutMs: number;
  /** recover: the wait for replica servers to go inactive; undefined = derived from the configs. */
  inactiveWaitMs: number | undefined;
  /** Deadline of one Pegasus shell command. @default 30000 */
  shellTimeoutMs: number;
  /**
   * After each stop, how long every stopped meta must stay down (agent status and meta port
   * polled; stay-stopped.ts): catches a supervisor that restarts it. 0 turns the watch off. @default 5000
   */
  stayStoppedMs: number;
}

export const PARAM_DEFAULTS = {
  dryRun: false,
  autoRollback: true,
  allowUnalive: false,
  allowRunningJobs: false,
  onSourceChange: 'recopy',
  maxCopyAttempts: 3,
  precopy: true,
  precopyThreshold: 100,
  precopyTimeoutMs: 600_000,
  verify: 'delta',
  leaderTimeoutMs: 120_000,
  syncTimeoutMs: 120_000,
  healthTimeoutMs: 300_000,
  convergeTimeoutMs: 600_000,
  inactiveWaitMs: undefined,
  shellTimeoutMs: 30_000,
  stayStoppedMs: 5_000,
} as const;

export type MigrateInput = Pick<MigrateParams, 'inventory' | 'cluster' | 'to' | 'method'> & Partial<Omit<MigrateParams, 'inventory' | 'cluster' | 'to' | 'method'>>;

/** The JavaScript type each parameter must have (a library caller or a journal edited by hand may pass anything). */
const PARAM_TYPES: Record<keyof MigrateParams, 'string' | 'boolean' | 'number' | 'number?'> = {
  inventory: 'string',
  cluster: 'string',
  to: 'string',
  method: 'string',
  dryRun: 'boolean',
  autoRollback: 'boolean',
  allowUnalive: 'boolean',
  allowRunningJobs: 'boolean',
  onSourceChange: 'string',
  maxCopyAttempts: 'number',
  precopy: 'boolean',
  precopyThreshold: 'number',
  precopyTimeoutMs: 'number',
  verify: 'string',
  leaderTimeoutMs: 'number',
  syncTimeoutMs: 'number',
  healthTimeoutMs: 'number',
  convergeTimeoutMs: 'number',
  inactiveWaitMs: 'number?',
  shellTimeoutMs: 'number',
  stayStoppedMs: 'number',
};

/** Apply defaults and validate; UsageError naming the bad option. */
export function resolveParams(i: MigrateInput): MigrateParams {
  for (const [k, want] of Object.entries(PARAM_TYPES)) {
    const v = (i as unknown as Record<string, unknown>)[k];
    if (v === undefined) continue;
    if (typeof v !== want.replace('?', '')) throw new UsageError(`${k} must be a ${want.replace('?', '')}, got ${JSON.stringify(v)}`);
  }
  if (!METHODS.includes(i.method)) throw new UsageError(`--method must be one of ${METHODS.join(', ')}, got "${i.method}"`);
  if (!i.cluster) throw new UsageError('--cluster is required');
  if (!i.to) throw new UsageError('--to is required (the new ensemble, e.g. zk1:2181,zk2:2181,zk3:2181)');
  if (i.to.includes('/')) {
    throw new UsageError(`--to "${i.to}" names a path: give the new ensemble's hosts only; the cluster keeps its cluster_root`);
  }
  const cProblems = cClientHostProblems(i.to);
  if (cProblems.length > 0) throw new UsageError(`--to "${i.to}": ${cProblems.join('; ')}`);
  try {
    parseHosts(i.to);
  } catch (e) {
    throw new UsageError(`--to: ${(e as Error).message}`, { cause: e });
  }
  const p: MigrateParams = { ...PARAM_DEFAULTS, ...stripUndefined(i) } as MigrateParams;
  for (const k of ['leaderTimeoutMs', 'syncTimeoutMs', 'healthTimeoutMs', 'convergeTimeoutMs', 'shellTimeoutMs', 'maxCopyAttempts'] as const) {
    if (!Number.isFinite(p[k]) || p[k] <= 0) throw new UsageError(`${k} must be a positive number, got ${p[k]}`);
  }
  if (p.inactiveWaitMs !== undefined && (!Number.isFinite(p.inactiveWaitMs) || p.inactiveWaitMs < 0)) throw new UsageError(`inactiveWaitMs must be >= 0, got ${p.inactiveWaitMs}`);
  if (!Number.isFinite(p.stayStoppedMs) || p.stayStoppedMs < 0) throw new UsageError(`stayStoppedMs must be >= 0, got ${p.stayStoppedMs}`);
  if (!Number.isInteger(p.precopyThreshold) || p.precopyThreshold < 1) throw new UsageError(`precopyThreshold must be a whole number of changes >= 1, got ${p.precopyThreshold}`);
  if (!Number.isFinite(p.precopyTimeoutMs) || p.precopyTimeoutMs <= 0) throw new UsageError(`precopyTimeoutMs must be a positive number, got ${p.precopyTimeoutMs}`);
  if (p.verify !== 'delta' && p.verify !== 'full') throw new UsageError(`verify must be delta or full, got "${String(p.verify)}"`);
  if (p.onSourceChange !== 'recopy' && p.onSourceChange !== 'abort') throw new UsageError(`onSourceChange must be recopy or abort, got "${String(p.onSourceChange)}"`);
  return p;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The run-start entry's copy of the parameters (journal.ts): every field, `inactiveWaitMs` only when set. */
export function paramsToJournal(p: MigrateParams): Record<string, unknown> {
  return { ...p };
}

/**
 * The parameters a journal recorded, validated again exactly as the CLI's are: `resume` and
 * `rollback` act on a cluster from them, and a journal is a file anyone with access can edit.
 * Unknown keys are refused (a journal of a newer zkmig). A journal written by an older zkmig lacks
 * the parameters added since (stayStoppedMs, syncTimeoutMs): their defaults apply, except
 * `precopy`, false for such a journal (its copy run has the steps without the pre-copy).
 */
export function paramsFromJournal(raw: Record<string, unknown>, file: string): MigrateParams {
  const unknown = Object.keys(raw).filter((k) => !(k in PARAM_TYPES));
  if (unknown.length > 0) throw new InvalidInputError(`run journal ${file}: unknown parameter(s) ${unknown.join(', ')} in its run-start entry (written by a newer zkmig?); nothing was changed`);
  try {
    // A journal without `precopy` predates it: its copy run used the steps without the pre-copy.
    return resolveParams({ ...PARAM_DEFAULTS, ...('precopy' in raw ? {} : { precopy: false }), ...raw } as MigrateInput);
  } catch (e) {
    throw new InvalidInputError(`run journal ${file}: its run-start parameters do not validate: ${(e as Error).message}; nothing was changed`, { cause: e });
  }
}
