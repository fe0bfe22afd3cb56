import test from 'ava';
import { hasCode, InvalidInputError, isInvalidInput, ShellCommandError } from '../../shared/errors';
import { parseClusterInfo } from '../../coordinator/lib/shell';
import { sample } from './shell-fixtures';

const V25 = {
  format: 'text',
  metaServers: ['10.0.0.1:34601', '10.0.0.2:34601', '10.0.0.3:34601'],
  primaryMetaServer: '10.0.0.1:34601',
  zookeeperHosts: 'zk1:2181,zk2:2181,zk3:2181',
  zookeeperRoot: '/pegasus/mycluster',
  metaFunctionLevel: 'steady',
  balanceOperationCount: { movePri: 0, copyPri: 0, copySec: 0, total: 0 },
  primaryReplicaCountStddev: 0.47,
  totalReplicaCountStddev: 0,
  extra: {},
  clusterName: 'mycluster',
};

test('v2.5.0 table from docs/pegasus-internals.md §4.3, with its padding and trailing spaces', (t) => {
  t.deepEqual(parseClusterInfo(sample('cluster_info.v2.5.txt')), V25 as never);
});

test('the banner before the table is skipped', (t) => {
  t.deepEqual(parseClusterInfo(sample('cluster_info.v2.5.session.txt')), V25 as never);
});

test('v2.5.0 -j JSON gives the same values', (t) => {
  t.deepEqual(parseClusterInfo(sample('cluster_info.v2.5.json')), { ...V25, format: 'json' } as never);
});

test('master: host:port addresses and a multi-line JSON balance_operation_count', (t) => {
  const info = parseClusterInfo(sample('cluster_info.master.txt'));
  t.is(info.format, 'text');
  t.deepEqual(info.metaServers, ['meta1.example.com:34601', 'meta2.example.com:34601', 'meta3.example.com:34601']);
  t.is(info.primaryMetaServer, 'meta2.example.com:34601');
  t.is(info.metaFunctionLevel, 'lively');
  t.deepEqual(info.balanceOperationCount, { movePri: 1, copyPri: 0, copySec: 2, total: 3 });
  t.is(info.totalReplicaCountStddev, 1.25);
  t.is(info.clusterName, 'mycluster');
});

test('master -j: balance_operation_count is a string holding JSON', (t) => {
  const info = parseClusterInfo(sample('cluster_info.master.json'));
  t.is(info.format, 'json');
  t.deepEqual(info.balanceOperationCount, { movePri: 1, copyPri: 0, copySec: 2, total: 3 });
});

test('an older shell without cluster_name leaves it undefined rather than inventing one', (t) => {
  const info = parseClusterInfo(sample('cluster_info.freezed-old.txt'));
  t.is(info.clusterName, undefined);
  t.is(info.metaFunctionLevel, 'freezed');
});

test('an unknown key is kept in extra, not dropped', (t) => {
  const text = sample('cluster_info.v2.5.txt') + 'brand_new_key                 : 42\n';
  t.deepEqual(parseClusterInfo(text).extra, { brand_new_key: '42' });
});

for (const [file, code, appCode] of [
  ['cluster_info.error-under-recovery.txt', 'ERR_UNDER_RECOVERY', 'PRECONDITION'],
  ['cluster_info.error-timeout.txt', 'ERR_TIMEOUT', 'UNAVAILABLE'],
  ['cluster_info.error-unknown-code.txt', 'ERR_SOMETHING_NEW', 'INTERNAL'],
] as const) {
  test(`${file}: a ShellCommandError naming the command and ${code}`, (t) => {
    const err = t.throws(() => parseClusterInfo(sample(file)), { instanceOf: ShellCommandError }) as ShellCommandError;
    t.is(err.command, 'cluster_info');
    t.is(err.errorCode, code);
    t.true(hasCode(err, appCode));
    t.regex(err.message, new RegExp(`cluster_info.*${code}`));
  });
}

test('a truncated table is an error naming the first missing key', (t) => {
  const err = t.throws(() => parseClusterInfo(sample('cluster_info.truncated.txt')), { instanceOf: InvalidInputError });
  t.regex(err!.message, /meta_function_level is missing/);
});

test('a multi-line value cut short is an error', (t) => {
  const err = t.throws(() => parseClusterInfo(sample('cluster_info.truncated-master.txt')), { instanceOf: InvalidInputError });
  t.regex(err!.message, /balance_operation_count/);
});

test('a line the parser does not understand is an error quoting it', (t) => {
  const err = t.throws(() => parseClusterInfo(sample('cluster_info.garbage-line.txt')));
  t.true(isInvalidInput(err));
  t.regex(err!.message, /line 11 "W2024-05-01/);
});

test('a bad level or a bad address is an error, not a default', (t) => {
  t.throws(() => parseClusterInfo(sample('cluster_info.v2.5.txt').replace(': steady ', ': wobbly ')), { message: /meta_function_level "wobbly"/ });
  t.throws(() => parseClusterInfo(sample('cluster_info.v2.5.txt').replace(': 10.0.0.1:34601 ', ': 10.0.0.1      ')), { message: /primary_meta_server "10.0.0.1" is not host:port/ });
  t.throws(() => parseClusterInfo(sample('cluster_info.v2.5.txt').replace('total=0', 'total=x')), { message: /balance_operation_count/ });
});

test('empty output and truncated JSON are errors', (t) => {
  t.throws(() => parseClusterInfo(''), { instanceOf: InvalidInputError });
  t.throws(() => parseClusterInfo(sample('cluster_info.v2.5.json').slice(0, 120)), { message: /malformed JSON/ });
});
