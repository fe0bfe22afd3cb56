import test from 'ava';
import { InvalidInputError, ShellCommandError } from '../../shared/errors';
import { parseListApps } from '../../coordinator/lib/shell';
import { sample } from './shell-fixtures';

test('ls -d on master (docs/pegasus-internals.md §4.4 sample): atomic_idempotent, health and summary', (t) => {
  const r = parseListApps(sample('ls-d.master.txt'));
  t.is(r.format, 'text');
  t.deepEqual(r.apps, [
    {
      appId: 1,
      status: 'AVAILABLE',
      appName: 'temp',
      appType: 'pegasus',
      partitionCount: 8,
      replicaCount: 3,
      isStateful: true,
      createTime: '2024-05-01_12:00:00',
      dropTime: null,
      dropExpire: null,
      envsCount: 0,
      atomicIdempotent: false,
      extra: {},
    },
  ]);
  t.deepEqual(r.health, [{ appId: 1, appName: 'temp', partitionCount: 8, fullyHealthy: 8, unhealthy: 0, writeUnhealthy: 0, readUnhealthy: 0 }]);
  t.deepEqual(r.summary, { totalAppCount: 1, fullyHealthyAppCount: 1, unhealthyAppCount: 0, writeUnhealthyAppCount: 0, readUnhealthyAppCount: 0 });
});

test('ls -d on v2.5.0: no atomic_idempotent column; unhealthy tables counted', (t) => {
  const r = parseListApps(sample('ls-d.v2.5.txt'));
  t.is(r.apps.length, 3);
  t.false('atomicIdempotent' in r.apps[0]!);
  t.deepEqual(
    r.health!.map((h) => [h.appName, h.unhealthy]),
    [['temp', 0], ['usertable', 3], ['stat', 1]],
  );
  t.deepEqual(r.summary, { totalAppCount: 3, fullyHealthyAppCount: 1, unhealthyAppCount: 2, writeUnhealthyAppCount: 2, readUnhealthyAppCount: 1 });
});

test('ls without -d has no health table and a one-line summary', (t) => {
  const r = parseListApps(sample('ls.v2.5.txt'));
  t.is(r.health, undefined);
  t.deepEqual(r.summary, { totalAppCount: 3 });
});

test('ls -a lists DROPPED tables with drop times; total_app_count counts AVAILABLE only', (t) => {
  const r = parseListApps(sample('ls-a.v2.5.txt'));
  t.deepEqual(
    r.apps.map((a) => [a.appId, a.status, a.dropTime, a.dropExpire]),
    [
      [1, 'AVAILABLE', null, null],
      [2, 'AVAILABLE', null, null],
      [3, 'DROPPED', '2024-04-30_10:00:00', '2024-05-07_10:00:00'],
      [4, 'DROPPED', null, null],
      [5, 'AVAILABLE', null, null],
    ],
  );
  t.is(r.summary.totalAppCount, 3);
});

test('ls -d with no table: a header-only general_info and no health table', (t) => {
  const r = parseListApps(sample('ls.empty.v2.5.txt'));
  t.deepEqual(r.apps, []);
  t.is(r.health, undefined);
  t.deepEqual(r.summary, { totalAppCount: 0 });
});

test('ls -d -j (v2.5.0 and master) gives the same as the table', (t) => {
  const text = parseListApps(sample('ls-d.v2.5.txt'));
  const json = parseListApps(sample('ls-d.v2.5.json'));
  t.is(json.format, 'json');
  t.deepEqual({ ...json, format: 'text' }, text);
  const m = parseListApps(sample('ls-d.master.json'));
  t.deepEqual({ ...m, format: 'text' }, parseListApps(sample('ls-d.master.txt')));
});

test('list apps failures are ShellCommandErrors, also with master\'s transport suffix', (t) => {
  const a = t.throws(() => parseListApps(sample('ls.error-under-recovery.txt')), { instanceOf: ShellCommandError }) as ShellCommandError;
  t.is(a.errorCode, 'ERR_UNDER_RECOVERY');
  t.is(a.command, 'ls');
  const b = t.throws(() => parseListApps(sample('ls.error-master-transport.txt'), 'ls -d'), { instanceOf: ShellCommandError }) as ShellCommandError;
  t.is(b.errorCode, 'ERR_NETWORK_FAILURE');
  t.is(b.command, 'ls -d');
  t.is(b.code, 'UNAVAILABLE');
});

test('a table cut in the middle is an error, not a shorter list', (t) => {
  t.throws(() => parseListApps(sample('ls-d.truncated.txt')), { instanceOf: InvalidInputError, message: /\[summary\] is missing/ });
  t.throws(() => parseListApps(sample('ls.short-row.txt')), { instanceOf: InvalidInputError, message: /row has \d+ cells, the header has 11/ });
  t.throws(() => parseListApps(sample('ls.truncated-json.txt')), { instanceOf: InvalidInputError, message: /malformed JSON/ });
});

test('counts that disagree with the rows are an error', (t) => {
  const text = sample('ls.v2.5.txt').replace(/total_app_count {2}: 3/, 'total_app_count  : 4');
  t.throws(() => parseListApps(text), { message: /total_app_count is 4 but \[general_info\] lists 3/ });
  const noRow = sample('ls-d.v2.5.txt').replace(/^5 +stat .*\n/m, '');
  t.throws(() => parseListApps(noRow), { message: /\[healthy_info\] has 2 rows for 3 AVAILABLE/ });
});

test('unknown statuses, tables and summary keys are errors', (t) => {
  t.throws(() => parseListApps(sample('ls.v2.5.txt').replace(/^2( +)AVAILABLE/m, '2$1HIBERNATE')), { message: /status "HIBERNATE"/ });
  t.throws(() => parseListApps(sample('ls.v2.5.txt').replace('[summary]', '[totals]')), { message: /unexpected table \[totals\]/ });
  t.throws(() => parseListApps(sample('ls.v2.5.txt').replace(/(total_app_count.*\n)/, '$1mystery_count    : 1\n')), {
    message: /unexpected summary key mystery_count/,
  });
});
