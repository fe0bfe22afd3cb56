import { PreconditionError, VerifyError } from '../../../shared/errors';
import { sleep } from '../../../shared/process';
import { connectZkClient, zk, ZK_CODE, zkCodeOf } from '../../../shared/zk/client';
import { endpointArg, joinPath, ZkEndpoint } from '../../../shared/zk/endpoint';
import type { ZkSecurity } from '../../../shared/zk/security';
import { closeClient, onNotification, WatchNotification } from '../../../shared/zk/client-internals';
import type { ZkConn } from './conn';
import { copyTree } from './copy';
import type { AclGuard, CopyProgress, OnExists } from './copy-types';
import { Excludes } from './excludes';
import { applyDelta, DeltaCounts } from './follow-apply';
import { listChildren, NodeState, readNodes, SweepStat, sweepStats } from './follow-read';
import { refuseMasked } from './masked-acl';
import { closeLanes, indexTree, openLanes, syncLanes } from './index-tree';
import { addWatch, WATCH_MODE } from './persistent-watch';
import { absPath, IndexEntry, PreparedDigest, relPath, TreeIndex, treeDigest } from './tree-index';
import { getACL, installFastReplies, syncPath } from './wire';

/**
 * The live pre-copy: keep a target tree following a source tree that is still being written, so
 * that the write freeze only has to cover the last delta and a proof whose cost is the size of what
 * changed, not the size of the tree.
 *
 *   start()     arm a change stream on both trees, copy the source (copy.ts), then compare both
 *               trees in full once (the "full comparison" every later proof builds on);
 *   catchUp()   one round: read the changed paths on both sides, write what differs;
 *   finalize()  with the source frozen: drain the stream, apply the last delta, prove equality.
 *
 * Change detection: a PERSISTENT_RECURSIVE watch on each root (ZooKeeper 3.6+, persistent-watch.ts),
 * or, when the server lacks addWatch (or `changeDetection: 'sweep'`), a stat sweep of every known
 * path per round (mzxid: data or recreated; aversion: ACL; pzxid: children, listed again).
 *
 * WHY finalize() PROVES target == source (watch mode). Version maps: for every path p, src[p] and
 * dst[p] hold what the last read of p on each side returned (data hash, ACL, mzxid, aversion).
 *  1. The watches are armed before either tree is read, and the change stream counts only while it
 *     is gap-free: the watching sessions never lost their connection (the server drops a connection's
 *     watches with it and replays nothing for persistent watches on reconnect; see
 *     persistent-watch.ts), never expired, and addWatch succeeded. Any gap triggers a full resync
 *     (copy with --on-exists sync, new watches armed first, new full comparison).
 *  2. Every node that exists in a tree at some time after the watch is armed was read by the full
 *     comparison, or was created later (an event). So after the full comparison, for every p not
 *     reported changed since: S(p) = src[p] and T(p) = dst[p], and src[p] = dst[p] unless p was
 *     found different (then it is in the dirty set). Existence counts: absent on both sides is equal.
 *     Reports that arrived before the comparison began are dropped: its reads (after a sync) see
 *     those changes. A node that kept changing while read may be recorded with its data, ACL and
 *     children from slightly different versions (acceptChanging); every version after the oldest
 *     recorded one came after the arming, so it was reported and is read again.
 *  3. A round re-reads each dirty path on both sides (after a sync, so the reading session sees at
 *     least what the events reported) and writes what differs. Our own writes to the target fire
 *     target events, and setACL (which fires none) marks its path dirty by hand: every write is
 *     therefore read back in a later round. A failed or unknown write leaves the path dirty.
 *  4. finalize() runs with the source frozen. `sync` on each watching session makes its server catch
 *     up with the leader, and ZooKeeper delivers a watch event before the reply to any later request
 *     on the same session: after the sync reply every event for a change before the freeze has
 *     arrived. Rounds repeat until a sync finds the dirty set empty. Then for every path changed
 *     since the full comparison, the last reads of both sides agreed (else it would still be dirty),
 *     and every other path is unchanged on both sides since the full comparison found it equal (2).
 *     The final check compares the two maps on exactly the changed paths; a mismatch is a bug, and
 *     fails the finalize.
 *  5. setACL fires no watch, on either side. An ACL change caught by a re-read is copied, but one on
 *     an otherwise unchanged node is only seen by the ACL check in finalize: a stat sweep of every
 *     known path comparing aversion, on the source AND on the target (someone else may have set an
 *     ACL on the target, which no stream reports either; both sides are swept at once, one multiRead
 *     per 128 nodes, the only O(tree) step; skip it with `aclCheck: false` when nothing sets ACLs, or
 *     when sweepAcls() ran it just before the freeze: a migration does, since Pegasus never sets an
 *     ACL, see steps-precopy.ts). What the sweeps find is dirty, and the rounds settle it like any
 *     other change.
 *  6. A write on the target by someone else (data, create, delete) is reported by the target's
 *     stream like our own writes: re-read and undone by the next round, so the proof still holds.
 *     One that lands after the last round is seen by a last drain after the proof (watch mode), and
 *     makes finalize throw (the caller falls back to a full copy).
 * In sweep mode (no watches) the same holds with the stream replaced by sweeps: a sweep after the
 * freeze that finds every known node's mzxid, aversion and pzxid unmoved on both sides, with the
 * previous rounds' reads agreeing, proves the trees equal; pzxid catches created and deleted
 * children, mzxid a node deleted and recreated.
 * Any doubt (a gap during finalize, `verify: 'full'`) ends in a full digest comparison of both trees
 * instead; an unproven or unequal copy makes finalize() throw, never return.
 *
 * Not handled: excluded subtrees (the follower copies the whole root) and ephemeral nodes of the
 * target (absent to every read here): the target is expected to have no writer but this one.
 */

export type ChangeDetection = 'watch' | 'sweep';

export interface FollowOptions {
  source: string | ZkEndpoint;
  target: string | ZkEndpoint;
  sourceAuth?: string;
  targetAuth?: string;
  sourceSecurity?: ZkSecurity;
  targetSecurity?: ZkSecurity;
  /** Initial copy's handling of an existing target (a resync after a gap always uses `sync`). @default 'fail' */
  onExists?: OnExists;
  /** `sweep` forces the fallback for servers without addWatch (ZooKeeper < 3.6). @default 'watch' */
  changeDetection?: ChangeDetection;
  /** Source ACLs were checked for masking by the caller, or are left to the copy's read (see CopyOptions). */
  sourceAclsChecked?: boolean;
  /**
   * The check of each source ACL as read, by the initial copy and by every round before it writes a
   * changed node (an ACL may change after any earlier check). A refusal fails the copy or the round.
   * @default refuse a masked digest ACL
   */
  aclGuard?: AclGuard;
  /** Session timeout of every session; the watching sessions' expiry is a gap. @default 30000 */
  sessionTimeoutMs?: number;
  connectTimeoutMs?: number;
  retryTimeoutMs?: number;
  /** Read sessions per side for the copy and the full comparison. @default 3 */
  readSessions?: number;
  onProgress?: (p: FollowProgress) => void;
}

export type FollowPhase = 'copy' | 'compare' | 'catch-up' | 'resync' | 'finalize';

export interface FollowProgress {
  phase: FollowPhase;
  /** Paths known changed and not yet settled. */
  outstanding: number;
  rounds: number;
  /** Writes applied to the target by catch-up rounds. */
  applied: number;
  copy?: CopyProgress;
}

export interface RoundResult {
  /** Paths read on both sides. */
  paths: number;
  counts: DeltaCounts;
  /** Paths still outstanding after the round (new events included). */
  outstanding: number;
  /** Time from a path's first change report to the round that settled it: the worst in this round. */
  maxLagMs: number;
  ms: number;
}

export interface FinalizeResult {
  /** How equality was established: `delta` (version maps of what changed), `full` (both trees read and compared). */
  proof: 'delta' | 'full';
  /** Why a full comparison was used, when it was. */
  reason?: string;
  changeDetection: ChangeDetection;
  /** Rounds run inside finalize. */
  rounds: number;
  applied: DeltaCounts;
  /** Paths whose versions were compared by the delta proof. */
  compared: number;
  /** Persistent nodes in the source tree. */
  nodes: number;
  /**
   * `treeDigest` of each side (what `zkmig zk copy` prints), with `digests: true` or a full
   * comparison. Sorting and hashing every path is O(tree): outside the freeze, call digests().
   */
  sourceDigest?: string;
  targetDigest?: string;
  aclCheck: 'sweep' | 'skipped';
  ms: { finalDelta: number; aclCheck: number; proof: number; total: number };
}

interface Entry {
  hash: string;
  acl: string;
  mzxid: bigint;
  /** pzxid when the children were last listed (sweep mode); 0n: never listed. */
  pzxid: bigint;
  aversion: number;
}

type VersionMap = Map<string, Entry>;

interface Watcher {
  side: 'source' | 'target';
  client: zk.Client;
  root: string;
  keepalive: NodeJS.Timeout;
}

/** Rounds finalize runs before it decides the source is not frozen. */
const MAX_FINAL_ROUNDS = 20;

export class TreeFollower {
  private readonly src: ZkEndpoint;
  private readonly dst: ZkEndpoint;
  private srcLanes: ZkConn[] = [];
  private dstLanes: ZkConn[] = [];
  private watchers: Watcher[] = [];
  private srcMap: VersionMap = new Map();
  private dstMap: VersionMap = new Map();
  /** Changed paths (relative) and when each was first reported. */
  private readonly dirty = new Map<string, number>();
  private readonly changedSinceFull = new Set<string>();
  /** Changes reported per side (events, or what a sweep found moved): which side keeps changing. */
  private readonly reported = { source: 0, target: 0 };
  private gapReason: string | undefined;
  private closed = false;
  private writeAuth: string | undefined;
  mode: ChangeDetection;
  rounds = 0;
  readonly applied: DeltaCounts = { created: 0, updated: 0, deleted: 0, aclSet: 0 };
  /** Full resyncs after a gap. */
  resyncs = 0;
  /** Why each resync happened. */
  readonly gaps: string[] = [];
  /** Time of the initial copy and of the first full comparison. */
  readonly timings = { copyMs: 0, compareMs: 0 };

  private constructor(private readonly o: FollowOptions) {
    this.src = endpointArg(o.source, 'source');
    this.dst = endpointArg(o.target, 'target');
    this.mode = o.changeDetection ?? 'watch';
    this.writeAuth = o.targetAuth;
  }

  /** Arm, copy, compare in full. The caller must close() the follower. */
  static async start(o: FollowOptions): Promise<TreeFollower> {
    const f = new TreeFollower(o);
    try {
      const conn = f.connOpts();
      [f.srcLanes, f.dstLanes] = await Promise.all([
        openLanes(f.src.hosts, f.o.readSessions ?? 3, { ...conn, ...(o.sourceAuth ? { auth: o.sourceAuth } : {}), ...(o.sourceSecurity ? { security: o.sourceSecurity } : {}) }),
        openLanes(f.dst.hosts, f.o.readSessions ?? 3, { ...conn, ...(o.targetAuth ? { auth: o.targetAuth } : {}), ...(o.targetSecurity ? { security: o.targetSecurity } : {}) }),
      ]);
      await f.arm();
      await f.copy(o.onExists ?? 'fail');
      await f.compareFull();
      return f;
    } catch (e) {
      f.close();
      throw e;
    }
  }

  /** Paths reported changed and not yet settled on the target. */
  outstanding(): number {
    return this.dirty.size;
  }

  /** The gap that will force a full resync at the next round, if any. */
  get gap(): string | undefined {
    return this.gapReason;
  }

  /** The sessions holding the persistent watches (for diagnostics and tests). */
  get watchSessions(): readonly zk.Client[] {
    return this.watchers.map((w) => w.client);
  }

  /** One catch-up round (after a full resync if the stream had a gap). */
  async catchUp(): Promise<RoundResult> {
    if (this.gapReason !== undefined) await this.resync();
    if (this.mode === 'sweep') await this.sweep();
    const r = await this.round();
    this.progress('catch-up');
    return r;
  }

  /**
   * Call with the source frozen (no writer left): apply the last delta and prove the target equals
   * the source (see the file comment). Throws VerifyError when they differ, PreconditionError when
   * the source keeps changing; returns only on a proven copy.
   */
  async finalize(o: { verify?: 'delta' | 'full'; aclCheck?: boolean; digests?: boolean; beforeProof?: () => Promise<void> } = {}): Promise<FinalizeResult> {
    const t0 = Date.now();
    let reason: string | undefined = o.verify === 'full' ? 'a full comparison was asked for' : undefined;
    const before = { ...this.applied };
    let rounds = 0;
    let aclMs = 0;
    let aclDone = o.aclCheck === false || this.mode === 'sweep'; // a sweep compares aversion already
    let reportedMid = { ...this.reported };
    for (;;) {
      if (this.gapReason !== undefined) {
        reason ??= `the change stream had a gap (${this.gapReason})`;
        await this.resync();
      }
      if (rounds === MAX_FINAL_ROUNDS / 2) reportedMid = { ...this.reported };
      if (++rounds > MAX_FINAL_ROUNDS) throw this.keptChanging(reportedMid);
      if (this.mode === 'watch') await this.drain();
      else await this.sweep();
      if (this.gapReason !== undefined) continue;
      if (this.dirty.size === 0) {
        if (aclDone) break;
        const ta = Date.now();
        await this.aclSweep();
        aclMs = Date.now() - ta;
        aclDone = true;
        continue;
      }
      await this.round();
      this.progress('finalize');
    }
    const finalDelta = Date.now() - t0 - aclMs;
    // Test seam (never set by the CLI): a write that races the proof, made deterministic.
    await o.beforeProof?.();
    const tp = Date.now();
    const result: FinalizeResult = {
      proof: reason === undefined ? 'delta' : 'full',
      ...(reason !== undefined ? { reason } : {}),
      changeDetection: this.mode,
      rounds,
      applied: diffCounts(this.applied, before),
      compared: 0,
      nodes: this.srcMap.size,
      aclCheck: o.aclCheck === false ? 'skipped' : 'sweep',
      ms: { finalDelta, aclCheck: aclMs, proof: 0, total: 0 },
    };
    if (reason === undefined) {
      const bad: string[] = [];
      for (const p of this.changedSinceFull) if (!sameEntry(this.srcMap.get(p), this.dstMap.get(p))) bad.push(p);
      result.compared = this.changedSinceFull.size;
      if (bad.length > 0) throw this.unequal(bad, 'the version maps of the changed paths differ');
      if (o.digests) Object.assign(result, this.digestPair());
    } else {
      const [s, d] = await Promise.all([readSide(this.srcLanes, this.src.path), readSide(this.dstLanes, this.dst.path)]);
      const bad = diffMaps(s, d);
      if (bad.length > 0) throw this.unequal(bad, 'a full comparison of both trees found differences');
      result.nodes = s.size;
      this.srcMap = s;
      this.dstMap = d;
      this.changedSinceFull.clear();
      Object.assign(result, this.digestPair());
    }
    // A change reported after the last round (someone else writing the target, or a source that is
    // not frozen after all) was not part of what the proof compared: one more drain finds it. One
    // sync per side; a sweep (sweep mode) would be O(tree), so there the proof's reads stand.
    if (this.mode === 'watch' && this.gapReason === undefined) {
      await this.drain();
      if (this.dirty.size > 0) {
        const late = [...this.dirty.keys()];
        throw this.unequal(late, 'the trees changed after the last round, while the proof ran');
      }
    }
    // A gap during the proof itself leaves it unproven.
    if (this.gapReason !== undefined && result.proof === 'delta') throw new VerifyError(`the change stream had a gap during the final proof (${this.gapReason}); run finalize again`);
    if (result.sourceDigest !== undefined && result.sourceDigest !== result.targetDigest) throw this.unequal([], 'the digests differ');
    result.ms.proof = Date.now() - tp;
    result.ms.total = Date.now() - t0;
    return result;
  }

  /**
   * `treeDigest` of both trees as the version maps hold them: after finalize(), the digests of the
   * proven source and target (nothing is read; O(tree) in memory, so called after the freeze).
   */
  digests(): { sourceDigest: string; targetDigest: string } {
    return this.digestPair();
  }

  private digestPair(): { sourceDigest: string; targetDigest: string } {
    return { sourceDigest: treeDigest(toIndex(this.srcMap)), targetDigest: treeDigest(toIndex(this.dstMap)) };
  }

  close(): void {
    this.closed = true;
    this.closeWatchers();
    closeLanes(this.srcLanes);
    closeLanes(this.dstLanes);
  }

  // ---- internals ------------------------------------------------------------------------------

  private connOpts(): { sessionTimeoutMs?: number; connectTimeoutMs?: number; retryTimeoutMs?: number } {
    const o = this.o;
    return {
      ...(o.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: o.sessionTimeoutMs } : {}),
      ...(o.connectTimeoutMs !== undefined ? { connectTimeoutMs: o.connectTimeoutMs } : {}),
      ...(o.retryTimeoutMs !== undefined ? { retryTimeoutMs: o.retryTimeoutMs } : {}),
    };
  }

  private progress(phase: FollowPhase, copy?: CopyProgress): void {
    this.o.onProgress?.({ phase, outstanding: this.dirty.size, rounds: this.rounds, applied: total(this.applied), ...(copy ? { copy } : {}) });
  }

  private markGap(reason: string): void {
    if (this.closed) return;
    this.gapReason ??= reason;
  }

  private markDirty(rel: string): void {
    if (!this.dirty.has(rel)) this.dirty.set(rel, Date.now());
  }

  /** Open a watching session per side and arm its recursive watch; falls back to sweeps when the server lacks addWatch. */
  private async arm(): Promise<void> {
    this.closeWatchers();
    this.gapReason = undefined;
    if (this.mode === 'sweep') return;
    const sides: { side: 'source' | 'target'; ep: ZkEndpoint; auth: string | undefined; security: ZkSecurity | undefined }[] = [
      { side: 'source', ep: this.src, auth: this.o.sourceAuth, security: this.o.sourceSecurity },
      { side: 'target', ep: this.dst, auth: this.o.targetAuth, security: this.o.targetSecurity },
    ];
    for (const s of sides) {
      const root = s.ep.path;
      let hooked = false;
      const client = await connectZkClient(
        s.ep.hosts,
        { sessionTimeoutMs: this.o.sessionTimeoutMs ?? 30000, auth: s.auth, security: s.security ? { ...s.security, side: s.side } : undefined },
        this.o.connectTimeoutMs ?? 15000,
        (c) => {
          installFastReplies(c);
          hooked = onNotification(c, (e) => this.onEvent(s.side, root, e));
        },
      );
      // node-zookeeper-client pings only after its socket has been idle for a third of the session
      // timeout, and incoming bytes count as activity: a session that receives a steady stream of
      // notifications and sends nothing never pings, and the server expires it (seen here: the
      // source's watching session died after one session timeout under 250 writes/s). So send a
      // small request every third of the timeout; its answer also shows the session is alive.
      const keepalive = setInterval(() => getACL(client, root, () => undefined), Math.max(500, Math.floor((this.o.sessionTimeoutMs ?? 30000) / 3)));
      keepalive.unref();
      const w: Watcher = { side: s.side, client, root, keepalive };
      this.watchers.push(w);
      client.on('disconnected', () => this.watchers.includes(w) && this.markGap(`the ${s.side} watching session lost its connection`));
      client.on('expired', () => this.watchers.includes(w) && this.markGap(`the ${s.side} watching session expired`));
      const armed = hooked && (await this.addWatchOn(client, root));
      if (!armed) {
        // ZooKeeper < 3.6 (or a client without the internals): detect changes by sweeps instead.
        this.closeWatchers();
        this.mode = 'sweep';
        this.gapReason = undefined;
        return;
      }
    }
  }

  private addWatchOn(client: zk.Client, root: string): Promise<boolean> {
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), 5000);
      addWatch(client, root, WATCH_MODE.PERSISTENT_RECURSIVE, (err, ok) => {
        clearTimeout(t);
        resolve(!err && ok === true);
      });
    });
  }

  private onEvent(side: 'source' | 'target', root: string, e: WatchNotification): void {
    if (e.path !== root && !(root === '/' ? e.path.startsWith('/') : e.path.startsWith(`${root}/`))) return;
    if (root === '/' && (e.path === '/zookeeper' || e.path.startsWith('/zookeeper/'))) return;
    this.reported[side]++;
    this.markDirty(relPath(root, e.path));
  }

  private closeWatchers(): void {
    const ws = this.watchers;
    this.watchers = [];
    for (const w of ws) {
      clearInterval(w.keepalive);
      closeClient(w.client);
    }
  }

  private async copy(onExists: OnExists): Promise<void> {
    const t0 = Date.now();
    const o = this.o;
    await copyTree({
      source: this.src,
      target: this.dst,
      onExists,
      verify: 'none',
      live: true,
      ...(o.sourceAuth ? { sourceAuth: o.sourceAuth } : {}),
      ...(o.targetAuth ? { targetAuth: o.targetAuth } : {}),
      ...(o.sourceSecurity ? { sourceSecurity: o.sourceSecurity } : {}),
      ...(o.targetSecurity ? { targetSecurity: o.targetSecurity } : {}),
      ...(o.sourceAclsChecked ? { sourceAclsChecked: true } : {}),
      ...(o.aclGuard ? { aclGuard: o.aclGuard } : {}),
      ...(o.readSessions !== undefined ? { readSessions: o.readSessions } : {}),
      ...this.connOpts(),
      onProgress: (p) => this.progress('copy', p),
    });
    this.timings.copyMs ||= Date.now() - t0;
  }

  /**
   * Read both trees in full and mark every difference dirty: the base of the delta proof. Runs once
   * in start(); a long pre-copy may call it again (outside the freeze) so that the final proof
   * compares only what changed since, not everything that changed in hours. Not while a round runs.
   */
  async compareFull(): Promise<void> {
    const t0 = Date.now();
    this.progress('compare');
    // Every change reported so far was committed before this point, so the reads below (after a
    // sync of their sessions) see it: those reports are settled by this comparison. Without this
    // the target's own stream would hand every node the copy just created to the first round.
    this.dirty.clear();
    const [s, d] = await Promise.all([readSide(this.srcLanes, this.src.path), readSide(this.dstLanes, this.dst.path)]);
    this.srcMap = s;
    this.dstMap = d;
    this.changedSinceFull.clear();
    for (const p of diffMaps(s, d)) this.markDirty(p);
    this.timings.compareMs ||= Date.now() - t0;
  }

  /** A gap: new watches first, then a copy that also deletes, then a new full comparison. */
  private async resync(): Promise<void> {
    this.gaps.push(this.gapReason ?? 'unknown');
    this.resyncs++;
    this.progress('resync');
    this.dirty.clear();
    await this.arm();
    await this.copy('sync');
    await this.compareFull();
  }

  /**
   * Sync each watching session: afterwards every event for a change committed before the sync has
   * arrived. A sync that fails while the connection stays up lost nothing (the watch and its
   * events live with the connection) and is sent again until the deadline; a lost connection is a
   * gap (its `disconnected` event says so, and so does the failed sync).
   */
  private async drain(): Promise<void> {
    const deadline = Date.now() + (this.o.retryTimeoutMs ?? 60000);
    await Promise.all(
      this.watchers.map(async (w) => {
        for (;;) {
          const err = await this.syncOnce(w, deadline - Date.now());
          if (err === undefined) return;
          const code = zkCodeOf(err);
          const lost = code === ZK_CODE.CONNECTION_LOSS || code === ZK_CODE.SESSION_EXPIRED || err.code === 'TIMEOUT';
          if (lost || Date.now() >= deadline || this.gapReason !== undefined) {
            this.markGap(`sync on the ${w.side} watching session failed: ${err.message}`);
            return;
          }
          await sleep(100);
        }
      }),
    );
  }

  private syncOnce(w: Watcher, timeoutMs: number): Promise<(Error & { code?: number | string }) | undefined> {
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(Object.assign(new Error(`no answer to a sync within ${timeoutMs} ms`), { code: 'TIMEOUT' })), Math.max(0, timeoutMs));
      syncPath(w.client, w.root, (err, ok) => {
        clearTimeout(t);
        if (err) resolve(err as Error & { code?: number });
        else resolve(ok ? undefined : Object.assign(new Error('the session has no fast path for sync'), { code: 'TIMEOUT' }));
      });
    });
  }

  /** Read every dirty path on both sides, write what differs, keep what is not settled. */
  private async round(): Promise<RoundResult> {
    const t0 = Date.now();
    const taken = [...this.dirty];
    this.dirty.clear();
    const counts: DeltaCounts = { created: 0, updated: 0, deleted: 0, aclSet: 0 };
    if (taken.length === 0) return { paths: 0, counts, outstanding: 0, maxLagMs: 0, ms: 0 };
    this.rounds++;
    const rels = taken.map(([p]) => p);
    const sl = this.srcLanes[0]!;
    const dl = this.dstLanes[0]!;
    try {
      // The reading sessions may sit on servers behind the watching ones: catch them up first.
      await Promise.all([sl.sync(this.src.path), dl.sync(this.dst.path)]);
      const [s, d] = await Promise.all([readNodes(sl, rels.map((r) => absPath(this.src.path, r))), readNodes(dl, rels.map((r) => absPath(this.dst.path, r)))]);
      const items: { path: string; src: NodeState | null; dst: NodeState | null }[] = [];
      for (const rel of rels) {
        const sv = s.get(absPath(this.src.path, rel)) ?? null;
        const dv = d.get(absPath(this.dst.path, rel)) ?? null;
        record(this.srcMap, rel, sv);
        record(this.dstMap, rel, dv);
        this.changedSinceFull.add(rel);
        if (!sameState(sv, dv)) items.push({ path: absPath(this.dst.path, rel), src: sv, dst: dv });
      }
      // A changed ACL is read here, not by any earlier check: refused before it is written.
      const guard = this.o.aclGuard ?? refuseMasked;
      for (const it of items) {
        const refusal = it.src ? guard(absPath(this.src.path, relPath(this.dst.path, it.path)), it.src.acl) : undefined;
        if (refusal) throw refusal;
      }
      if (items.length > 0) {
        const r = await applyDelta(dl, items, { auth: this.writeAuth, saslUser: this.o.targetSecurity?.sasl?.user });
        for (const k of Object.keys(counts) as (keyof DeltaCounts)[]) {
          counts[k] += r.counts[k];
          this.applied[k] += r.counts[k];
        }
        for (const p of r.failed) this.markDirty(relPath(this.dst.path, p));
        if (this.mode === 'watch') {
          // setACL fires no watch: read those back next round like every other write.
          for (const it of items) if (it.src && it.dst && it.src.aclKey !== it.dst.aclKey) this.markDirty(relPath(this.dst.path, it.path));
        } else {
          // Read every write back now: the next sweep then finds our own writes in the map instead of
          // flagging them, and finalize ends one full sweep sooner.
          const failed = new Set(r.failed);
          const back = items.filter((i) => !failed.has(i.path));
          const got = await readNodes(dl, back.map((i) => i.path));
          for (const it of back) {
            const rel = relPath(this.dst.path, it.path);
            const now = got.get(it.path) ?? null;
            record(this.dstMap, rel, now);
            if (!sameState(it.src, now)) this.markDirty(rel);
          }
        }
      }
    } catch (e) {
      // Nothing is lost: the paths stay dirty for the next round.
      for (const [p, at] of taken) if (!this.dirty.has(p)) this.dirty.set(p, at);
      throw e;
    }
    const now = Date.now();
    let maxLagMs = 0;
    for (const [p, at] of taken) if (!this.dirty.has(p)) maxLagMs = Math.max(maxLagMs, now - at);
    return { paths: taken.length, counts, outstanding: this.dirty.size, maxLagMs, ms: now - t0 };
  }

  /**
   * Sweep mode: the Stat of every known path on both sides; what moved is dirty, and the children
   * of nodes whose pzxid moved are listed again to find new ones.
   */
  private async sweep(): Promise<void> {
    await Promise.all([
      this.sweepSide('source', this.srcLanes, this.src.path, this.srcMap),
      this.sweepSide('target', this.dstLanes, this.dst.path, this.dstMap),
    ]);
  }

  private async sweepSide(side: 'source' | 'target', lanes: ZkConn[], root: string, map: VersionMap): Promise<void> {
    const moved = (rel: string): void => {
      this.reported[side]++;
      this.markDirty(rel);
    };
    const rels = [...map.keys()];
    const stats = await sweepLanes(lanes, root, rels);
    const lane = lanes[0]!;
    const relist: string[] = [];
    for (const rel of rels) {
      const st = stats.get(absPath(root, rel));
      const e = map.get(rel)!;
      if (!st || st.ephemeral || st.mzxid !== e.mzxid || st.aversion !== e.aversion) moved(rel);
      if (st && !st.ephemeral && st.pzxid !== e.pzxid) relist.push(rel);
    }
    if (relist.length === 0) return;
    const kids = await listChildren(lane, relist.map((r) => absPath(root, r)));
    for (const rel of relist) {
      const k = kids.get(absPath(root, rel));
      if (!k) {
        moved(rel);
        continue;
      }
      const e = map.get(rel);
      if (e) e.pzxid = k.pzxid;
      for (const c of k.children) {
        const child = relPath(root, joinPath(absPath(root, rel), c));
        if (root === '/' && child === 'zookeeper') continue;
        if (!map.has(child)) moved(child);
      }
    }
  }

  /**
   * The ACL check of finalize on its own, for a caller that runs it just before the source freezes
   * (finalize then with `aclCheck: false`): nodes whose ACL version moved are marked dirty and
   * copied by the next round. Nothing to do in sweep mode (every sweep compares aversion). The ms.
   */
  async sweepAcls(): Promise<number> {
    const t0 = Date.now();
    if (this.mode !== 'sweep') await this.aclSweep();
    return Date.now() - t0;
  }

  /**
   * Sort the target's paths and build their digest lines now (before the freeze: at 100,000 nodes
   * the sort and the lines are most of a digest's cost), so that targetDigest() redoes only what
   * changed since.
   */
  prepareTargetDigest(): void {
    (this.prepared ??= new PreparedDigest()).prepare(this.dstMap);
  }

  /** `treeDigest` of the target as its version map holds it (after finalize(): the proven tree). */
  targetDigest(): string {
    return this.prepared ? this.prepared.digest(this.dstMap) : treeDigest(toIndex(this.dstMap));
  }

  private prepared: PreparedDigest | undefined;

  /**
   * Watch mode's ACL check in finalize: aversion (and mzxid) of every known path against the maps, on
   * both sides (setACL fires no watch on either; a foreign setACL on the target is as invisible to
   * the streams as one on the source).
   */
  private async aclSweep(): Promise<void> {
    const side = async (lanes: ZkConn[], root: string, map: VersionMap): Promise<void> => {
      const rels = [...map.keys()];
      const stats = await sweepLanes(lanes, root, rels);
      for (const rel of rels) {
        const st = stats.get(absPath(root, rel));
        const e = map.get(rel)!;
        if (!st || st.ephemeral || st.aversion !== e.aversion || st.mzxid !== e.mzxid) this.markDirty(rel);
      }
    };
    await Promise.all([side(this.srcLanes, this.src.path, this.srcMap), side(this.dstLanes, this.dst.path, this.dstMap)]);
  }

  /**
   * finalize's rounds never settled. Our own writes settle within two rounds once the source stops,
   * so a target still reported changing over the last half of the rounds while the source was quiet
   * is written by someone else; otherwise the source is not frozen. Either way no copy can be proven
   * now (a full copy would not settle it either).
   */
  private keptChanging(mid: { source: number; target: number }): PreconditionError {
    const n = MAX_FINAL_ROUNDS / 2;
    if (this.reported.source === mid.source && this.reported.target > mid.target) {
      return new PreconditionError(
        `the target ${this.dst.hosts}${this.dst.path} kept changing during the last ${n} final rounds while the source did not (${this.reported.target - mid.target} change(s) reported): something else writes the target (a meta or a tool already pointed at it?); find it before migrating; nothing was cut over`,
      );
    }
    return new PreconditionError(`the source ${this.src.hosts}${this.src.path} kept changing during ${MAX_FINAL_ROUNDS} final rounds: it is not frozen; nothing was cut over`);
  }

  private unequal(paths: string[], what: string): VerifyError {
    const list = paths.slice(0, 10).map((p) => absPath(this.src.path, p));
    return new VerifyError(
      `the target ${this.dst.hosts}${this.dst.path} is not proven equal to the source ${this.src.hosts}${this.src.path}: ${what}` +
        (list.length ? ` (${paths.length} path(s), first: ${list.join(', ')})` : '') +
        '; nothing may be cut over on this copy',
    );
  }
}

/** sweepStats over every lane (a third of the paths each, after a sync of each), like the walker: the server answers several sessions faster than one. */
async function sweepLanes(lanes: ZkConn[], root: string, rels: readonly string[]): Promise<Map<string, SweepStat | null>> {
  await syncLanes(lanes, root);
  const per = Math.ceil(rels.length / lanes.length);
  const parts = await Promise.all(lanes.map((l, i) => sweepStats(l, rels.slice(i * per, (i + 1) * per).map((r) => absPath(root, r)))));
  const out = new Map<string, SweepStat | null>();
  for (const m of parts) for (const [k, v] of m) out.set(k, v);
  return out;
}

/** Read a whole tree into a version map (ephemeral nodes left out). */
async function readSide(lanes: ZkConn[], root: string): Promise<VersionMap> {
  const map: VersionMap = new Map();
  await indexTree(lanes, root, {
    excludes: Excludes.none().forRoot(root),
    // A node changed after the watches were armed is reported by them: no need to read it twice alike.
    acceptChanging: true,
    onRecord: (r) => {
      if (r.ephemeralOwner !== 0n) return;
      map.set(relPath(root, r.path), { hash: r.hash, acl: r.acl, mzxid: r.mzxid, pzxid: r.pzxid, aversion: r.aversion });
    },
  });
  return map;
}

function record(map: VersionMap, rel: string, v: NodeState | null): void {
  if (!v) {
    map.delete(rel);
    return;
  }
  // pzxid stays what the last listing saw (sweep mode lists children only when it moves).
  const old = map.get(rel);
  map.set(rel, { hash: v.hash, acl: v.aclKey, mzxid: v.mzxid, pzxid: old && old.mzxid === v.mzxid ? old.pzxid : 0n, aversion: v.aversion });
}

function sameState(a: NodeState | null, b: NodeState | null): boolean {
  if (!a || !b) return a === b;
  return a.hash === b.hash && a.aclKey === b.aclKey;
}

function sameEntry(a: Entry | undefined, b: Entry | undefined): boolean {
  if (!a || !b) return a === b;
  return a.hash === b.hash && a.acl === b.acl;
}

/** Paths present on one side only or different in data or ACL. */
function diffMaps(a: VersionMap, b: VersionMap): string[] {
  const out: string[] = [];
  for (const [p, e] of a) if (!sameEntry(e, b.get(p))) out.push(p);
  for (const p of b.keys()) if (!a.has(p)) out.push(p);
  return out;
}

function toIndex(m: VersionMap): TreeIndex {
  const idx: TreeIndex = new Map();
  for (const [p, e] of m) idx.set(p, new IndexEntry(e.hash, e.acl, 0));
  return idx;
}

function total(c: DeltaCounts): number {
  return c.created + c.updated + c.deleted + c.aclSet;
}

function diffCounts(a: DeltaCounts, b: DeltaCounts): DeltaCounts {
  return { created: a.created - b.created, updated: a.updated - b.updated, deleted: a.deleted - b.deleted, aclSet: a.aclSet - b.aclSet };
}
