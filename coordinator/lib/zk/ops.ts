import { ZK_CODE, wrapZkError, zkCodeOf } from '../../../shared/zk/client';
import { AclKey, aclKey, OPEN_RAW_ACL } from './acl';
import type { ZkConn } from './conn';
import { dataHash } from './tree-index';
import { AclReply, ChildrenReply, DataReply, getACL, getChildren, getData, multi, Reply } from './wire';

/** Single-node helpers on a ZkConn, for preflight checks (not the hot path). */

function call<T>(conn: ZkConn, op: string, path: string, f: (cb: Reply<T>) => void): Promise<T | undefined> {
  return conn.deadline(
    new Promise((resolve, reject) =>
      f((err, v) => {
        if (!err) return resolve(v);
        if (zkCodeOf(err) === ZK_CODE.NO_NODE) return resolve(undefined);
        reject(wrapZkError(op, path, err));
      }),
    ),
    `${op} ${path}`,
  );
}

export interface NodeFacts {
  dataLength: number;
  numChildren: number;
  ephemeral: boolean;
  hash: string;
  acl: AclKey;
  children?: string[];
}

/** Data hash, ACL and Stat of one node (and its children when asked), or undefined when it does not exist. */
export async function statOf(conn: ZkConn, path: string, withChildren = false): Promise<NodeFacts | undefined> {
  await conn.whenConnected();
  const c = conn.client;
  const [d, a, ch] = await Promise.all([
    call<DataReply>(conn, 'get', path, (cb) => getData(c, path, cb)),
    call<AclReply>(conn, 'getACL', path, (cb) => getACL(c, path, cb)),
    withChildren ? call<ChildrenReply>(conn, 'getChildren', path, (cb) => getChildren(c, path, cb)) : Promise.resolve(undefined),
  ]);
  if (!d || !a) return undefined;
  const facts: NodeFacts = {
    dataLength: d.stat.dataLength,
    numChildren: d.stat.numChildren,
    ephemeral: d.stat.ephemeralOwner !== 0n,
    hash: dataHash(d.data),
    acl: aclKey(a.acl),
  };
  if (ch) facts.children = ch.children;
  return facts;
}

/** Create every missing prefix of `path` as an empty persistent node with an open ACL, as Pegasus does for its roots. */
export async function mkdirpOpen(conn: ZkConn, path: string): Promise<void> {
  const parts = path.split('/').filter((p) => p !== '');
  let cur = '';
  for (const p of parts) {
    cur += '/' + p;
    await conn.whenConnected();
    const at = cur;
    await conn.deadline(
      new Promise<void>((resolve, reject) =>
        multi(conn.client, [{ kind: 'create', path: at, data: Buffer.alloc(0), acl: OPEN_RAW_ACL }], (err) =>
          err && zkCodeOf(err) !== ZK_CODE.NODE_EXISTS ? reject(wrapZkError('create', at, err)) : resolve(),
        ),
      ),
      `create ${at}`,
    );
  }
}
