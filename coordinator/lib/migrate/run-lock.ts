import * as os from 'node:os';
import { PreconditionError } from '../../../shared/errors';
import { isAlive, sleep } from '../../../shared/process';
import { ZK_CODE, ZkSession, zk, zkCodeOf } from '../../../shared/zk/client';
import { dropConnection } from '../../../shared/zk/client-internals';

/**
 * One migration per cluster at a time: an EPHEMERAL znode `/zkmig/locks/<cluster>` in the source
 * ensemble, outside the cluster's own tree (the old tree is never modified). Ephemeral, so a
 * coordinator killed with SIGKILL releases it when its session expires and `resume` can take it
 * again; holding the session open for the whole run is what keeps the lock.
 */

export const LOCK_ROOT = '/zkmig/locks';

/** How long releasing the lock waits for the server before moving its session to the next one (RunLock.release). */
const RELEASE_MS = 1500;

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
   * Delete the lock and close the session. The server the session sits on may have stopped
   * answering (a hung host; a reconfig run's lock session may sit on a joiner, which its test
   * SIGSTOPs), and then neither the delete nor the close ever comes back: the node would stay until
   * the session expires, and a new run started meanwhile is refused as "already being migrated".
   * So after RELEASE_MS without an answer the session is moved to the next server of its connect
   * string (the client tries them in turn; a session survives a reconnect) and the delete is asked
   * again there, only if the node is still this session's. Whatever happens the run ends: what is
   * left goes with the session, by expiry.
   */
  async release(): Promise<void> {
    if (!(await this.removeWithin(RELEASE_MS))) {
      dropConnection(this.session.client);
      // Requests fail with CONNECTIONLOSS until the client has reconnected: ask again until then.
      const until = Date.now() + RELEASE_MS;
      while (Date.now() < until && !(await this.removeWithin(until - Date.now()))) await sleep(100);
    }
    this.session.close();
  }

  /** True when the node is gone (deleted now or before), false when the server did not say within `ms`. */
  private async removeWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const remove = async (): Promise<boolean> => {
      const st = await this.session.exists(this.path);
      // Ours only: after a reconnect, a node of another session (a run that took the lock once ours
      // was gone) must not be deleted.
      if (!st || st.ephemeralOwner.toString('hex') !== this.session.sessionId) return true;
      await this.session.remove(this.path, st.version).catch((e: unknown) => {
        if (zkCodeOf((e as { cause?: unknown }).cause) !== ZK_CODE.NO_NODE) throw e;
      });
      return true;
    };
    try {
      return await Promise.race([remove(), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)))]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }
}
