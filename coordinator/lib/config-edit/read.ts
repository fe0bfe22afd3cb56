/**
 * Reading meta-server configs through the agents: each host's config.ini (the inventory's
 * `meta_config`) is fetched with ReadConfig, parsed with the rules Pegasus uses (shared/ini: the
 * first definition of a key wins; the agent sends that parse along) and reduced to the values
 * asked for. Nothing else of the file is kept, so memory does not grow with the size of the fleet.
 */
import { InvalidInputError } from '../../../shared/errors';
import { iniView, parseIni } from '../../../shared/ini';
import { AgentPool, HostOutcome, HostTarget, makeRecap, Recap, targetsOf } from '../fleet';
import type { PegasusCluster } from '../inventory';
import { formatKeyPath, KeyPath } from './key-path';
import { MIGRATION_KEYS, sameValue } from './pegasus-keys';

/** What one meta's config says, reduced to what zkmig needs. */
export interface MetaConfig {
  /** Path on the host. */
  path: string;
  /** sha256 of the file as read: pass it back as `expectedSha256` to edit exactly this version. */
  sha256: string;
  size: number;
  /** `section.key` → the value Pegasus uses (the first definition), or null when absent. */
  values: Record<string, string | null>;
  /** Keys defined more than once, in any section (Pegasus uses the first and warns). */
  duplicates: { key: string; lines: number[] }[];
  /**
   * Keys written where Pegasus does not read them: `hosts_list` under `[meta_server]`
   * (docs/pegasus-internals.md §8.1). Value as written, 1-based line.
   */
  misplaced: { key: string; value: string; line: number }[];
  /** Lines Pegasus would refuse the whole file for. */
  problems: { line: number; message: string }[];
  /** `%{...}` placeholders left in the file (a deployment tool should have expanded them). */
  placeholders: string[];
}

/**
 * The parsed view of a config (shared/ini `iniView`), which is also what the agent's ReadConfig
 * returns as `parsed`: both come from the same parser, so the coordinator need not parse again.
 */
export interface ConfigView {
  sections: readonly { name: string; entries: readonly { key: string; value: string; line: number }[] }[];
  duplicates: readonly { section: string; key: string; lines: readonly number[] }[];
  problems: readonly { line: number; message: string }[];
  placeholders: readonly string[];
}

/** `hosts_list` where the Pegasus website puts it and Pegasus never reads it (docs/pegasus-internals.md §8.1). */
const MISPLACED_HOSTS_LIST: KeyPath = { section: 'meta_server', key: 'hosts_list' };

/** Reduce a parsed view to `keys` and the findings any reader of it needs. Pure. */
export function reduceConfigView(view: ConfigView, keys: readonly KeyPath[]): Omit<MetaConfig, 'path' | 'sha256' | 'size'> {
  const first = (section: string, key: string): { value: string; line: number } | undefined => {
    for (const s of view.sections) {
      if (s.name !== section) continue;
      const e = s.entries.find((x) => x.key === key);
      if (e) return e;
    }
    return undefined;
  };
  const values: Record<string, string | null> = {};
  for (const k of keys) values[formatKeyPath(k)] = first(k.section, k.key)?.value ?? null;
  const misplaced = view.sections
    .filter((s) => s.name === 'meta_server')
    .flatMap((s) => s.entries.filter((e) => e.key === 'hosts_list').map((e) => ({ key: 'meta_server.hosts_list', value: e.value, line: e.line })));
  return {
    values,
    duplicates: view.duplicates.map((d) => ({ key: `${d.section}.${d.key}`, lines: [...d.lines] })),
    misplaced,
    problems: view.problems.map((p) => ({ line: p.line, message: p.message })),
    placeholders: [...view.placeholders].sort(),
  };
}

/** The same from a config's text, parsed here with the rules Pegasus uses (shared/ini). */
export function extractMetaConfig(content: string, keys: readonly KeyPath[]): Omit<MetaConfig, 'path' | 'sha256' | 'size'> {
  return reduceConfigView(iniView(parseIni(content)), keys);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface ReadConfigsOptions {
  pool: AgentPool;
  targets: readonly HostTarget[];
  /** @default MIGRATION_KEYS */
  keys?: readonly KeyPath[];
  onProgress?: (done: number, total: number) => void;
}

/** Read and reduce every target's config; one outcome per host, never throws for a host. */
export function readMetaConfigs(o: ReadConfigsOptions): Promise<HostOutcome<MetaConfig>[]> {
  const keys = o.keys ?? MIGRATION_KEYS;
  return o.pool.run(
    o.targets,
    async (client, t) => {
      // Only the keys asked for (plus where a misplaced hosts_list would be) travel: the whole
      // file and its parse are ~150 KB of garbage per host, which made the coordinator's peak
      // memory grow with the size of the fleet.
      const r = await client.readConfig(t.host.metaConfig, { onlyKeys: [...keys, MISPLACED_HOSTS_LIST] });
      const base = { path: r.path || t.host.metaConfig, sha256: r.sha256, size: r.size || r.content.length };
      // The agent parsed the file with the same shared/ini code; parsing it again here would only
      // double the garbage per host.
      if (r.parsed) return { ...base, ...reduceConfigView(r.parsed, keys) };
      let text: string;
      try {
        text = utf8.decode(r.content);
      } catch {
        throw new InvalidInputError(`${t.host.metaConfig} on ${t.host.name} is not valid UTF-8`);
      }
      return { ...base, ...extractMetaConfig(text, keys) };
    },
    o.onProgress ? { onProgress: o.onProgress } : {},
  );
}

export interface GetConfigOptions {
  pool: AgentPool;
  cluster: PegasusCluster;
  /** @default MIGRATION_KEYS */
  keys?: readonly KeyPath[];
  /** Only these inventory hosts. @default every meta of the cluster */
  hosts?: readonly string[];
  onProgress?: (done: number, total: number) => void;
}

export interface GetConfigResult {
  cluster: string;
  /** `section.key`, in the order asked. */
  keys: string[];
  hosts: HostOutcome<MetaConfig>[];
  /** Keys whose value is not the same on every host that answered (lists compared as sets). */
  drift: string[];
  recap: Recap;
}

/** `zkmig config get`: the values of `keys` on every meta of a cluster, and where they differ. */
export async function getConfig(o: GetConfigOptions): Promise<GetConfigResult> {
  const keys = o.keys ?? MIGRATION_KEYS;
  if (keys.length === 0) throw new InvalidInputError('config get: no key given');
  const hosts = await readMetaConfigs({ pool: o.pool, targets: selectTargets(o.cluster, o.hosts), keys, ...(o.onProgress ? { onProgress: o.onProgress } : {}) });
  const read = hosts.flatMap((h) => (h.value ? [h.value] : []));
  const drift = keys.filter((k) => {
    const name = formatKeyPath(k);
    const first = read[0]?.values[name] ?? null;
    return read.some((c) => !sameValue(k, first, c.values[name] ?? null));
  });
  return { cluster: o.cluster.name, keys: keys.map(formatKeyPath), hosts, drift: drift.map(formatKeyPath), recap: makeRecap(hosts) };
}

/** Targets of one cluster, optionally restricted to named hosts; InvalidInputError naming an unknown host. */
export function selectTargets(cluster: PegasusCluster, hosts?: readonly string[]): HostTarget[] {
  if (hosts) {
    const unknown = hosts.filter((h) => !cluster.metas.some((m) => m.name === h));
    if (unknown.length > 0) {
      throw new InvalidInputError(`cluster ${cluster.name} has no host ${unknown.map((h) => `"${h}"`).join(', ')} (hosts: ${cluster.metas.map((m) => m.name).join(', ')})`);
    }
  }
  return targetsOf([cluster], hosts);
}
