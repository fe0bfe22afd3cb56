import { ZK_CODE, ZkSession, zk, zkCodeOf } from '../../shared/zk/client';
import { Logger } from '../common/log';
import { sleep } from '../common/rpc';

/**
 * The meta servers' leader election, step for step as Pegasus's ZooKeeper lock
 * (src/zookeeper/lock_struct.cpp, v2.5.0; docs/pegasus-internals.md §2.5):
 *
 * 1. create `<lock_root>/dsn.meta.server.leader` persistent (node-exists is fine);
 * 2. create `LOCKNODE` EPHEMERAL|SEQUENTIAL holding this meta's address;
 * 3. list the children (no watch); only `...LOCKNODE<digits>` names count; the smallest sequence
 *    owns the lock; if our own node is missing from the list, create a new one;
 * 4. owner: get our own node WITH a watch; its deletion (or a NONODE) expires the lock → exit 0;
 * 5. follower: get the OWNER's node with a watch and cache its data as the leader's address;
 *    if that data equals our own address it is a stale node of ours: delete it and wait for the
 *    delete event; when the owner node goes, list again. Any other event on the owner node is a
 *    CHECK failure in Pegasus ("unexpected event"), and so it is here;
 * 6. ZooKeeper connection-loss / operation-timeout errors are retried after 1 s.
 *
 * A persistent `LOCKNODE0000000000` copied from another ensemble therefore blocks every meta forever
 * unless its data is one of the metas' own address (that meta deletes it).
 */

export const LOCK_ID = 'dsn.meta.server.leader';
const PREFIX = 'LOCKNODE';

export interface LeaderLockEvents {
  granted(): void;
  /** The lease expired (own node deleted, session expired): Pegasus calls dsn_exit(0). */
  expired(why: string): void;
  /** A CHECK failure inside the lock protocol. */
  crash(msg: string): never;
}

/** `lock_struct::parse_seq_path`: trailing digits preceded by `LOCKNODE`, else -1. */
export function parseSeqPath(name: string): number {
  const m = /(\d+)$/.exec(name);
  if (!m) return -1;
  const before = name.slice(0, name.length - m[1]!.length);
  if (!before.endsWith(PREFIX)) return -1;
  return Number(m[1]);
}

export class LeaderLock {
  readonly lockDir: string;
  private state: 'pending' | 'locked' | 'expired' = 'pending';
  private me = { seqName: '', seq: -1 };
  private owner = { seqName: '', seq: -1, value: '' };
  private cache = '';

  constructor(
    private readonly zk: ZkSession,
    lockRoot: string,
    private readonly myValue: string,
    private readonly log: Logger,
    private readonly events: LeaderLockEvents,
  ) {
    this.lockDir = (lockRoot === '/' ? '' : lockRoot) + '/' + LOCK_ID;
  }

  get isLocked(): boolean {
    return this.state === 'locked';
  }

  /** The lock owner's data as last seen (`query_cache`), '' when unknown. */
  get cachedOwner(): string {
    return this.cache;
  }

  get mySeqName(): string {
    return this.me.seqName;
  }

  async start(): Promise<void> {
    const created = await this.retry('create', this.lockDir, () => this.zk.create(this.lockDir).catch((e) => this.allowCodes(e, [ZK_CODE.NODE_EXISTS])));
    if (created === EXPIRED) return;
    await this.createLockNode();
  }

  expire(why: string): void {
    if (this.state === 'expired') return;
    this.state = 'expired';
    this.events.expired(why);
  }

  private async createLockNode(): Promise<void> {
    const path = await this.retry('create', `${this.lockDir}/${PREFIX}`, () =>
      this.zk.create(`${this.lockDir}/${PREFIX}`, Buffer.from(this.myValue), zk.CreateMode.EPHEMERAL_SEQUENTIAL),
    );
    if (path === EXPIRED || this.state === 'expired') return;
    this.me.seqName = path.slice(path.lastIndexOf('/') + 1);
    this.me.seq = parseSeqPath(this.me.seqName);
    if (this.me.seq === -1) this.events.crash('invalid seq path created');
    this.log.info('lock_struct', `create seq/ephe node in dir(${this.lockDir}) ok, my_sequence_id(${this.me.seq})`);
    await this.getLockDirNodes();
  }

  private async getLockDirNodes(): Promise<void> {
    const children = await this.retry('getChildren', this.lockDir, () => this.zk.getChildren(this.lockDir));
    if (children === EXPIRED || this.state === 'expired') return;
    let minSeq = -1;
    let minPos = -1;
    let myPos = -1;
    children.forEach((child, i) => {
      const seq = parseSeqPath(child);
      if (seq === -1) {
        this.log.warn('lock_struct', `an invalid node(${child}) in lockdir(${this.lockDir}), ignore`);
        return;
      }
      if (minPos === -1 || minSeq > seq) {
        minSeq = seq;
        minPos = i;
      }
      if (this.me.seq === seq) myPos = i;
    });
    this.log.info('lock_struct', `min sequece number(${minSeq}) in lockdir(${this.lockDir})`);
    if (myPos === -1) {
      this.log.warn('lock_struct', `sequence and ephemeral node(${this.lockDir}/${this.me.seqName}) removed when get_children, this is abnormal, try to reaquire the lock`);
      this.me = { seqName: '', seq: -1 };
      await this.createLockNode();
      return;
    }
    this.owner = { seq: minSeq, seqName: children[minPos]!, value: '' };
    if (minSeq === this.me.seq) {
      if (minPos !== myPos) this.events.crash(`same sequence node number on zookeeper, dir(${this.lockDir}), number(${this.me.seq})`);
      this.state = 'locked';
      this.owner.value = this.myValue;
      this.cache = this.myValue;
      this.log.info('lock_struct', `got the lock(${LOCK_ID}), myself(${this.me.seqName}:${this.myValue})`);
      this.events.granted();
      await this.getLockOwner(true);
    } else {
      await this.getLockOwner(false);
    }
  }

  private async getLockOwner(watchMyself: boolean): Promise<void> {
    const path = `${this.lockDir}/${this.owner.seqName}`;
    const watcher = (e: zk.Event): void => {
      this.log.info('lock_struct', `get watcher callback, event type(${e.getName()})`);
      if (watchMyself) this.myLockRemoved(e);
      else void this.ownerChange(e);
    };
    let got: { data: Buffer } | typeof EXPIRED | 'NONODE';
    try {
      got = await this.retry('get', path, () => this.zk.getData(path, watcher));
    } catch (e) {
      if (zkCodeOf(e) !== ZK_CODE.NO_NODE) throw e;
      got = 'NONODE';
    }
    if (got === EXPIRED || this.state === 'expired') return;
    if (watchMyself) {
      if (got === 'NONODE') {
        this.log.info('lock_struct', `lock(${LOCK_ID}) session expired, error reason(ZNONODE), myself(${this.me.seqName}:${this.myValue})`);
        this.expire('own lock node is gone');
        return;
      }
      const v = got.data.toString();
      if (v !== this.myValue) this.events.crash(`lock(${LOCK_ID}) get wrong value, local myself(${this.myValue}), from zookeeper(${v})`);
      return;
    }
    if (got === 'NONODE') {
      this.log.info(
        'lock_struct',
        `the lock(${LOCK_ID}) old owner(${this.owner.seqName}:${this.owner.value}) has removed, myself(${this.me.seqName}:${this.myValue}) try to get the lock for another turn`,
      );
      this.owner = { seq: -1, seqName: '', value: '' };
      await this.getLockDirNodes();
      return;
    }
    this.owner.value = got.data.toString();
    if (this.owner.value === this.myValue) {
      await this.removeDuplicatedLockNode(path);
    } else {
      this.cache = this.owner.value;
      this.log.info('lock_struct', `wait the lock(${LOCK_ID}) owner(${this.owner.seqName}:${this.owner.value}) to remove, myself(${this.me.seqName}:${this.myValue})`);
    }
  }

  private myLockRemoved(e: zk.Event): void {
    if (this.state !== 'locked') return;
    this.log.error('lock_struct', `my lock node was removed (event ${e.getName()}), the lease expires`);
    this.expire('own lock node deleted');
  }

  private async ownerChange(e: zk.Event): Promise<void> {
    if (this.state === 'expired') return;
    if (e.getType() === zk.Event.NODE_DELETED) {
      this.owner = { seq: -1, seqName: '', value: '' };
      await this.getLockDirNodes();
    } else {
      this.events.crash(`unexpected event ${e.getName()} on lock owner node ${e.getPath()}`);
    }
  }

  private async removeDuplicatedLockNode(path: string): Promise<void> {
    this.log.warn('lock_struct', `duplicated value(${this.myValue}) ephe/seq node(${this.owner.seqName} and ${this.me.seqName}) create on zookeeper, remove the smaller one`);
    try {
      await this.retry('delete', path, () => this.zk.remove(path));
    } catch (e) {
      if (zkCodeOf(e) !== ZK_CODE.NO_NODE) throw e;
    }
    this.log.info('lock_struct', `lock(${LOCK_ID}) remove duplicated node(${path}), rely on delete watcher to be actived`);
  }

  /** Retry ZooKeeper timeouts every second; a session expiry expires the lock; other errors propagate. */
  private async retry<T>(op: string, path: string, fn: () => Promise<T>): Promise<T | typeof EXPIRED> {
    for (;;) {
      if (this.state === 'expired') return EXPIRED;
      try {
        return await fn();
      } catch (e) {
        const code = zkCodeOf(e);
        if (code === ZK_CODE.CONNECTION_LOSS || code === ZK_CODE.OPERATION_TIMEOUT) {
          this.log.warn('lock_struct', `operation ${op} on ${path} encounter error, retry later`);
          await sleep(1000);
          continue;
        }
        if (code === ZK_CODE.SESSION_EXPIRED) {
          this.expire('session expired');
          return EXPIRED;
        }
        throw e;
      }
    }
  }

  private allowCodes(e: unknown, codes: number[]): string {
    if (codes.includes(zkCodeOf(e) ?? 0)) return '';
    throw e;
  }
}

const EXPIRED = Symbol('expired');

