import { INVALID_ADDRESS } from './address';

/**
 * Pegasus metadata records and their ZooKeeper encodings (docs/pegasus-internals.md §2.3; src/common/json_helper.h
 * `NON_MEMBER_JSON_SERIALIZATION` in v2.5.0). Values are compact JSON written in a fixed field order,
 * bools as 1/0, enums as `"app_status::AS_AVAILABLE"`, gpids as `"2.0"`, unset addresses as
 * `"invalid address"`. Decoding is tolerant of missing fields (old versions lack some) and of
 * `true`/`false` for bools, like rapidjson's decoder; a wrong type or bad JSON is a decode failure.
 */

export type AppStatus = 'AS_INVALID' | 'AS_AVAILABLE' | 'AS_CREATING' | 'AS_CREATE_FAILED' | 'AS_DROPPING' | 'AS_DROP_FAILED' | 'AS_DROPPED' | 'AS_RECALLING';

export type PartitionStatus = 'PS_INVALID' | 'PS_INACTIVE' | 'PS_ERROR' | 'PS_PRIMARY' | 'PS_SECONDARY' | 'PS_POTENTIAL_SECONDARY' | 'PS_PARTITION_SPLIT';

export interface AppInfo {
  status: AppStatus;
  app_type: string;
  app_name: string;
  app_id: number;
  partition_count: number;
  envs: Record<string, string>;
  is_stateful: boolean;
  max_replica_count: number;
  expire_second: number;
  create_second: number;
  drop_second: number;
  duplicating: boolean;
  init_partition_count: number;
  is_bulk_loading: boolean;
}

export interface PartitionConfig {
  /** `<app_id>.<partition_index>` */
  pid: string;
  ballot: number;
  max_replica_count: number;
  /** `ip:port` or INVALID_ADDRESS */
  primary: string;
  secondaries: string[];
  last_drops: string[];
  last_committed_decree: number;
  /** Bit 1 = dropped. */
  partition_flags: number;
}

/** What a replica server reports about one replica it holds (RPC_QUERY_REPLICA_INFO, config sync). */
export interface ReplicaInfo {
  pid: string;
  ballot: number;
  status: PartitionStatus;
  last_committed_decree: number;
  last_prepared_decree: number;
  last_durable_decree: number;
  app_type: string;
  disk_tag: string;
}

export const PC_FLAG_DROPPED = 1;

/** thrift defaults of `app_info` (dsn.layer2.thrift): init_partition_count defaults to -1. */
export function defaultAppInfo(): AppInfo {
  return {
    status: 'AS_INVALID',
    app_type: '',
    app_name: '',
    app_id: 0,
    partition_count: 0,
    envs: {},
    is_stateful: false,
    max_replica_count: 0,
    expire_second: 0,
    create_second: 0,
    drop_second: 0,
    duplicating: false,
    init_partition_count: -1,
    is_bulk_loading: false,
  };
}

/** A partition as `app_state::create` initialises it: ballot 0, no members. */
export function emptyPartition(appId: number, pidx: number, maxReplicaCount: number): PartitionConfig {
  return {
    pid: `${appId}.${pidx}`,
    ballot: 0,
    max_replica_count: maxReplicaCount,
    primary: INVALID_ADDRESS,
    secondaries: [],
    last_drops: [],
    last_committed_decree: 0,
    partition_flags: 0,
  };
}

export function encodeAppInfo(a: AppInfo, status: AppStatus = a.status): string {
  // Field order matters: it is what a byte-wise comparison of copied trees sees.
  return (
    '{' +
    [
      `"status":${JSON.stringify(`app_status::${status}`)}`,
      `"app_type":${JSON.stringify(a.app_type)}`,
      `"app_name":${JSON.stringify(a.app_name)}`,
      `"app_id":${a.app_id}`,
      `"partition_count":${a.partition_count}`,
      `"envs":{${Object.entries(a.envs)
        .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
        .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`)
        .join(',')}}`,
      `"is_stateful":${a.is_stateful ? 1 : 0}`,
      `"max_replica_count":${a.max_replica_count}`,
      `"expire_second":${a.expire_second}`,
      `"create_second":${a.create_second}`,
      `"drop_second":${a.drop_second}`,
      `"duplicating":${a.duplicating ? 1 : 0}`,
      `"init_partition_count":${a.init_partition_count}`,
      `"is_bulk_loading":${a.is_bulk_loading ? 1 : 0}`,
    ].join(',') +
    '}'
  );
}

export function encodePartition(p: PartitionConfig): string {
  return (
    '{' +
    [
      `"pid":${JSON.stringify(p.pid)}`,
      `"ballot":${p.ballot}`,
      `"max_replica_count":${p.max_replica_count}`,
      `"primary":${JSON.stringify(p.primary)}`,
      `"secondaries":${JSON.stringify(p.secondaries)}`,
      `"last_drops":${JSON.stringify(p.last_drops)}`,
      `"last_committed_decree":${p.last_committed_decree}`,
      `"partition_flags":${p.partition_flags}`,
    ].join(',') +
    '}'
  );
}

type Json = Record<string, unknown>;

function parseObject(text: string): Json | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
  } catch {
    return undefined;
  }
}

/** Decode one field with rapidjson's tolerance: missing is fine (keep default), wrong type fails. */
class Reader {
  ok = true;
  constructor(private readonly o: Json) {}
  num(k: string, def: number): number {
    const v = this.o[k];
    if (v === undefined) return def;
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    this.ok = false;
    return def;
  }
  str(k: string, def: string): string {
    const v = this.o[k];
    if (v === undefined) return def;
    if (typeof v === 'string') return v;
    this.ok = false;
    return def;
  }
  bool(k: string, def: boolean): boolean {
    const v = this.o[k];
    if (v === undefined) return def;
    if (typeof v === 'boolean') return v;
    if (typeof v === 'number') return v !== 0;
    this.ok = false;
    return def;
  }
  strList(k: string): string[] {
    const v = this.o[k];
    if (v === undefined) return [];
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
    this.ok = false;
    return [];
  }
  strMap(k: string): Record<string, string> {
    const v = this.o[k];
    if (v === undefined) return {};
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string')) return { ...(v as Record<string, string>) };
    this.ok = false;
    return {};
  }
}

const APP_STATUSES: AppStatus[] = ['AS_INVALID', 'AS_AVAILABLE', 'AS_CREATING', 'AS_CREATE_FAILED', 'AS_DROPPING', 'AS_DROP_FAILED', 'AS_DROPPED', 'AS_RECALLING'];

/** Decode an app node; undefined when Pegasus's json_forwarder would fail ("invalid json data"). */
export function decodeAppInfo(text: string): AppInfo | undefined {
  const o = parseObject(text);
  if (!o) return undefined;
  const r = new Reader(o);
  const d = defaultAppInfo();
  const statusStr = r.str('status', `app_status::${d.status}`).replace(/^app_status::/, '');
  const status = APP_STATUSES.find((s) => s === statusStr);
  const a: AppInfo = {
    status: status ?? 'AS_INVALID',
    app_type: r.str('app_type', d.app_type),
    app_name: r.str('app_name', d.app_name),
    app_id: r.num('app_id', d.app_id),
    partition_count: r.num('partition_count', d.partition_count),
    envs: r.strMap('envs'),
    is_stateful: r.bool('is_stateful', d.is_stateful),
    max_replica_count: r.num('max_replica_count', d.max_replica_count),
    expire_second: r.num('expire_second', d.expire_second),
    create_second: r.num('create_second', d.create_second),
    drop_second: r.num('drop_second', d.drop_second),
    duplicating: r.bool('duplicating', d.duplicating),
    init_partition_count: r.num('init_partition_count', d.init_partition_count),
    is_bulk_loading: r.bool('is_bulk_loading', d.is_bulk_loading),
  };
  return r.ok && status !== undefined ? a : undefined;
}

/** Decode a partition node; undefined on failure (the meta then sees a default config, whose pid does not match). */
export function decodePartition(text: string): PartitionConfig | undefined {
  const o = parseObject(text);
  if (!o) return undefined;
  const r = new Reader(o);
  const p: PartitionConfig = {
    pid: r.str('pid', '0.0'),
    ballot: r.num('ballot', 0),
    max_replica_count: r.num('max_replica_count', 0),
    primary: r.str('primary', INVALID_ADDRESS),
    secondaries: r.strList('secondaries'),
    last_drops: r.strList('last_drops'),
    last_committed_decree: r.num('last_committed_decree', 0),
    partition_flags: r.num('partition_flags', 0),
  };
  return r.ok ? p : undefined;
}

export function gpid(appId: number, pidx: number): string {
  return `${appId}.${pidx}`;
}

export function parseGpid(g: string): { appId: number; pidx: number } {
  const [a, p] = g.split('.');
  return { appId: Number(a), pidx: Number(p) };
}

/**
 * `server_state::app_info_compatible_equal` (src/meta/server_state.h): only status, app_type,
 * app_name, app_id, partition_count, is_stateful, max_replica_count, expire_second, create_second and
 * drop_second; envs, duplicating, init_partition_count and is_bulk_loading may differ.
 */
export function appInfoCompatibleEqual(a: AppInfo, b: AppInfo): boolean {
  return (
    a.status === b.status &&
    a.app_type === b.app_type &&
    a.app_name === b.app_name &&
    a.app_id === b.app_id &&
    a.partition_count === b.partition_count &&
    a.is_stateful === b.is_stateful &&
    a.max_replica_count === b.max_replica_count &&
    a.expire_second === b.expire_second &&
    a.create_second === b.create_second &&
    a.drop_second === b.drop_second
  );
}

export function isMember(pc: PartitionConfig, node: string): boolean {
  return pc.primary === node || pc.secondaries.includes(node);
}

export function replicaCount(pc: PartitionConfig): number {
  return (pc.primary !== INVALID_ADDRESS ? 1 : 0) + pc.secondaries.length;
}

export function clonePartition(p: PartitionConfig): PartitionConfig {
  return { ...p, secondaries: [...p.secondaries], last_drops: [...p.last_drops] };
}
