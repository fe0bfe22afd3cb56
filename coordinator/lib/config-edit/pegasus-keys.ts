/**
 * The config.ini keys a ZooKeeper migration depends on (docs/pegasus-internals.md §3), how to compare their
 * values, and what a valid value looks like. Used by `config get` (default keys), `config set`
 * (refuse a value Pegasus would reject before it reaches any host) and the audit.
 */
import { parseHosts, normalizePath } from '../../../shared/zk/endpoint';
import { META_LEVELS } from '../shell/types';
import { formatKeyPath, KeyPath } from './key-path';

/** The migration-relevant keys, in the order reports show them. */
export const MIGRATION_KEYS: readonly KeyPath[] = [
  { section: 'zookeeper', key: 'hosts_list' },
  { section: 'zookeeper', key: 'timeout_ms' },
  { section: 'meta_server', key: 'server_list' },
  { section: 'meta_server', key: 'cluster_root' },
  { section: 'meta_server', key: 'distributed_lock_service_parameters' },
  { section: 'meta_server', key: 'recover_from_replica_server' },
  { section: 'meta_server', key: 'meta_function_level_on_start' },
];

/** Keys whose value is a comma-separated list where order and spacing do not matter to Pegasus. */
const LIST_KEYS = new Set(['zookeeper.hosts_list', 'meta_server.server_list']);

/** True when the value still holds a deployment-tool placeholder such as `%{cluster.name}`. */
export function hasPlaceholder(value: string): boolean {
  return /%\{[^}]*\}/.test(value);
}

/** A comma-separated list as a sorted set of trimmed, lower-cased items. */
export function listItems(value: string): string[] {
  return [...new Set(value.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== ''))].sort();
}

/**
 * The form two values are compared in: lists as sorted sets, `cluster_root` and the lock root
 * normalised the way Pegasus normalises them (`/a//b/` is `/a/b`), booleans lower-cased.
 */
export function canonicalValue(k: KeyPath, value: string): string {
  const name = formatKeyPath(k);
  if (LIST_KEYS.has(name)) return listItems(value).join(',');
  if (name === 'meta_server.cluster_root') return normalizeRoot(value);
  if (name === 'meta_server.distributed_lock_service_parameters') return normalizeRoot(value.trim().split(/\s+/)[0] ?? '');
  if (name === 'meta_server.recover_from_replica_server') return value.trim().toLowerCase();
  return value.trim();
}

export function sameValue(k: KeyPath, a: string | null, b: string | null): boolean {
  if (a === null || b === null) return a === b;
  return canonicalValue(k, a) === canonicalValue(k, b);
}

/** `/a//b/` → `/a/b`, as Pegasus splits cluster_root on `/` and drops empty pieces; other text as is. */
export function normalizeRoot(value: string): string {
  const v = value.trim();
  if (!v.startsWith('/')) return v;
  return '/' + v.split('/').filter((p) => p !== '').join('/');
}

/** Pegasus reads booleans with `dsn::buf2bool`: only `true` / `false`, case-insensitively. */
function isBool(v: string): boolean {
  return /^(true|false)$/i.test(v);
}

/**
 * Why `value` is not acceptable for a known key (undefined when it is, or when the key is not
 * one zkmig knows, or the value holds a placeholder the deployment tool will expand).
 */
export function invalidValueReason(k: KeyPath, value: string): string | undefined {
  if (hasPlaceholder(value)) return undefined;
  switch (formatKeyPath(k)) {
    case 'zookeeper.hosts_list':
    case 'meta_server.server_list':
      try {
        parseHosts(value);
        return undefined;
      } catch (e) {
        return `${(e as Error).message} (expected host:port[,host:port...])`;
      }
    case 'zookeeper.timeout_ms':
      return /^[1-9]\d*$/.test(value) ? undefined : `"${value}" is not a positive number of milliseconds`;
    case 'meta_server.cluster_root':
      try {
        normalizePath(value);
        return undefined;
      } catch (e) {
        return (e as Error).message;
      }
    case 'meta_server.distributed_lock_service_parameters': {
      const first = value.split(/\s+/)[0] ?? '';
      return first.startsWith('/') ? undefined : `"${value}": the first argument must be the lock root, an absolute znode path`;
    }
    case 'meta_server.recover_from_replica_server':
      return isBool(value) ? undefined : `"${value}" is not true or false`;
    case 'meta_server.meta_function_level_on_start':
      return (META_LEVELS as readonly string[]).includes(value) ? undefined : `"${value}" is not one of ${META_LEVELS.join(', ')} (Pegasus aborts at start on anything else)`;
    default:
      return undefined;
  }
}

/**
 * Keys that look right but that Pegasus never reads where they are written. `hosts_list` under
 * `[meta_server]` is the Pegasus website's own mistake (zk-migration.md step 4, docs/pegasus-internals.md §8.1):
 * the meta keeps the old ensemble. Returns the key it should be, or undefined.
 */
export function misplacedKey(k: KeyPath): KeyPath | undefined {
  if (k.section === 'meta_server' && k.key === 'hosts_list') return { section: 'zookeeper', key: 'hosts_list' };
  return undefined;
}
