import { AppError, InvalidInputError, TimeoutError, ZkError } from '../../../shared/errors';
import { wrapZkError, zk, ZK_CODE, zkCodeOf } from '../../../shared/zk/client';
import { fastReplies, installFastReplies, manager } from '../../../shared/zk/client-internals';
import { Dec, Enc, RawRequest, strLen } from '../../../shared/zk/jute';
import { syncPath } from './wire';

/**
 * ZooKeeper's `reconfig` (OpCode 16, 3.5+) over node-zookeeper-client, which has no such call: the
 * request is hand-encoded and queued on the client's ConnectionManager like wire.ts does, and its
 * reply (a GetDataResponse holding the new /zookeeper/config) decoded here. Plus the parser of the
 * dynamic config format both the reply and /zookeeper/config use.
 */

export const OP_RECONFIG = 16;
export const CONFIG_NODE = '/zookeeper/config';

/** KeeperException codes a reconfig answers with (org.apache.zookeeper.KeeperException.Code). */
export const RECONFIG_CODE = {
  NEW_CONFIG_NO_QUORUM: -13,
  RECONFIG_IN_PROGRESS: -14,
  BAD_ARGUMENTS: -8,
  UNIMPLEMENTED: -6,
  NO_AUTH: -102,
  BAD_VERSION: -103,
  RECONFIG_DISABLED: -123,
} as const;

export type MemberRole = 'participant' | 'observer';

export interface ConfigMember {
  id: number;
  host: string;
  quorumPort: number;
  electionPort: number;
  role: MemberRole;
  clientHost: string;
  clientPort: number;
}

export interface DynamicConfig {
  members: ConfigMember[];
  /** The config's version (the zxid that committed it); `version=` in hex. */
  version: bigint;
  text: string;
}

/** `server.4=h:2888:3888:observer;0.0.0.0:2181` (role and client part optional in the format). */
export function parseMemberLine(line: string): ConfigMember {
  const m = /^server\.(\d+)=([^:;\s]+):(\d+):(\d+)(?::(participant|observer))?(?:;(?:([^:;\s]+):)?(\d+))?$/.exec(line.trim());
  if (!m) throw new InvalidInputError(`not a ZooKeeper dynamic config line: "${line}"`);
  return {
    id: Number(m[1]),
    host: m[2]!,
    quorumPort: Number(m[3]),
    electionPort: Number(m[4]),
    role: (m[5] as MemberRole | undefined) ?? 'participant',
    clientHost: m[6] ?? '0.0.0.0',
    clientPort: m[7] === undefined ? 0 : Number(m[7]),
  };
}

/** Where clients reach member `m` (its client address; a wildcard listener means its quorum host). */
export function endpointOf(m: ConfigMember): string {
  return `${m.clientHost === '0.0.0.0' ? m.host : m.clientHost}:${m.clientPort}`;
}

export function formatMember(m: ConfigMember): string {
  return `server.${m.id}=${m.host}:${m.quorumPort}:${m.electionPort}:${m.role};${m.clientHost}:${m.clientPort}`;
}

/** Parse the text of /zookeeper/config (or a reconfig reply). */
export function parseDynamicConfig(text: string): DynamicConfig {
  const members: ConfigMember[] = [];
  let version: bigint | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('version=')) {
      const v = line.slice('version='.length);
      if (!/^[0-9a-fA-F]+$/.test(v)) throw new InvalidInputError(`bad version line in the dynamic config: "${line}"`);
      version = BigInt(`0x${v}`);
    } else if (line.startsWith('server.')) members.push(parseMemberLine(line));
  }
  if (members.length === 0) throw new InvalidInputError(`no server.N lines in the dynamic config: "${text.slice(0, 200)}"`);
  return { members, version: version ?? 0n, text };
}

/** The connect string of a config's members (`clientHost:clientPort,...`), `0.0.0.0` replaced by the member's host. */
export function clientHosts(c: DynamicConfig, filter: (m: ConfigMember) => boolean = () => true): string {
  return c.members
    .filter(filter)
    .map((m) => `${m.clientHost === '0.0.0.0' ? m.host : m.clientHost}:${m.clientPort}`)
    .join(',');
}

/**
 * A client able to send reconfig: node-zookeeper-client drops the connection on a reply to an
 * opcode it does not know, so the reply decoder of shared/zk/client-internals.ts must be installed before
 * connecting. `auth` is a digest `user:password` (the super user, or one with WRITE on
 * /zookeeper/config).
 */
export async function connectAdmin(hosts: string, o: { auth?: string; sessionTimeoutMs?: number; connectTimeoutMs?: number } = {}): Promise<zk.Client> {
  const sessionTimeout = o.sessionTimeoutMs ?? 10000;
  const client = zk.createClient(hosts, { sessionTimeout, spinDelay: 200, retries: 0 });
  installFastReplies(client);
  const wait = o.connectTimeoutMs ?? sessionTimeout;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.removeListener('connected', onConnected);
      client.close();
      reject(new TimeoutError(`could not connect to ZooKeeper ${hosts} within ${wait} ms`, { context: { hosts } }));
    }, wait);
    const onConnected = (): void => {
      clearTimeout(timer);
      resolve();
    };
    client.once('connected', onConnected);
    client.connect();
  });
  if (o.auth) client.addAuthInfo('digest', Buffer.from(o.auth));
  return client;
}

function withDeadline<T>(what: string, ms: number, run: (cb: (err: unknown, v?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      reject(new TimeoutError(`${what} not answered within ${ms} ms`));
    }, ms);
    run((err, v) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(v as T);
    });
  });
}

/**
 * Read /zookeeper/config (after a `sync`, so a follower's view is not behind the leader's). A lost
 * connection is ridden out until the deadline: a reconfig that removes the server this session is
 * on drops it (the server stops serving clients as a voter), and the client moves to another
 * server of its connect string by itself. Reading is idempotent, so reading again is safe.
 */
export async function readConfig(client: zk.Client, timeoutMs = 15000): Promise<DynamicConfig> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = Math.max(1, deadline - Date.now());
    try {
      await withDeadline<boolean>(`sync ${CONFIG_NODE}`, left, (cb) => syncPath(client, CONFIG_NODE, (e, v) => (e ? cb(wrapZkError('sync', CONFIG_NODE, e)) : cb(null, v))));
      const data = await withDeadline<Buffer>(`get ${CONFIG_NODE}`, left, (cb) => client.getData(CONFIG_NODE, (e, d) => (e ? cb(wrapZkError('get', CONFIG_NODE, e)) : cb(null, d ?? Buffer.alloc(0)))));
      return parseDynamicConfig(data.toString('utf8'));
    } catch (e) {
      if (!(e instanceof ZkError && e.zkCode === ZK_CODE.CONNECTION_LOSS) || Date.now() + 250 >= deadline) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

export interface ReconfigArgs {
  /** Incremental: `server.N=...` lines to add (or whose role to change). */
  joining?: string[];
  /** Incremental: ids to remove. */
  leaving?: number[];
  /** Non-incremental: the whole new membership (joining/leaving must be empty). */
  newMembers?: string[];
  /** Refuse (BadVersion) unless the current config has this version; -1 = any. */
  fromVersion?: bigint;
}

function nullableStrLen(s: string | null): number {
  return s === null ? 4 : strLen(s);
}

function nullableStr(e: Enc, s: string | null): void {
  if (s === null) e.int(-1);
  else e.str(s);
}

/**
 * Send one reconfig and resolve with the config it committed. The server answers once the leader
 * has committed the change; per ZooKeeper's guide that does not yet mean the new config is active
 * (see `confirmWrite` in the steps). Rejects with a ZkError carrying the KeeperException code.
 */
export function reconfig(client: zk.Client, a: ReconfigArgs, timeoutMs = 30000): Promise<DynamicConfig> {
  const cm = manager(client);
  if (!cm || !fastReplies(client)) return Promise.reject(new AppError('INTERNAL', 'reconfig needs a client from connectAdmin (reply decoder installed before connecting)'));
  const joining = a.joining && a.joining.length > 0 ? a.joining.join(',') : null;
  const leaving = a.leaving && a.leaving.length > 0 ? a.leaving.join(',') : null;
  const members = a.newMembers && a.newMembers.length > 0 ? a.newMembers.join(',') : null;
  if (members !== null && (joining !== null || leaving !== null)) return Promise.reject(new InvalidInputError('a reconfig is either incremental (joining/leaving) or a new membership, not both'));
  // The server never answers a reconfig that changes nothing (seen on 3.8.0): refuse it here.
  if (members === null && joining === null && leaving === null) return Promise.reject(new InvalidInputError('a reconfig must add, remove or replace at least one server'));
  const from = a.fromVersion ?? -1n;
  const what = members !== null ? `new members ${members}` : `${joining ? `add ${joining}` : ''}${joining && leaving ? ', ' : ''}${leaving ? `remove ${leaving}` : ''}`;
  return new Promise<DynamicConfig>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      reject(new TimeoutError(`reconfig (${what}) not answered within ${timeoutMs} ms`));
    }, timeoutMs);
    cm.queue(
      new RawRequest(
        OP_RECONFIG,
        nullableStrLen(joining) + nullableStrLen(leaving) + nullableStrLen(members) + 8,
        (e) => {
          nullableStr(e, joining);
          nullableStr(e, leaving);
          nullableStr(e, members);
          e.buf.writeBigInt64BE(from, e.off);
          e.off += 8;
        },
        (buf, off) => {
          const d = new Dec(buf, off);
          const data = d.bytes();
          return { data };
        },
      ),
      (err, res) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) {
          const code = zkCodeOf(err);
          return reject(new ZkError(`reconfig (${what}) failed: ${reconfigErrorText(code, err)}`, { zkCode: code, path: CONFIG_NODE, cause: err }));
        }
        const p = res?.payload as { data?: Buffer | null } | undefined;
        try {
          resolve(parseDynamicConfig((p?.data ?? Buffer.alloc(0)).toString('utf8')));
        } catch (e) {
          reject(e);
        }
      },
    );
  });
}

function reconfigErrorText(code: number | undefined, err: unknown): string {
  switch (code) {
    case RECONFIG_CODE.NO_AUTH:
      return 'not authorised (NoAuth): reconfig needs the super user or WRITE on /zookeeper/config (--zk-auth user:password)';
    case RECONFIG_CODE.RECONFIG_DISABLED:
      return 'reconfigEnabled is false on the ensemble (ReconfigDisabled)';
    case RECONFIG_CODE.NEW_CONFIG_NO_QUORUM:
      return 'no quorum of the new config is connected and synced with the leader (NewConfigNoQuorum)';
    case RECONFIG_CODE.RECONFIG_IN_PROGRESS:
      return 'another reconfig is in progress (ReconfigInProgress)';
    case RECONFIG_CODE.BAD_VERSION:
      return 'the config changed since it was read (BadVersion)';
    case RECONFIG_CODE.BAD_ARGUMENTS:
      return 'the server refused the arguments (BadArguments)';
    case RECONFIG_CODE.UNIMPLEMENTED:
      return 'the server does not implement reconfig (ZooKeeper before 3.5)';
    default:
      return `${(err as Error)?.name ?? String(err)}${code === undefined ? '' : ` (${code})`}`;
  }
}
