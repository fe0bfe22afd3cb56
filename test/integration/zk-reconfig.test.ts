import anyTest, { TestFn } from 'ava';
import { zk } from '../../shared/zk/client';
import { adminView } from '../../coordinator/lib/zk/admin-words';
import { connectAdmin, readConfig, reconfig } from '../../coordinator/lib/zk/reconfig';
import { applyMove, confirmWrite, planMoves, rollbackMoves } from '../../coordinator/lib/migrate/reconfig-moves';
import { probeReconfigEnabled, probeReconfigRights, reconfigPreflight } from '../../coordinator/lib/migrate/reconfig-preflight';
import { DynamicEnsemble, startReconfigZk, SUPER } from '../harness/zk-reconfig';
import { waitFor } from '../harness/tmp';

/**
 * `--method reconfig`, the ensemble half, on real ZooKeeper 3.8 ensembles with dynamic
 * reconfiguration (loopback): the harness, the hand-encoded reconfig call, the preflight's
 * refusals, the moves (observers first, one promotion at a time, then the old servers leave), a
 * confirming write, rollback, and faults (a joiner killed before it synced, the ZooKeeper leader
 * restarted between moves: covered end to end, with the metas, in migrate-reconfig.test.ts). Invariants: never two leaders at once, no znode lost, sessions and
 * their ephemeral nodes survive.
 */

const test = anyTest as TestFn<{ cleanups: (() => Promise<void>)[] }>;

test.before((t) => {
  t.context = { cleanups: [] };
});

test.after.always(async (t) => {
  for (const c of t.context.cleanups.reverse()) await c().catch(() => undefined);
});

async function ensemble(t: { context: { cleanups: (() => Promise<void>)[] } }, opts: Parameters<typeof startReconfigZk>[0] = {}): Promise<DynamicEnsemble> {
  const r = await startReconfigZk(opts);
  t.context.cleanups.push(r.cleanup);
  return r.zk;
}

function call<T>(f: (cb: (e: unknown, v?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => f((e, v) => (e ? reject(e) : resolve(v as T))));
}

/** Samples every server's Mode every 100 ms and records the most leaders seen at once. */
function leaderWatch(e: DynamicEnsemble): { stop: () => Promise<number> } {
  let most = 0;
  let on = true;
  const loop = (async () => {
    while (on) {
      const modes = await Promise.all([...e.servers.keys()].map((id) => e.mode(id)));
      most = Math.max(most, modes.filter((m) => m === 'leader').length);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    stop: async () => {
      on = false;
      await loop;
      return most;
    },
  };
}

test.serial('the harness runs a reconfigurable ensemble and a joiner with the committed config plus itself follows its leader', async (t) => {
  const e = await ensemble(t);
  const c = await connectAdmin(e.connectString(), { auth: SUPER });
  try {
    const cfg = await readConfig(c);
    t.deepEqual(
      cfg.members.map((m) => [m.id, m.role]),
      [
        [1, 'participant'],
        [2, 'participant'],
        [3, 'participant'],
      ],
    );
    t.truthy(await e.leader());
    await e.startJoiner(4, cfg.text, 'observer');
    await e.waitServing(4);
    // Not in the config yet: a non-voting follower of the current leader.
    t.is(await e.mode(4), 'follower');
    t.is((await readConfig(c)).version, cfg.version);
    const v = await adminView(e.connectString([4]));
    t.is(v.conf?.serverId, 4);
    // Synced: it runs the leader's committed config, which does not name it yet.
    t.is(v.conf?.membership.length, 3);
    t.is(await probeReconfigEnabled(c, 10000), 'ok');
    t.is(await probeReconfigRights(c, SUPER, 10000), 'ok');
    t.is((await readConfig(c)).version, cfg.version, 'the rights probe changes nothing');
  } finally {
    c.close();
  }
  const anon = await connectAdmin(e.connectString());
  try {
    t.is(await probeReconfigRights(anon, undefined, 10000), 'no-auth');
    await t.throwsAsync(() => reconfig(anon, { leaving: [3] }), { message: /NoAuth/ });
    await t.throwsAsync(() => reconfig(anon, {}), { message: /at least one server/ });
  } finally {
    anon.close();
  }
});

test.serial('the preflight refuses a missing right, a joiner with a stale config, a dead joiner and a reused id, and changes nothing', async (t) => {
  const e = await ensemble(t, { ids: [1, 2, 3] });
  const admin = await connectAdmin(e.connectString(), { auth: SUPER });
  const before = await readConfig(admin);
  // Stale: started with only two of the three members.
  const stale = before.text.split('\n').filter((l) => !l.startsWith('server.3=')).join('\n');
  await e.startJoiner(7, stale, 'observer');
  const dead = await e.startJoiner(8, before.text, 'observer');
  await e.killServer(8);
  const to = e.connectString([7, 8]);
  const err = await t.throwsAsync(() => reconfigPreflight({ source: e.connectString([1, 2, 3]), to }));
  t.regex(err!.message, /not authorised/);
  // A joiner started without the last committed config never follows this ensemble's leader.
  t.true(err!.message.includes(`new server ${e.connectString([7])}`), err!.message);
  t.regex(err!.message, new RegExp(`new server 127.0.0.1:${dead.clientPort} does not answer`));
  const err2 = await t.throwsAsync(() => reconfigPreflight({ source: e.connectString([1]), to: e.connectString([2]), auth: SUPER }));
  t.regex(err2!.message, /--to names current members/);
  t.is((await readConfig(admin)).version, before.version);
  admin.close();
  const off = await ensemble(t, { ids: [1], reconfigEnabled: false });
  const c = await connectAdmin(off.connectString(), { auth: SUPER });
  try {
    t.is(await probeReconfigEnabled(c, 10000), 'disabled');
  } finally {
    c.close();
  }
});

test.serial('move an ensemble onto new servers: observers, one promotion at a time, the old servers leave; nothing lost, one leader at a time, a joiner killed before it synced', async (t) => {
  const e = await ensemble(t);
  const admin = await connectAdmin(e.connectString(), { auth: SUPER });
  // Data, and a session with an ephemeral node that must survive the whole move.
  const app = await connectAdmin(e.connectString(), { sessionTimeoutMs: 30000 });
  await call((cb) => app.create('/pegasus', cb));
  for (let i = 0; i < 200; i++) await call((cb) => app.create(`/pegasus/n${i}`, Buffer.from(`v${i}`), cb));
  await call((cb) => app.create('/pegasus/lock', Buffer.from('x'), zk.CreateMode.EPHEMERAL, cb));
  const session = app.getSessionId().toString('hex');
  const committed = await readConfig(admin);
  for (const id of [4, 5, 6]) await e.startJoiner(id, committed.text, 'observer');
  for (const id of [4, 5, 6]) await e.waitServing(id);
  const watch = leaderWatch(e);
  // A failing assertion must not leave the sampling loop running (it would keep the worker alive).
  t.context.cleanups.push(async () => void (await watch.stop()));
  const facts = await reconfigPreflight({ source: e.connectString([1, 2, 3]), to: e.connectString([4, 5, 6]), auth: SUPER });
  t.is(facts.joiners.length, 3);
  const moves = planMoves(facts);
  t.deepEqual(
    moves.map((m) => m.kind),
    ['add-observer', 'add-observer', 'add-observer', 'promote', 'promote', 'promote', 'remove'],
  );
  const ctx = { client: admin, syncTimeoutMs: 60000, rpcTimeoutMs: 30000 };

  // Fault: joiner 4 killed before it synced: the move fails by its deadline and changes nothing.
  await e.killServer(4);
  const short = { ...ctx, syncTimeoutMs: 3000 };
  await t.throwsAsync(() => applyMove(short, moves[0]!), { message: /did not sync/ });
  t.is((await readConfig(admin)).version, committed.version);
  // It had synced and adopted the committed config, which does not name it: a plain restart would
  // die with "My id 4 not in the peer list"; it starts again with the committed config plus itself.
  await e.rejoin(4, committed.text);
  await e.waitServing(4);

  let last = committed;
  for (const [i, m] of moves.entries()) {
    last = await waitFor(`move ${i}`, () => applyMove(ctx, m), 120000, 500);
    // Every intermediate config: never two joining participants that are not yet synced, i.e.
    // at most one promotion per reconfig.
    const joinersVoting = last.members.filter((x) => x.id >= 4 && x.role === 'participant').length;
    t.true(joinersVoting <= Math.max(0, i - 2), `config after move ${i} has ${joinersVoting} new participants`);
  }
  // Idempotent: the last move again changes nothing.
  const again = await applyMove(ctx, moves.at(-1)!);
  t.is(again.version, last.version);
  t.deepEqual(
    last.members.map((m) => [m.id, m.role]),
    [
      [4, 'participant'],
      [5, 'participant'],
      [6, 'participant'],
    ],
  );
  const confirmed = await confirmWrite(e.connectString([4, 5, 6]), last.version, { auth: SUPER, timeoutMs: 30000 });
  t.truthy(confirmed.zxid);
  t.is(await watch.stop(), 1, 'never two leaders at once');

  // The old servers can go: the new ones serve everything, the session and its ephemeral survived.
  for (const id of [1, 2, 3]) await e.stopServer(id);
  const reader = await connectAdmin(e.connectString([4, 5, 6]));
  try {
    const kids = await call<string[]>((cb) => reader.getChildren('/pegasus', cb));
    t.is(kids.length, 201);
    t.is((await call<Buffer>((cb) => reader.getData('/pegasus/n199', cb))).toString(), 'v199');
    const st = await call<zk.Stat>((cb) => reader.exists('/pegasus/lock', cb));
    t.is(st.ephemeralOwner.toString('hex'), session);
  } finally {
    reader.close();
    app.close();
    admin.close();
  }
});

test.serial('rollback after a promotion returns the membership to the old servers without copying', async (t) => {
  const e = await ensemble(t);
  const admin = await connectAdmin(e.connectString(), { auth: SUPER });
  try {
    const committed = await readConfig(admin);
    for (const id of [4, 5]) await e.startJoiner(id, committed.text, 'observer');
    for (const id of [4, 5]) await e.waitServing(id);
    const facts = await reconfigPreflight({ source: e.connectString([1, 2, 3]), to: e.connectString([4, 5]), auth: SUPER });
    const ctx = { client: admin, syncTimeoutMs: 60000, rpcTimeoutMs: 30000 };
    const moves = planMoves(facts);
    for (const m of moves.slice(0, 3)) await applyMove(ctx, m); // two observers, one promotion
    t.true((await readConfig(admin)).members.some((m) => m.id === 4 && m.role === 'participant'));
    const back = await rollbackMoves(ctx, facts);
    t.deepEqual(
      back.members.map((m) => [m.id, m.role]),
      [
        [1, 'participant'],
        [2, 'participant'],
        [3, 'participant'],
      ],
    );
    await confirmWrite(e.connectString([1, 2, 3]), back.version, { auth: SUPER, timeoutMs: 30000 });
    // Idempotent.
    t.is((await rollbackMoves(ctx, facts)).version, back.version);
  } finally {
    admin.close();
  }
});
