import test from 'ava';
import { loadInventory, matchHosts, splitPattern } from '../../coordinator/lib/inventory';
import { isUsageError } from '../../shared/errors';
import { inventoryFixture } from './inventory-helpers';
import { limitClusters } from '../../coordinator/lib/inventory';

// Ansible's host patterns, against the site inventory (test/fixtures/inventory/site/hosts.ini).
const inv = loadInventory({ file: inventoryFixture('site/hosts.ini'), env: {}, checkFiles: false });
const hosts = (p: string): string[] => [...matchHosts(inv, p).hosts];

test('all, *, a group, a host', (t) => {
  t.is(hosts('all').length, inv.hosts.length);
  t.deepEqual(hosts('*'), hosts('all'));
  t.deepEqual(hosts('c2'), ['c2-meta1.example.com', 'c2-meta2.example.com']);
  t.deepEqual(hosts('c3-meta2'), ['c3-meta2']);
});

test('globs match group and host names; ~ is a regular expression', (t) => {
  t.deepEqual(hosts('c1-meta*'), ['c1-meta1.example.com', 'c1-meta2.example.com', 'c1-meta3.example.com']);
  t.deepEqual(hosts('c?-meta1*'), ['c1-meta1.example.com', 'c2-meta1.example.com', 'c3-meta1']);
  t.deepEqual(hosts('zk[12]*'), ['zk1.example.com', 'zk2.example.com']);
  t.deepEqual(hosts('~^c3-meta[0-9]$'), ['c3-meta1', 'c3-meta2']);
  // A glob on group names: every host of c1_replica and c2_replica...
  t.deepEqual(hosts('c[12]_replica').length, 7);
});

test('comma and colon lists, & intersects, ! excludes, in Ansible order', (t) => {
  t.deepEqual(hosts('c1,c3'), [...hosts('c1'), ...hosts('c3')]);
  t.deepEqual(hosts('c1:c3'), hosts('c1,c3'));
  t.deepEqual(hosts('meta_servers:&dc_shanghai'), ['c2-meta1.example.com', 'c2-meta2.example.com', 'c3-meta1', 'c3-meta2']);
  t.deepEqual(hosts('meta_servers:&dc_shanghai:!c3-meta2'), ['c2-meta1.example.com', 'c2-meta2.example.com', 'c3-meta1']);
  // Order does not matter: exclusions apply last.
  t.deepEqual(hosts('!c3-meta2,&dc_shanghai,meta_servers'), hosts('meta_servers:&dc_shanghai:!c3-meta2'));
  // Only exclusions: from all.
  t.false(hosts('!zookeeper').includes('zk1.example.com'));
  t.true(hosts('!zookeeper').includes('c1-meta1.example.com'));
  t.deepEqual(hosts('ssd:&c2'), ['c2-meta1.example.com']);
});

test('subscripts pick from what a term matched: [0], [1:2] inclusive, [-1]', (t) => {
  t.deepEqual(hosts('c1[0]'), ['c1-meta1.example.com']);
  t.deepEqual(hosts('c1[1:2]'), ['c1-meta2.example.com', 'c1-meta3.example.com']);
  t.deepEqual(hosts('c1[-1]'), ['c1-meta3.example.com']);
});

test('splitting keeps ranges and IPv6 addresses whole', (t) => {
  t.deepEqual(splitPattern('c1[0:1]:!x'), ['c1[0:1]', '!x']);
  t.deepEqual(splitPattern('fe80::1'), ['fe80::1']);
  t.deepEqual(splitPattern(' a , b '), ['a', 'b']);
});

test('terms that match nothing are reported; a limit that selects no meta is a usage error', (t) => {
  t.deepEqual(matchHosts(inv, 'c1,nosuch').unmatched, ['nosuch']);
  const r = limitClusters(inv, inv.clusters, 'c1-meta1*,nosuch');
  t.deepEqual(r.clusters.map((c) => [c.name, c.metas.map((m) => m.name)]), [['c1', ['c1-meta1.example.com']]]);
  t.deepEqual(r.warnings, ['--limit: "nosuch" matches no group or host of the inventory']);
  // The meta list and shell of a limited cluster stay the whole cluster's.
  t.is(r.clusters[0]!.metaServers, inv.clusters[0]!.metaServers);
  const e = t.throws(() => limitClusters(inv, inv.clusters, 'zookeeper'));
  t.true(isUsageError(e));
  t.regex(e!.message, /--limit "zookeeper" selects no meta server of the clusters c1, c2, c3/);
});
