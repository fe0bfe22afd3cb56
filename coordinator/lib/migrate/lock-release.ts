import { toAppError } from '../../../shared/errors';
import { sleep } from '../../../shared/process';
import { readLong, ZK_CODE, zkCodeOf, ZkSession } from '../../../shared/zk/client';
import type { MetaHost, PegasusCluster } from '../inventory';
import { metaByAddress } from './env';

/**
 * Release a stopped leader's lock node, so that the next meta in line takes over now instead of
 * when the stopped process's ZooKeeper session expires. A stopped meta does not close its session:
 * its ephemeral LOCKNODE stays for `[zookeeper] timeout_ms` (30 s by default), and for all that
 * time no meta leads. In the reconfig method's failover that wait is most of the write freeze.
 *
 * Why deleting the node is safe, from Pegasus's lock (src/zookeeper/lock_struct.cpp):
 *  - every follower waits on the owner's node with a watch; the node's deletion
 *    (lock_struct::owner_change, ZOO_DELETED_EVENT) makes each list the lock directory again
 *    (get_lockdir_nodes) and the smallest sequence owns the lock: the path a session expiry takes,
 *    only sooner;
 *  - the owner watches its own node; were the "stopped" leader alive after all, the deletion
 *    expires its lock (lock_struct::my_lock_removed -> on_expire) and the meta exits
 *    (src/meta/meta_server_failure_detector.cpp, acquire_leader_lock's expire callback calls
 *    dsn_exit(0)), so two leaders never serve at once.
 * The node goes only when all of these hold: the agent reported the service stopped (the caller),
 * its meta port refuses connections (`stillRunning` says why not), and the node is the current
 * owner (smallest LOCKNODE sequence), ephemeral, and holds the stopped leader's address. Otherwise
 * nothing is deleted and the failover waits for the session to expire, as Pegasus would.
 */

/** The meta leader lock's id (src/meta/meta_server_failure_detector.cpp, `_primary_lock_id`). */
const LEADER_LOCK_ID = 'dsn.meta.server.leader';

/** `<lock_root>/dsn.meta.server.leader`, the directory of the LOCKNODEs (lock_root normalised, as the preflight reads it). */
export function leaderLockDir(lockRoot: string): string {
  return `${lockRoot === '/' ? '' : lockRoot}/${LEADER_LOCK_ID}`;
}

/** `lock_struct::parse_seq_path`: the digits after `LOCKNODE` at the end of a child's name, or -1. */
export function lockSeq(name: string): number {
  const m = /^(.*)LOCKNODE(\d+)$/.exec(name);
  return m ? Number(m[2]) : -1;
}

/** The owner of a lock directory: the child with the smallest sequence (lock_struct::get_lock_owner). */
export function lockOwner(children: readonly string[]): string | undefined {
  let best: { name: string; seq: number } | undefined;
  for (const name of children) {
    const seq = lockSeq(name);
    if (seq >= 0 && (!best || seq < best.seq)) best = { name, seq };
  }
  return best?.name;
}

export type LockRelease = { released: string } | { kept: string };

export interface ReleaseOptions {
  /** The ensemble the lock lives on, with the scope's TLS/SASL applied by connect. */
  hosts: string;
  /** `<lock_root>/dsn.meta.server.leader`. */
  lockDir: string;
  cluster: PegasusCluster;
  leader: MetaHost;
  /** Why the leader still counts as running, or undefined when it is down (metaRunningProbe). */
  stillRunning: (h: MetaHost) => Promise<string | undefined>;
  timeoutMs: number;
  /** How long the leader may take to look stopped from outside. @default 3000 */
  settleMs?: number;
}

/** Delete the stopped leader's LOCKNODE when every condition in the file comment holds; never throws. */
export async function releaseStoppedLeaderLock(o: ReleaseOptions): Promise<LockRelease> {
  // Right after the agent's stop a probe can still find the port answering (seen with a 100k-znode
  // leader, cause not pinned down): ask again for a moment before giving up on the release.
  const until = Date.now() + (o.settleMs ?? 3000);
  let running = await o.stillRunning(o.leader);
  while (running !== undefined && Date.now() < until) {
    await sleep(100);
    running = await o.stillRunning(o.leader);
  }
  if (running !== undefined) return { kept: `${o.leader.name} may still run (${running})` };
  let s: ZkSession | undefined;
  try {
    s = await ZkSession.connect(o.hosts, { sessionTimeoutMs: o.timeoutMs, connectTimeoutMs: o.timeoutMs });
    const owner = lockOwner(await s.getChildren(o.lockDir));
    if (!owner) return { kept: `no LOCKNODE under ${o.lockDir} (the lock is free already)` };
    const path = `${o.lockDir}/${owner}`;
    const { data, stat } = await s.getData(path);
    const value = data.toString('utf8');
    if (metaByAddress(o.cluster, value) !== o.leader) return { kept: `the lock's owner ${path} holds ${value || '(nothing)'}, not ${o.leader.name}'s address (a follower took over already)` };
    if (readLong(stat.ephemeralOwner as unknown as Buffer) === 0n) return { kept: `${path} is persistent, not a live session's lock node (left for the operator: a persistent LOCKNODE blocks every election)` };
    // The version pins the very node read above: a node recreated meanwhile is not touched.
    await s.remove(path, stat.version);
    return { released: `deleted ${path} (${value}), the stopped leader's lock node: the next meta in line took the lock without waiting for its session to expire` };
  } catch (e) {
    if (zkCodeOf(e) === ZK_CODE.NO_NODE) return { kept: `${o.lockDir} or its owner node is gone (the session expired meanwhile, or no meta ever locked there)` };
    return { kept: `could not release the stopped leader's lock node: ${toAppError(e).message}` };
  } finally {
    s?.close();
  }
}
