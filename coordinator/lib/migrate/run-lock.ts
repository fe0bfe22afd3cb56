import * as os from 'node:os';
import { PreconditionError } from '../../../shared/errors';
import { isAlive } from '../../../shared/process';
import { ZK_CODE, ZkSession, zk, zkCodeOf } from '../../../shared/zk/client';

/**
 * One migration per cluster at a time: an EPHEMERAL znode `/zkmig/locks/<cluster>` in the source
 * ensemble, outside the cluster's own tree (the old tree is never modified). Ephemeral, so a
 * coordinator killed with SIGKILL releases it when its session expires and `resume` can take it
 * again; holding the session open for the whole run is what keeps the lock.
 */

export const LOCK_ROOT = '/zkmig/locks';

/** How long releasing the lock may wait for the server (RunLock.release). */
const RELEASE_MS = 3000;

export interface LockHolder {
  run: string;
  host: string;
  pid: number;
  since: string;
}

export class RunLock {
  private constructor(
    private readonly session: ZkSession,
    readonly path: string,
  ) {}

  /**
   * Take the lock or throw PreconditionError naming the run that holds it. With `resume`, a lock
   * left by this same run's coordinator is taken over when that coordinator is provably dead (same
   * host, pid gone: it was killed and its session has not expired yet); a lock of this run held
   * from another host is waited for until its session expires (up to `waitMs`).
   */
  static async acquire(hosts: string, cluster: string, run: string, opts: { sessionTimeoutMs?: number; auth?: string; resume?: boolean; waitMs?: number } = {}): Promise<RunLock> {
    const session = await ZkSession.connect(hosts, { sessionTimeoutMs: opts.sessionTimeoutMs ?? 10000, connectTimeoutMs: 10000, ...(opts.auth ? { auth: opts.auth } : {}) });
    const path = `${LOCK_ROOT}/${cluster}`;
    const me: LockHolder = { run, host: os.hostname(), pid: process.pid, since: new Date().toISOString() };
    const deadline = Date.now() + (opts.waitMs ?? (opts.sessionTimeoutMs ?? 10000) + 5000);
    for (;;) {
      try {
        await session.mkdirp(LOCK_ROOT);
        await session.create(path, Buffer.from(JSON.stringify(me)), zk.CreateMode.EPHEMERAL);
        return new RunLock(session, path);
      } catch (e) {
        if (zkCodeOf((e as { cause?: unknown }).cause) !== ZK_CODE.NODE_EXISTS) {
          session.close();
          throw e;
        }
      }
      let h: LockHolder | undefined;
      try {
        h = JSON.parse((await session.getData(path)).data.toString()) as LockHolder;
      } catch {
        /* vanished or unreadable */
      }
      if (opts.resume && h?.run === run) {
        if (h.host === os.hostname() && !isAlive(h.pid)) {
          // Our own dead predecessor: its ephemeral node only waits for the session timeout.
          await session.remove(path).catch(() => undefined);
          continue;
        }
        if (Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 500));
          continue;
        }
      }
      if (h === undefined && Date.now() < deadline) continue;
      const holder = h ? `run ${h.run} (pid ${h.pid} on ${h.host}, since ${h.since})` : 'another coordinator';
      session.close();
      throw new PreconditionError(
        `cluster ${cluster} is already being migrated by ${holder}; the lock is ${path} in ${hosts}. ` +
          'If that coordinator was killed, its lock disappears when its ZooKeeper session expires.',
      );
    }
  }

  /**
   * Delete the lock and close the session, within RELEASE_MS: the server the session sits on may have
   * stopped answering (a hung host; a reconfig run's lock session may sit on a joiner, which its
   * test SIGSTOPs), and the run must still end. The node goes with the session anyway, by expiry.
   */
  async release(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([this.session.remove(this.path), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('no answer')), RELEASE_MS)))]);
    } catch {
      /* closing the session removes the ephemeral node anyway */
    } finally {
      clearTimeout(timer);
    }
    this.session.close();
  }
}
