import type * as zk from 'node-zookeeper-client';
import { endpointArg } from '../../../shared/zk/endpoint';
import { NotFoundError, ZkError } from '../../../shared/errors';
import { ConnOptions, ZkConn } from './conn';

/** One znode as `zkmig zk get`/`stat` show it: zkCli's `get -s` and `getAcl` in one read. */
export interface ZnodeInfo {
  path: string;
  /** The data; null when the node holds none (distinct from empty data). */
  data: Buffer | null;
  stat: ZnodeStat;
  acl: { scheme: string; id: string; perms: string }[];
}

/** zkCli's `stat` fields; zxids and the session id in hex, times as ISO strings. */
export interface ZnodeStat {
  czxid: string;
  mzxid: string;
  pzxid: string;
  ctime: string;
  mtime: string;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: string;
  dataLength: number;
  numChildren: number;
}

export interface GetOptions {
  endpoint: string;
  conn?: ConnOptions;
}

export async function getZnode(o: GetOptions): Promise<ZnodeInfo> {
  const ep = endpointArg(o.endpoint);
  const conn = await ZkConn.open(ep.hosts, o.conn ?? {});
  try {
    const c = conn.client;
    const [data, stat] = await new Promise<[Buffer | undefined, zk.Stat]>((resolve, reject) =>
      c.getData(ep.path, (err, d, s) => (err ? reject(zkErr(err as Error & { code?: number }, ep.path)) : resolve([d, s]))),
    );
    const acls = await new Promise<zk.ACL[]>((resolve, reject) => c.getACL(ep.path, (err, a) => (err ? reject(zkErr(err as Error & { code?: number }, ep.path)) : resolve(a))));
    return {
      path: ep.path,
      data: data ?? null,
      stat: statOf(stat),
      acl: acls.map((a) => ({ scheme: a.id.scheme, id: a.id.id, perms: permsOf(permissionOf(a)) })),
    };
  } finally {
    conn.close();
  }
}

function zkErr(err: Error & { code?: number }, path: string): Error {
  if (err.code === -101) return new NotFoundError(`${path} does not exist`);
  return new ZkError(`reading ${path}: ${err.message}`, { ...(err.code !== undefined ? { zkCode: err.code } : {}), cause: err });
}

const long = (b: Buffer): bigint => b.readBigInt64BE(0);
const hex = (b: Buffer): string => `0x${long(b).toString(16)}`;

function statOf(s: zk.Stat): ZnodeStat {
  const r = s as unknown as Record<string, Buffer | number>;
  return {
    czxid: hex(r['czxid'] as Buffer),
    mzxid: hex(r['mzxid'] as Buffer),
    pzxid: hex(r['pzxid'] as Buffer),
    ctime: new Date(Number(long(r['ctime'] as Buffer))).toISOString(),
    mtime: new Date(Number(long(r['mtime'] as Buffer))).toISOString(),
    version: r['version'] as number,
    cversion: r['cversion'] as number,
    aversion: r['aversion'] as number,
    ephemeralOwner: hex(r['ephemeralOwner'] as Buffer),
    dataLength: r['dataLength'] as number,
    numChildren: r['numChildren'] as number,
  };
}

/** zkCli's letters: c d r w a. */
function permsOf(p: number): string {
  return [[4, 'c'], [8, 'd'], [1, 'r'], [2, 'w'], [16, 'a']].map(([bit, ch]) => ((p & (bit as number)) !== 0 ? ch : '')).join('');
}

/** The client sets `permission` at run time; its type declarations call it `perms`. */
function permissionOf(a: zk.ACL): number {
  const x = a as unknown as { permission?: number; perms?: number };
  return x.permission ?? x.perms ?? 0;
}
