import { closeClient } from '../../../shared/zk/client-internals';
import { AppError, TimeoutError, VerifyError } from '../../../shared/errors';
import { zk } from '../../../shared/zk/client';
import { adminView } from '../zk/admin-words';
import { ConfigMember, connectAdmin, DynamicConfig, endpointOf, formatMember, parseMemberLine, readConfig, reconfig } from '../zk/reconfig';
import type { ReconfigFacts } from './reconfig-preflight';

/**
 * The ensemble half of `--method reconfig`: the config changes, one reconfig each, computed so
 * that no initial or intermediate config ever has two joining participants (ZooKeeper's reconfig
 * guide): every new server joins as an observer, then is promoted alone, then the old servers
 * leave. Each move is idempotent (it reads /zookeeper/config first and does nothing when the
 * config already shows it) and verified before the next (the server's own `srvr`/`mntr`).
 */

export type Move = { kind: 'add-observer'; id: number; line: string } | { kind: 'promote'; id: number; line: string } | { kind: 'remove'; ids: number[] };

function asRole(m: ConfigMember, role: ConfigMember['role']): string {
  return formatMember({ ...m, role });
}

/** Every move, in order. Pure. */
export function planMoves(f: ReconfigFacts): Move[] {
  const moves: Move[] = [];
  for (const j of f.joiners) moves.push({ kind: 'add-observer', id: j.id, line: asRole(j.member, 'observer') });
  for (const j of f.joiners) moves.push({ kind: 'promote', id: j.id, line: asRole(j.member, 'participant') });
  moves.push({ kind: 'remove', ids: f.oldMembers.map((m) => m.id) });
  return moves;
}

export function describeMove(m: Move): string {
  if (m.kind === 'add-observer') return `add server ${m.id} as an observer`;
  if (m.kind === 'promote') return `promote server ${m.id} to participant`;
  return `remove the old servers ${m.ids.join(', ')}`;
}

/** True when `c` already shows the result of `m`. */
export function moveDone(c: DynamicConfig, m: Move): boolean {
  if (m.kind === 'remove') return m.ids.every((id) => !c.members.some((x) => x.id === id));
  const x = c.members.find((y) => y.id === m.id);
  if (!x) return false;
  return m.kind === 'add-observer' ? true : x.role === 'participant';
}

async function poll<T>(what: string, timeoutMs: number, f: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new TimeoutError(`${what} within ${Math.round(timeoutMs / 1000)} s${last ? ` (${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The leader's endpoint and zxid among `members`, from `srvr`. */
async function leaderOf(members: readonly ConfigMember[]): Promise<{ endpoint: string; zxid: bigint } | undefined> {
  const views = await Promise.all(members.map((m) => adminView(endpointOf(m), 1500)));
  const l = views.find((v) => v.srvr?.mode === 'leader');
  return l ? { endpoint: l.endpoint, zxid: l.srvr!.zxid } : undefined;
}

/**
 * Wait until server `id` of config `c` serves in `mode` and has caught up with the leader (its
 * zxid at least the leader's zxid seen when we started waiting): "connected and synced" in the
 * guide's words, seen from the servers themselves.
 */
export async function waitSynced(c: DynamicConfig, id: number, modes: string[], timeoutMs: number): Promise<void> {
  const m = c.members.find((x) => x.id === id);
  if (!m) throw new AppError('INTERNAL', `server ${id} is not in config ${c.version.toString(16)}`);
  let target: bigint | undefined;
  await poll(`server ${id} (${endpointOf(m)}) did not sync as ${modes.join('/')}`, timeoutMs, async () => {
    if (target === undefined) target = (await leaderOf(c.members))?.zxid;
    if (target === undefined) return undefined;
    const v = await adminView(endpointOf(m), 1500);
    return v.srvr && modes.includes(v.srvr.mode) && v.srvr.zxid >= target ? true : undefined;
  });
}

/** Before a move: every server of the current config but at most one answers (the guide: a quorum of both configs must stay up). */
async function requireQuorumUp(c: DynamicConfig): Promise<void> {
  const views = await Promise.all(c.members.map((m) => adminView(endpointOf(m), 1500)));
  const down = c.members.filter((_, i) => !views[i]!.srvr || !['leader', 'follower', 'observer'].includes(views[i]!.srvr!.mode));
  const voters = c.members.filter((m) => m.role === 'participant');
  const votersDown = down.filter((m) => m.role === 'participant');
  if (votersDown.length > 1 || votersDown.length * 2 >= voters.length) {
    throw new AppError('UNAVAILABLE', `servers ${down.map((d) => d.id).join(', ')} of config ${c.version.toString(16)} do not serve: no reconfig while more than one is down`);
  }
}

export interface MoveContext {
  client: zk.Client;
  /** How long a server may take to sync. */
  syncTimeoutMs: number;
  rpcTimeoutMs: number;
  progress?: (m: string) => void;
}

/** Apply one move (or recognise it as done), then verify it. Returns the config after it. */
export async function applyMove(ctx: MoveContext, m: Move): Promise<DynamicConfig> {
  let c = await readConfig(ctx.client, ctx.rpcTimeoutMs);
  if (!moveDone(c, m)) {
    await requireQuorumUp(c);
    if (m.kind === 'promote') {
      ctx.progress?.(`server ${m.id}: waiting until it is synced as an observer`);
      await waitSynced(c, m.id, ['observer'], ctx.syncTimeoutMs);
    }
    if (m.kind === 'add-observer') {
      // Until it is in the config, a joiner runs as a non-voting follower of the current leader:
      // that it does so is ZooKeeper's own proof that it reaches the members' quorum ports.
      ctx.progress?.(`server ${m.id}: waiting until it follows the current leader`);
      const joiner = { ...c, members: [...c.members, { ...parseMemberLine(m.line) }] };
      await waitSynced(joiner, m.id, ['follower', 'observer'], ctx.syncTimeoutMs);
    }
    ctx.progress?.(describeMove(m));
    c = await reconfig(ctx.client, m.kind === 'remove' ? { leaving: m.ids, fromVersion: c.version } : { joining: [m.line], fromVersion: c.version }, ctx.rpcTimeoutMs);
  }
  if (m.kind === 'add-observer') await waitSynced(c, m.id, ['observer'], ctx.syncTimeoutMs);
  if (m.kind === 'promote') await waitSynced(c, m.id, ['follower', 'leader'], ctx.syncTimeoutMs);
  return c;
}

/**
 * The guide: the commit of a reconfig does not mean the new config is active; "invoke an update
 * (not a sync) and wait for it to commit". Connect to the new servers only, create and delete an
 * ephemeral znode, and check that the config they serve is `expect`.
 */
export async function confirmWrite(target: string, expectVersion: bigint, o: { auth?: string; timeoutMs: number }): Promise<{ zxid: string }> {
  const c = await connectAdmin(target, { ...(o.auth ? { auth: o.auth } : {}), connectTimeoutMs: o.timeoutMs });
  try {
    const path = `/zkmig-reconfig-confirm-${process.pid}-${Date.now()}`;
    const created = await new Promise<zk.Stat>((resolve, reject) => {
      c.create(path, Buffer.from('confirm'), zk.CreateMode.EPHEMERAL, (err) => {
        if (err) return reject(new VerifyError(`a write on ${target} did not commit: ${String(err)}`, { cause: err }));
        c.exists(path, (e2, st) => (e2 || !st ? reject(new VerifyError(`the confirming write on ${target} is not readable: ${e2 ? String(e2) : 'gone'}`)) : resolve(st)));
      });
    });
    await new Promise<void>((resolve) => c.remove(path, -1, () => resolve()));
    const now = await readConfig(c, o.timeoutMs);
    if (now.version < expectVersion) throw new VerifyError(`the new servers serve config ${now.version.toString(16)}, older than ${expectVersion.toString(16)}`);
    return { zxid: created.mzxid.toString('hex') };
  } finally {
    closeClient(c);
  }
}

/**
 * Rollback: return the membership to the original one, never copying. The old servers come back
 * as participants first (a removed server keeps running as a non-voting follower), then the
 * joiners leave. Idempotent like the moves.
 */
export async function rollbackMoves(ctx: MoveContext, f: ReconfigFacts): Promise<DynamicConfig> {
  await restoreOldMembers(ctx, f);
  return removeJoiners(ctx, f);
}

/** The first half of rollbackMoves: the old servers back in their original roles, the joiners kept (metas may still use them). */
export async function restoreOldMembers(ctx: MoveContext, f: ReconfigFacts): Promise<DynamicConfig> {
  let c = await readConfig(ctx.client, ctx.rpcTimeoutMs);
  const missing = f.oldMembers.filter((o) => {
    const x = c.members.find((y) => y.id === o.id);
    return !x || x.role !== o.role;
  });
  if (missing.length > 0) {
    for (const o of missing) {
      ctx.progress?.(`server ${o.id}: bringing it back as ${o.role}`);
      // A removed old server follows the leader as a non-voting follower; it must be synced to vote again.
      c = await reconfig(ctx.client, { joining: [formatMember(o)], fromVersion: c.version }, ctx.rpcTimeoutMs);
      await waitSynced(c, o.id, o.role === 'participant' ? ['follower', 'leader'] : ['observer'], ctx.syncTimeoutMs);
    }
  }
  return c;
}

/** The second half of rollbackMoves: every server not in the original config leaves. */
export async function removeJoiners(ctx: MoveContext, f: ReconfigFacts): Promise<DynamicConfig> {
  let c = await readConfig(ctx.client, ctx.rpcTimeoutMs);
  const extra = c.members.filter((m) => !f.oldMembers.some((o) => o.id === m.id)).map((m) => m.id);
  if (extra.length > 0) {
    ctx.progress?.(`removing the new servers ${extra.join(', ')}`);
    c = await reconfig(ctx.client, { leaving: extra, fromVersion: c.version }, ctx.rpcTimeoutMs);
  }
  return c;
}
