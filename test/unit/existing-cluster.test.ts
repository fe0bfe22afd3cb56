import test from 'ava';
import { existingReplicas, existingTables } from '../../coordinator/lib/sandbox/existing-cluster';
import { SANDBOX_PROFILES } from '../../coordinator/lib/sandbox/profiles';

/** The large sandbox's seeded cluster: the state `create` leaves, spread evenly. Pure. */

const servers = ['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3', '127.0.0.1:4', '127.0.0.1:5'];
const large = SANDBOX_PROFILES.large!;

test('the large profile seeds its tables as an existing cluster', (t) => {
  t.true(large.existing);
});

test('every partition has 3 distinct members, ballot 3, and the ids follow the dropped tables', (t) => {
  const tables = existingTables(large.tables, 351, servers, 3, 0);
  t.is(tables.length, 40);
  t.deepEqual([tables[0]!.info.app_id, tables[39]!.info.app_id], [351, 390]);
  for (const tb of tables) {
    t.is(tb.info.status, 'AS_AVAILABLE');
    t.is(tb.partitions.length, 256);
    for (const [p, pc] of tb.partitions.entries()) {
      t.is(pc.pid, `${tb.info.app_id}.${p}`);
      t.is(pc.ballot, 3);
      t.is(new Set([pc.primary, ...pc.secondaries]).size, 3);
    }
  }
});

test('replicas and primaries are spread evenly over the replica servers, and each store matches the configs', (t) => {
  const tables = existingTables(large.tables, 1, servers, 3, 0);
  const held = existingReplicas(tables);
  const sizes = servers.map((s) => held.get(s)!.size);
  t.is(sizes.reduce((a, b) => a + b, 0), 30720);
  t.true(Math.max(...sizes) - Math.min(...sizes) <= 40, sizes.join(','));
  const primaries = servers.map((s) => [...held.get(s)!.values()].filter((r) => r.status === 'PS_PRIMARY').length);
  t.true(Math.max(...primaries) - Math.min(...primaries) <= 40, primaries.join(','));
  const r = held.get(tables[0]!.partitions[0]!.primary)!.get(tables[0]!.partitions[0]!.pid)!;
  t.is(r.last_prepared_decree, r.last_committed_decree + 1, 'a primary has one write prepared ahead');
  const s = held.get(tables[0]!.partitions[0]!.secondaries[0]!)!.get(tables[0]!.partitions[0]!.pid)!;
  t.like(s, { status: 'PS_SECONDARY', last_prepared_decree: s.last_committed_decree });
});

test('more replicas per partition than replica servers is refused', (t) => {
  t.throws(() => existingTables([{ name: 'x', partitions: 1 }], 1, servers.slice(0, 2), 3, 0), { message: /3 replicas per partition need as many replica servers \(have 2\)/ });
});
