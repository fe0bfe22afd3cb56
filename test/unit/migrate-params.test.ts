import test from 'ava';
import { isUsageError } from '../../shared/errors';
import { judgedNode, lossesOf, runningJobsOf } from '../../coordinator/lib/migrate/losses';
import { parseDuration } from '../../coordinator/commands/duration';
import { PARAM_DEFAULTS, resolveParams } from '../../coordinator/lib/migrate/params';

const base = { inventory: '/i.yml', cluster: 'c1', to: 'zk1:2181,zk2:2181', method: 'copy' as const };

test('defaults are applied and documented values kept', (t) => {
  const p = resolveParams(base);
  t.like(p, { ...base, autoRollback: true, dryRun: false, onSourceChange: 'recopy', maxCopyAttempts: PARAM_DEFAULTS.maxCopyAttempts });
  t.is(p.inactiveWaitMs, undefined);
  t.is(resolveParams({ ...base, autoRollback: false, inactiveWaitMs: undefined }).autoRollback, false);
});

test('bad input is refused with a message naming the option', (t) => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ method: 'zkcopy' }, /--method must be one of copy, recover/],
    [{ to: '' }, /--to is required/],
    [{ to: 'zk1:2181/pegasus/c1' }, /give the new ensemble's hosts only/],
    [{ to: 'zk1:notaport' }, /--to "zk1:notaport": .* no valid port/],
    [{ leaderTimeoutMs: 0 }, /leaderTimeoutMs must be a positive number/],
    [{ onSourceChange: 'ignore' }, /onSourceChange must be recopy or abort/],
  ];
  for (const [patch, re] of bad) {
    const e = t.throws(() => resolveParams({ ...base, ...patch } as never));
    t.true(isUsageError(e));
    t.regex(e!.message, re);
  }
});

test('durations', (t) => {
  t.is(parseDuration('90s', '--x'), 90000);
  t.is(parseDuration('5m', '--x'), 300000);
  t.is(parseDuration('1500ms', '--x'), 1500);
  t.is(parseDuration('2', '--x'), 2000);
  t.throws(() => parseDuration('soon', '--leader-timeout'), { message: /--leader-timeout "soon" is not a duration/ });
});

test('what recovery cannot restore is read from the tree', (t) => {
  const n = (rel: string, data = ''): { rel: string; data: Buffer; acl: [] } => ({ rel, data: Buffer.from(data), acl: [] });
  const l = lossesOf([
    n(''),
    n('/apps', 'unlock'),
    n('/apps/1', JSON.stringify({ status: 'app_status::AS_AVAILABLE', app_name: 'live' })),
    n('/apps/2', JSON.stringify({ status: 'app_status::AS_DROPPED', app_name: 'gone' })),
    n('/apps/1/duplication'),
    n('/apps/1/duplication/1700000000'),
    n('/apps/1/duplication/1700000000/0', '42'),
    n('/backup'),
    n('/backup/daily'),
    n('/backup/daily/1700000000'),
    n('/bulk_load'),
  ]);
  t.like(l, { duplications: 1, backupPolicies: 1, bulkLoads: 0, droppedTables: ['gone (id 2)'], rangerPolicies: false });
  t.is(l.lines.length, 3);
  t.deepEqual(lossesOf([n(''), n('/apps', 'unlock')]).lines, []);
});

test('the preflight keeps only the nodes lossesOf and runningJobsOf judge (judgedNode), and they judge the same', (t) => {
  const n = (rel: string, data = ''): { rel: string; data: Buffer; acl: [] } => ({ rel, data: Buffer.from(data), acl: [] });
  const all = [
    n(''),
    n('/apps', 'unlock'),
    n('/apps/1', JSON.stringify({ status: 'app_status::AS_AVAILABLE', app_name: 'live' })),
    n('/apps/1/0', '{"pid":"1.0"}'),
    n('/apps/1/1', '{"pid":"1.1"}'),
    n('/apps/2', JSON.stringify({ status: 'app_status::AS_DROPPED', app_name: 'gone' })),
    n('/apps/2/0', '{"pid":"2.0"}'),
    n('/apps/1/duplication'),
    n('/apps/1/duplication/1700000000', JSON.stringify({ status: 'DS_LOG' })),
    n('/apps/1/duplication/1700000000/0', '42'),
    n('/backup'),
    n('/backup/daily', JSON.stringify({ is_disable: false })),
    n('/backup/daily/1700000000'),
    n('/bulk_load'),
    n('/bulk_load/3', '{}'),
    n('/ranger_policy_meta_root'),
  ];
  const kept = all.filter((x) => judgedNode(x.rel));
  t.deepEqual(
    kept.map((x) => x.rel),
    ['/apps/1', '/apps/2', '/apps/1/duplication/1700000000', '/backup/daily', '/bulk_load/3', '/ranger_policy_meta_root'],
  );
  t.deepEqual(lossesOf(kept), lossesOf(all));
  t.deepEqual(runningJobsOf(kept), runningJobsOf(all));
  t.is(runningJobsOf(all).length, 3);
});
