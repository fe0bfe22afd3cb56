import { randomBytes } from 'node:crypto';
import { PreconditionError, UsageError } from '../../../shared/errors';
import { endpointArg, parentPath, ZkEndpoint } from '../../../shared/zk/endpoint';
import { aclFromKey, grants, PERM, sessionIds, withGrant } from './acl';
import type { ZkConn } from './conn';
import { COPY_DEFAULTS, CopyOptions, CopyPhase, CopyProgress, CopySummary, PathList } from './copy-types';
import { Excludes, refuseSystemTree } from './excludes';
import { closeLanes, indexTree, openLanes, syncLanes } from './index-tree';
import { findMaskedAcls, maskedAclError, refuseMasked } from './masked-acl';
import { mkdirpOpen, statOf } from './ops';
import { absPath, IndexEntry, relPath, TreeIndex, treeDigest } from './tree-index';
import { verifyCopy } from './verify';
import { TreeWalker, WalkRecord } from './walker';
import type { MultiOp, RawAcl } from './wire';
import { applyAcls, BatchWriter } from './writer';

/**
 * `copyTree`: copy a ZooKeeper subtree to another path or ensemble, then verify it.
 *
 * 1. Preflight, before anything is written: both endpoints parse, neither is inside /zookeeper, the
 *    trees do not overlap, the source exists, with `fail` the target path is missing or empty, and
 *    no source ACL is masked to this session (masked-acl.ts).
 * 2. With `overwrite`/`sync`, the target subtree is indexed first (hashes and ACLs only).
 * 3. The source is walked with pipelined reads; each node streams to the batch writer as a create
 *    (missing), a setData (data differs) or nothing (identical), so memory holds the node index and a
 *    bounded backlog of data, never the tree's bytes. Ephemeral nodes are skipped and reported.
 * 4. ACL changes (setACL cannot go in a multi) and ACLs deferred so a restrictive parent would not
 *    block its own children are applied; with `sync`, target-only nodes are deleted, deepest first.
 * 5. Verify: the target is read back and compared node by node; the digests are printed.
 */
export async function copyTree(o: CopyOptions): Promise<CopySummary> {
  const t0 = Date.now();
  const mode = o.onExists ?? COPY_DEFAULTS.onExists;
  const dryRun = o.dryRun ?? false;
  const verifyMode = dryRun ? 'none' : (o.verify ?? COPY_DEFAULTS.verify);
  const limit = o.listLimit ?? COPY_DEFAULTS.listLimit;
  const sessions = Math.max(1, o.readSessions ?? COPY_DEFAULTS.readSessions);
  const src = endpoint(o.source, 'source');
  const dst = endpoint(o.target, 'target');
  refuseSystemTree(src.path, 'source');
  refuseSystemTree(dst.path, 'target');
  refuseOverlap(src, dst);
  const excludes = Excludes.parse(src.path, o.excludes ?? []);
  const srcExcl = excludes.forRoot(src.path);
  const dstExcl = excludes.forRoot(dst.path);
  const conn = { sessionTimeoutMs: o.sessionTimeoutMs, connectTimeoutMs: o.connectTimeoutMs, retryTimeoutMs: o.retryTimeoutMs };
  const clean = <T extends object>(x: T): T => Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined)) as T;
  const srcLanes = await openLanes(src.hosts, sessions, clean({ ...conn, auth: o.sourceAuth, security: { ...o.sourceSecurity, side: 'source' } }));
  // A node whose own ACL forbids creating its children is created with an extra full grant for
  // this session and gets its real ACL at the end. Without target credentials that grant would be
  // world:anyone:cdrwa, and a copy interrupted before the end would leave such nodes writable by
  // anyone. So a session without credentials authenticates with a throwaway digest identity (a
  // random password that dies with the process): the temporary grant is for it alone, and after an
  // interruption the leftover entry names an identity nobody can assume.
  const writeAuth = o.targetAuth ?? (o.targetSecurity?.sasl?.user ? undefined : `zkmig-copy:${randomBytes(24).toString('base64url')}`);
  let dstLanes: ZkConn[] = [];
  try {
    dstLanes = await openLanes(dst.hosts, sessions, clean({ ...conn, auth: writeAuth, security: { ...o.targetSecurity, side: 'target' } }));
    return await run();
  } finally {
    closeLanes(srcLanes);
    closeLanes(dstLanes);
  }

  async function run(): Promise<CopySummary> {
    const progress = new ProgressClock(o.onProgress);
    const warnings: string[] = [];
    // ---- 1. preflight (after a sync, each session reads what the leader has)
    await Promise.all([syncLanes(srcLanes, '/'), syncLanes(dstLanes, '/')]);
    const srcRoot = await statOf(srcLanes[0]!, src.path);
    if (!srcRoot) throw new PreconditionError(`source ${src.path} does not exist on ZooKeeper ${src.hosts}`);
    if (srcRoot.ephemeral) throw new PreconditionError(`source ${src.path} is an ephemeral node; zkmig copies persistent trees only`);
    const dstRoot = await statOf(dstLanes[0]!, dst.path, true);
    if (mode === 'fail' && dstRoot) {
      const kids = (dstRoot.children ?? []).filter((c) => !dstExcl.hasExact(relPath(dst.path, absPath(dst.path, c))));
      if (dstRoot.dataLength > 0 || kids.length > 0) {
        throw new PreconditionError(
          `target ${dst.path} on ZooKeeper ${dst.hosts} already exists with ${kids.length} children and ${dstRoot.dataLength} bytes of data; nothing was written. ` +
            'Use --on-exists overwrite to update what differs, or --on-exists sync to also delete what the source lacks.',
          { context: { path: dst.path } },
        );
      }
    }
    // A digest ACL this session may not see in full (no ADMIN on the node) reads as `user:x`;
    // copying it would write a wrong ACL. Found by an ACL-only walk before anything is written.
    // (A caller that checked this outside its write freeze skips the walk: it costs two requests per node.)
    if (!o.sourceAclsChecked) {
      const masked = await findMaskedAcls(srcLanes, src.path, srcExcl, { ...walkOpts(o), limit: 10, ...(o.live ? { acceptChanging: true } : {}) });
      if (masked.count > 0) throw maskedAclError(masked, 'nothing was written');
    }
    // ---- 2. what the target already has
    let target: TreeIndex = new Map();
    const targetEphemeral: string[] = [];
    if (dstRoot && mode !== 'fail') {
      progress.phase('scan-target');
      const t = await indexTree(dstLanes, dst.path, { excludes: dstExcl, ...walkOpts(o), onNode: (n, pending) => progress.tick(n, 0, n + pending) });
      target = t.index;
      targetEphemeral.push(...t.ephemeral);
    } else if (dstRoot) {
      // An existing empty target root still gets the source root's data and ACL.
      target.set('', new IndexEntry(dstRoot.hash, dstRoot.acl, dstRoot.dataLength));
    }
    if (!dryRun && !dstRoot && parentPath(dst.path) !== '/') await mkdirpOpen(dstLanes[0]!, parentPath(dst.path));

    // ---- 3. stream the source into the writer
    progress.phase('copy');
    const copyStart = Date.now();
    const myIds = sessionIds(writeAuth, o.targetSecurity?.sasl?.user);
    const source: TreeIndex = new Map();
    const skipped = new Capped(limit);
    const excluded = new Capped(limit);
    const plan = { create: new Capped(limit), update: new Capped(limit), delete: new Capped(limit) };
    const aclUpdates: { path: string; acl: RawAcl[] }[] = [];
    const deferredAcls: { path: string; acl: RawAcl[] }[] = [];
    const lockHolders: string[] = [];
    const counts = { nodes: 0, bytes: 0, created: 0, updated: 0, aclUpdated: 0, deleted: 0, unchanged: 0 };
    const maxBacklog = o.maxBacklogBytes ?? COPY_DEFAULTS.maxBacklogBytes;
    const writer = dryRun
      ? undefined
      : new BatchWriter(dstLanes[0]!, clean({ batchBytes: o.batchBytes, maxInFlight: o.maxInFlight }));
    const push = (op: MultiOp): void => writer?.push(op);

    const onRecord = (r: WalkRecord): void => {
      const rel = relPath(src.path, r.path);
      if (r.ephemeralOwner !== 0n) {
        skipped.add(r.path);
        if (/\/dsn\.meta\.server\.leader\/LOCKNODE\d+$/.test(r.path)) lockHolders.push(`${r.path} (${r.data?.toString('utf8') ?? ''})`);
        return;
      }
      // Checked here when the ACL walk was skipped: masked since the caller's check (an ACL changed),
      // or left to this read by the caller (aclGuard): stop before this node is written.
      const refusal = o.sourceAclsChecked ? (o.aclGuard ?? refuseMasked)(r.path, r.rawAcl ?? []) : undefined;
      if (refusal) {
        walker.abort(refusal);
        return;
      }
      source.set(rel, new IndexEntry(r.hash, r.acl, r.dataLength));
      counts.nodes++;
      counts.bytes += r.dataLength;
      progress.tick(counts.nodes, counts.bytes, counts.nodes + walker.pending);
      const to = absPath(dst.path, rel);
      const acl = r.rawAcl ?? aclFromKey(r.acl);
      const have = target.get(rel);
      if (!have) {
        let createAcl = acl;
        if (r.numChildren > 0 && !grants(acl, myIds, PERM.CREATE)) {
          // Creating this node with its own ACL would forbid creating its children: create it with
          // an extra grant for this session and set the real ACL once the subtree is written.
          createAcl = withGrant(acl, writeAuth, o.targetSecurity?.sasl?.user);
          deferredAcls.push({ path: to, acl });
        }
        counts.created++;
        plan.create.add(to);
        push({ kind: 'create', path: to, data: r.data, acl: createAcl });
        return;
      }
      if (have.ephemeral) {
        warnings.push(`target ${to} is an ephemeral node (owned by a live session); it was left as it is`);
        return;
      }
      const dataDiffers = have.hash !== r.hash;
      const aclDiffers = have.acl !== r.acl;
      if (!dataDiffers && !aclDiffers) {
        counts.unchanged++;
        return;
      }
      counts.updated++;
      plan.update.add(to);
      if (dataDiffers) push({ kind: 'set', path: to, data: r.data });
      if (aclDiffers) {
        counts.aclUpdated++;
        aclUpdates.push({ path: to, acl });
      }
    };

    const walker: TreeWalker = new TreeWalker({
      lanes: srcLanes,
      // Data is handed to the writer (or, in a dry run, only looked at for lock holders) and dropped.
      keepData: true,
      ...(o.live ? { acceptChanging: true } : {}),
      ...walkOpts(o),
      skip: (p) => {
        if (!srcExcl.hasExact(relPath(src.path, p))) return false;
        excluded.add(p);
        return true;
      },
      onRecord,
      blocked: () => (writer ? writer.backlogBytes > maxBacklog : false),
    });
    writer?.onDrain(() => {
      if (writer.error !== undefined) walker.abort(writer.error);
      else if (writer.backlogBytes <= maxBacklog / 2) walker.resume();
    });
    let walkStats;
    try {
      walkStats = await walker.run(src.path);
      await writer?.flush();
      // ---- 4. ACLs, then deletes
      if (!dryRun && aclUpdates.length + deferredAcls.length > 0) {
        progress.phase('acl');
        await applyAcls(dstLanes[0]!, [...aclUpdates, ...deferredAcls]);
      }
      if (mode === 'sync') {
        progress.phase('delete');
        const doomed = deletions(target, source, dstExcl, targetEphemeral.map((p) => relPath(dst.path, p)), dst.path, warnings);
        for (const rel of doomed) {
          plan.delete.add(absPath(dst.path, rel));
          counts.deleted++;
          push({ kind: 'delete', path: absPath(dst.path, rel) });
        }
        await writer?.flush();
      }
    } finally {
      writer?.close();
    }
    const copyMs = Date.now() - copyStart;

    if (lockHolders.length > 0) {
      warnings.push(
        `the source holds Pegasus leader-lock node(s) ${lockHolders.join(', ')}: a meta server is still connected to the source ensemble. ` +
          'Lock nodes are ephemeral and were not copied (a persistent copy would stop any meta server from becoming leader).',
      );
    }
    const shadowed = skippedShadows(skipped.all, target, src.path);
    if (mode === 'overwrite' && shadowed.length > 0) {
      warnings.push(
        `the target has persistent node(s) where the source has ephemeral ones (leftovers of an earlier copy?): ${shadowed.slice(0, 10).join(', ')}. ` +
          'A persistent LOCKNODE blocks Pegasus leader election forever; --on-exists sync deletes them.',
      );
    }

    const summary: CopySummary = {
      source: `${src.hosts}${src.path}`,
      target: `${dst.hosts}${dst.path}`,
      mode,
      dryRun,
      ...counts,
      skippedEphemeral: skipped.list(),
      excluded: excluded.list(),
      vanished: walkStats.vanished,
      maxMzxid: hex(walkStats.maxMzxid),
      maxPzxid: hex(walkStats.maxPzxid),
      digest: treeDigest(source),
      durationMs: 0,
      copyMs,
      warnings,
      stats: {
        readSessions: sessions,
        multis: writer?.multis ?? 0,
        recoveries: writer?.recoveries ?? 0,
        rereads: walkStats.rereads,
        expiredSessions: [...srcLanes, ...dstLanes].reduce((n, c) => n + c.expiries, 0),
      },
    };
    if (dryRun) summary.plan = { create: plan.create.list(), update: plan.update.list(), delete: plan.delete.list() };

    // ---- 5. verify
    if (verifyMode !== 'none') {
      progress.phase('verify');
      summary.verify = await verifyCopy({
        sourceIndex: source,
        sourceRoot: src.path,
        targetRoot: dst.path,
        targetLanes: dstLanes,
        sourceLanes: srcLanes,
        mode: verifyMode,
        sourceExcludes: srcExcl,
        targetExcludes: dstExcl,
        extraAllowed: mode === 'overwrite',
        limit,
        ...walkOpts(o),
        ...(o.onProgress ? { onProgress: o.onProgress } : {}),
      });
      if (summary.verify.sourceChanged) warnings.push('the source changed while it was being copied (its re-read differs from the copy\'s read): stop its writers and copy again with --on-exists overwrite');
    }
    summary.durationMs = Date.now() - t0;
    return summary;
  }
}

function walkOpts(o: CopyOptions): { window?: number; signal?: AbortSignal } {
  return { ...(o.window !== undefined ? { window: o.window } : {}), ...(o.signal ? { signal: o.signal } : {}) };
}

const endpoint = endpointArg;

/** Copying a tree into itself (or onto itself) on one ensemble would read what it writes. */
function refuseOverlap(src: ZkEndpoint, dst: ZkEndpoint): void {
  const hosts = (h: string): string => h.split(',').sort().join(',');
  if (hosts(src.hosts) !== hosts(dst.hosts)) return;
  const inside = (a: string, b: string): boolean => a === b || b === '/' || a.startsWith(b + '/');
  if (inside(src.path, dst.path) || inside(dst.path, src.path)) {
    throw new UsageError(`source ${src.path} and target ${dst.path} overlap on the same ensemble (${src.hosts}); copy to a separate path`);
  }
}

/**
 * Target-only nodes to delete for `sync`, deepest first. Excluded subtrees and ephemeral nodes are
 * never deleted, and neither are their ancestors (ZooKeeper would refuse with NOT_EMPTY anyway).
 */
function deletions(target: TreeIndex, source: TreeIndex, excl: Excludes, ephemeralRels: string[], root: string, warnings: string[]): string[] {
  const keep = new Set<string>();
  for (const e of ephemeralRels) {
    if (source.has(e)) continue;
    for (let r = e; r !== ''; r = r.includes('/') ? r.slice(0, r.lastIndexOf('/')) : '') keep.add(r);
    warnings.push(`target ${absPath(root, e)} is an ephemeral node of a live session; it and its ancestors were not deleted`);
  }
  const out = [...target.keys()].filter((rel) => rel !== '' && !source.has(rel) && !keep.has(rel) && !excl.covers(rel));
  const depth = (p: string): number => p.split('/').length;
  return out.sort((a, b) => depth(b) - depth(a) || (a < b ? -1 : 1));
}

/** Source ephemerals whose path holds a persistent node on the target. */
function skippedShadows(skipped: string[], target: TreeIndex, srcRoot: string): string[] {
  return skipped.filter((p) => {
    const e = target.get(relPath(srcRoot, p));
    return e !== undefined && !e.ephemeral;
  });
}

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

/** Keeps the first `limit` paths and the exact count. */
class Capped {
  count = 0;
  readonly all: string[] = [];
  constructor(private readonly limit: number) {}
  add(p: string): void {
    this.count++;
    if (this.all.length < this.limit) this.all.push(p);
  }
  list(): PathList {
    return { count: this.count, paths: this.all.slice() };
  }
}

/** Throttles progress callbacks to one per 200 ms, plus one at each phase change. */
class ProgressClock {
  private current: CopyPhase = 'copy';
  private start = Date.now();
  private last = 0;
  constructor(private readonly cb: ((p: CopyProgress) => void) | undefined) {}
  phase(p: CopyPhase): void {
    this.current = p;
    this.start = Date.now();
    this.last = 0;
    this.cb?.({ phase: p, nodes: 0, bytes: 0, total: undefined, elapsedMs: 0 });
  }
  tick(nodes: number, bytes: number, total: number | undefined): void {
    if (!this.cb) return;
    const now = Date.now();
    if (now - this.last < 200) return;
    this.last = now;
    this.cb({ phase: this.current, nodes, bytes, total, elapsedMs: now - this.start });
  }
}
