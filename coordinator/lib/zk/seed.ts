import { ZkSession, zk } from '../../../shared/zk/client';
import { parentPath } from '../../../shared/zk/endpoint';
import { OPEN_RAW_ACL } from './acl';
import { ZkConn } from './conn';
import { GeneratedNode, leaderLockDir, PegasusTreeSpec, pegasusTreeNodes } from './pegasus-tree';
import { BatchWriter } from './writer';
import type { RawAcl } from './wire';

/**
 * Write generated trees into a ZooKeeper: the benchmark's 100,000-node Pegasus tree, test fixtures,
 * the demo's cluster. Uses the copy engine's batch writer, so seeding is as fast as copying.
 */

export interface SeedNode extends GeneratedNode {
  /** @default world:anyone:cdrwa */
  acl?: readonly RawAcl[];
}

/** Create `nodes` (parents first) under an existing or missing parent chain; returns nodes and data bytes written. */
export async function seedNodes(hosts: string, nodes: Iterable<SeedNode>, opts: { auth?: string } = {}): Promise<{ nodes: number; bytes: number }> {
  const conn = await ZkConn.open(hosts, opts.auth ? { auth: opts.auth } : {});
  const writer = new BatchWriter(conn);
  let count = 0;
  let bytes = 0;
  try {
    let first = true;
    for (const n of nodes) {
      if (first) {
        // Pegasus creates every prefix of cluster_root as an empty persistent node; so does the seed.
        const parent = parentPath(n.path);
        if (parent !== '/') await mkdirp(conn, parent);
        first = false;
      }
      writer.push({ kind: 'create', path: n.path, data: n.data, acl: n.acl ?? OPEN_RAW_ACL });
      count++;
      bytes += n.data.length;
      if (writer.backlogBytes > 8 * 1024 * 1024) await writer.flush();
    }
    await writer.flush();
  } finally {
    writer.close();
    conn.close();
  }
  return { nodes: count, bytes };
}

async function mkdirp(conn: ZkConn, path: string): Promise<void> {
  const parts = path.split('/').filter((p) => p !== '');
  let cur = '';
  for (const p of parts) {
    cur += '/' + p;
    await new Promise<void>((resolve, reject) =>
      conn.client.create(cur, (err) => (err && (err as { code?: number }).code !== zk.Exception.NODE_EXISTS ? reject(err) : resolve())),
    );
  }
}

/** Seed a Pegasus meta-server tree (see pegasus-tree.ts). */
export function seedPegasusTree(hosts: string, spec: PegasusTreeSpec, opts: { auth?: string } = {}): Promise<{ nodes: number; bytes: number }> {
  return seedNodes(hosts, pegasusTreeNodes(spec), opts);
}

/**
 * Take the Pegasus leader lock the way a meta server does (docs/pegasus-internals.md §2.5): an EPHEMERAL_SEQUENTIAL
 * `LOCKNODE` under `<lock_root>/dsn.meta.server.leader` holding the meta's address. The node lives
 * as long as the returned session; `release()` closes it.
 */
export async function holdLeaderLock(hosts: string, spec: Pick<PegasusTreeSpec, 'root' | 'lockRoot'>, address: string): Promise<{ path: string; release: () => void }> {
  const s = await ZkSession.connect(hosts, { sessionTimeoutMs: 10000 });
  try {
    const dir = leaderLockDir(spec);
    await s.mkdirp(dir);
    const path = await s.create(`${dir}/LOCKNODE`, Buffer.from(address), zk.CreateMode.EPHEMERAL_SEQUENTIAL);
    return { path, release: () => s.close() };
  } catch (e) {
    s.close();
    throw e;
  }
}
