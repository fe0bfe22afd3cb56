import test from 'ava';
import { diffApps } from '../../coordinator/lib/migrate/partitions';
import type { TreeNode } from '../../coordinator/lib/zk/tree-read';

const node = (rel: string, data: unknown): TreeNode => ({ rel, data: Buffer.from(typeof data === 'string' ? data : JSON.stringify(data)), acl: [] });
const app = (id: number, status = 'app_status::AS_AVAILABLE'): TreeNode => node(`/${id}`, { status, app_name: `t${id}`, app_id: id, partition_count: 2 });
const part = (id: number, i: number, ballot: number, primary: string, secondaries: string[]): TreeNode =>
  node(`/${id}/${i}`, { pid: `${id}.${i}`, ballot, primary, secondaries, max_replica_count: 3 });

const before = [app(1), part(1, 0, 5, 'a:1', ['b:1', 'c:1']), part(1, 1, 7, 'b:1', ['a:1', 'c:1'])];

test('identical apps and partitions: no difference', (t) => {
  t.deepEqual(diffApps(before, before), []);
});

test('secondaries in another order are the same configuration', (t) => {
  t.deepEqual(diffApps(before, [app(1), part(1, 0, 5, 'a:1', ['c:1', 'b:1']), before[2]!]), []);
});

test('a missing partition or app node is reported', (t) => {
  t.deepEqual(diffApps(before, [app(1), before[1]!]), ['partition 1.1 is missing']);
  t.deepEqual(diffApps(before, before.slice(1)), ['app node apps/1 is missing']);
});

test('members changed without a new ballot: the copy lost or damaged something', (t) => {
  t.deepEqual(diffApps(before, [app(1), part(1, 0, 5, 'b:1', ['a:1', 'c:1']), before[2]!]), ['partition 1.0 changed members without a new ballot (5)']);
});

test('a newer ballot supersedes the old configuration (the meta moved on after its restart)', (t) => {
  t.deepEqual(diffApps(before, [app(1), part(1, 0, 6, 'b:1', ['c:1']), before[2]!]), []);
});

test('a ballot going back, or a primary lost, is reported', (t) => {
  t.deepEqual(diffApps(before, [app(1), part(1, 0, 4, 'a:1', ['b:1', 'c:1']), before[2]!]), ['partition 1.0 went back from ballot 5 to 4']);
  t.deepEqual(diffApps(before, [app(1), part(1, 0, 6, 'invalid address', []), before[2]!]), ['partition 1.0 lost its primary (was a:1)']);
});

test('partitions of a table dropped meanwhile may lose their primary', (t) => {
  t.deepEqual(diffApps(before, [app(1, 'app_status::AS_DROPPED'), part(1, 0, 6, 'invalid address', []), part(1, 1, 8, 'invalid address', [])]), ['app node apps/1 differs']);
});

test('an app node whose bytes changed is reported', (t) => {
  t.deepEqual(diffApps(before, [node('/1', { status: 'app_status::AS_AVAILABLE', app_name: 'renamed' }), before[1]!, before[2]!]), ['app node apps/1 differs']);
});
