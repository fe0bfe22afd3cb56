/**
 * Edits of meta-server configs across a cluster through the agents (`zkmig config set`, and the
 * migration's edits of `[zookeeper] hosts_list` and `[meta_server] recover_from_replica_server`).
 *
 * Three phases per host, done by the agent: read → compute with the lossless
 * editor → write only if the content differs, atomically, after a backup. Check mode computes the
 * same result and diff and writes nothing. A second identical call is `changed: false`.
 *
 * Edits are validated here, before any host is contacted, so a typo changes nothing anywhere:
 * malformed sections/keys/values, a value Pegasus would reject for a key zkmig knows, and
 * `hosts_list` under `[meta_server]` (where Pegasus never reads it).
 *
 * Mutations are not retried (agent-retry.ts): a host that did not answer is `unreachable`, and
 * the caller re-reads it before trying again, which the idempotent edit makes safe.
 */
import { InvalidInputError } from '../../../shared/errors';
import { IniEdit, validateEdit } from '../../../shared/ini';
import type { ConfigChangeResponse__Output } from '../../../shared/generated/zkmig/agent/v1/ConfigChangeResponse';
import { AgentPool, HostOutcome, makeRecap, Recap } from '../fleet';
import type { PegasusCluster } from '../inventory';
import { formatKeyPath } from './key-path';
import { invalidValueReason, misplacedKey } from './pegasus-keys';
import { selectTargets } from './read';

export interface SetConfigOptions {
  pool: AgentPool;
  cluster: PegasusCluster;
  /** Applied in order on every host, as one atomic write per host. */
  edits: readonly IniEdit[];
  /** Only these inventory hosts. @default every meta of the cluster */
  hosts?: readonly string[];
  /** Compute changes and diffs, write nothing. @default false */
  checkMode?: boolean;
  /**
   * Inventory host name → the sha256 the caller planned against (from readMetaConfigs). The agent
   * refuses the edit (FAILED_PRECONDITION, so that host is `failed`) when the file changed since.
   * Hosts not listed are edited whatever their current content. @default {}
   */
  expectedSha256?: Readonly<Record<string, string>>;
  onProgress?: (done: number, total: number) => void;
}

/** What the agent did (or, in check mode, would do) to one host's config. */
export interface ConfigChange {
  path: string;
  checkMode: boolean;
  /** Derived by the agent from before !== after. */
  changed: boolean;
  beforeSha256: string;
  /** The file's sha256 after the call (what it would be, in check mode). */
  afterSha256: string;
  /** Backup of the previous content; '' when nothing was written. Pass it to a restore to undo. */
  backupFile: string;
  /** `diff -u` of before and after; '' when nothing changes. */
  diff: string;
  msg: string;
  warnings: string[];
  /** One per edit, in order: unchanged | updated | added | removed | section-added | absent-already. */
  outcomes: { action: string; section: string; key: string; lines: number[] }[];
}

export interface SetConfigResult {
  cluster: string;
  checkMode: boolean;
  edits: IniEdit[];
  hosts: HostOutcome<ConfigChange>[];
  recap: Recap;
}

/** Throws InvalidInputError naming the first bad edit. */
export function validateConfigEdits(edits: readonly IniEdit[]): void {
  if (edits.length === 0) throw new InvalidInputError('no edit given (expected SECTION.KEY=VALUE or an absent key)');
  edits.forEach((e, i) => {
    const name = `${e.section}.${e.key}`;
    try {
      validateEdit(e, i);
    } catch (err) {
      throw new InvalidInputError(`${name}: ${(err as Error).message.replace(/^edits\[\d+\]\.?/, '')}`, { cause: err });
    }
    const right = misplacedKey(e);
    if (right && !e.absent) {
      throw new InvalidInputError(
        `${name}: Pegasus never reads hosts_list from [meta_server] (the meta would silently keep its old ensemble); set ${formatKeyPath(right)} instead`,
      );
    }
    if (e.value !== undefined && !e.absent) {
      const why = invalidValueReason(e, e.value);
      if (why) throw new InvalidInputError(`${name}: ${why}`);
    }
  });
}

function toChange(r: ConfigChangeResponse__Output): ConfigChange {
  return {
    path: r.path,
    checkMode: r.check_mode,
    changed: r.changed,
    beforeSha256: r.before_sha256,
    afterSha256: r.after_sha256,
    backupFile: r.backup_file,
    diff: r.diff?.unified ?? '',
    msg: r.msg,
    warnings: [...r.warnings],
    outcomes: r.outcomes.map((o) => ({ action: o.action, section: o.section, key: o.key, lines: [...o.lines] })),
  };
}

/** Apply `edits` on the cluster's metas; one outcome per host (`changed` when its file changed or would). */
export async function setConfig(o: SetConfigOptions): Promise<SetConfigResult> {
  validateConfigEdits(o.edits);
  const targets = selectTargets(o.cluster, o.hosts);
  const expected = o.expectedSha256 ?? {};
  for (const [host, sha] of Object.entries(expected)) {
    if (!o.cluster.metas.some((m) => m.name === host)) throw new InvalidInputError(`expectedSha256: cluster ${o.cluster.name} has no host "${host}"`);
    if (!/^[0-9a-fA-F]{64}$/.test(sha)) throw new InvalidInputError(`expectedSha256 of host "${host}": "${sha}" is not a sha256 (64 hex digits)`);
  }
  const checkMode = o.checkMode === true;
  const edits = o.edits.map((e) => ({ ...e }));
  const hosts = await o.pool.run(
    targets,
    async (client, t) => {
      const sha = expected[t.host.name];
      return toChange(await client.editConfig({ path: t.host.metaConfig, edits, checkMode, ...(sha ? { expectedSha256: sha } : {}) }));
    },
    { changed: (c) => c.changed, ...(o.onProgress ? { onProgress: o.onProgress } : {}) },
  );
  return { cluster: o.cluster.name, checkMode, edits, hosts, recap: makeRecap(hosts) };
}
