/** Key paths, assignments, known-key validation and config reduction, on the real Pegasus config.ini. */
import test from 'ava';
import * as fs from 'node:fs';
import {
  canonicalValue,
  extractMetaConfig,
  invalidValueReason,
  MIGRATION_KEYS,
  parseAssignment,
  parseKeyPath,
  sameValue,
  validateConfigEdits,
} from '../../coordinator/lib/config-edit';
import { PEGASUS_CONFIG_FIXTURE } from '../harness/fixtures';

const FIXTURE = PEGASUS_CONFIG_FIXTURE;

test('SECTION.KEY splits at the last dot; [SECTION]KEY for sections with dots', (t) => {
  t.deepEqual(parseKeyPath('zookeeper.hosts_list'), { section: 'zookeeper', key: 'hosts_list' });
  t.deepEqual(parseKeyPath('meta_server.apps.stat.partition_count'), { section: 'meta_server.apps.stat', key: 'partition_count' });
  t.deepEqual(parseKeyPath('[apps.meta]ports'), { section: 'apps.meta', key: 'ports' });
  t.deepEqual(parseAssignment('zookeeper.hosts_list= zk1:2181,zk2:2181 '), { section: 'zookeeper', key: 'hosts_list', value: 'zk1:2181,zk2:2181' });
  t.deepEqual(parseAssignment('pegasus.server.rocksdb_filter=a=b'), { section: 'pegasus.server', key: 'rocksdb_filter', value: 'a=b' });
  for (const bad of ['hosts_list', '.hosts_list', 'zookeeper.', '[zookeeper]', 'zookeeper.hosts list', 'zoo;keeper.x']) {
    t.throws(() => parseKeyPath(bad), undefined, bad);
  }
  t.throws(() => parseAssignment('zookeeper.hosts_list'), { message: /not SECTION\.KEY=VALUE/ });
});

test('values of known keys are checked; placeholders and unknown keys pass', (t) => {
  const k = (s: string) => parseKeyPath(s);
  t.is(invalidValueReason(k('zookeeper.hosts_list'), 'zk1:2181,zk2:2181'), undefined);
  t.regex(invalidValueReason(k('zookeeper.hosts_list'), 'zk1')!, /not host:port/);
  t.regex(invalidValueReason(k('meta_server.server_list'), '10.0.0.1:99999')!, /out of range/);
  t.regex(invalidValueReason(k('zookeeper.timeout_ms'), '0')!, /positive number/);
  t.regex(invalidValueReason(k('meta_server.cluster_root'), 'pegasus/c1')!, /must start with \//);
  t.regex(invalidValueReason(k('meta_server.distributed_lock_service_parameters'), 'lock')!, /lock root/);
  t.regex(invalidValueReason(k('meta_server.recover_from_replica_server'), 'yes')!, /true or false/);
  t.is(invalidValueReason(k('meta_server.recover_from_replica_server'), 'False'), undefined);
  t.is(invalidValueReason(k('zookeeper.hosts_list'), '%{zk.server.list}'), undefined);
  t.is(invalidValueReason(k('pegasus.server.anything'), 'whatever'), undefined);
});

test('comparison: lists as sets, roots normalised, booleans case-insensitive', (t) => {
  const k = (s: string) => parseKeyPath(s);
  t.true(sameValue(k('zookeeper.hosts_list'), 'zk1:2181, zk2:2181', 'ZK2:2181,zk1:2181'));
  t.false(sameValue(k('zookeeper.hosts_list'), 'zk1:2181', 'zk1:2182'));
  t.true(sameValue(k('meta_server.cluster_root'), '/pegasus//c1/', '/pegasus/c1'));
  t.is(canonicalValue(k('meta_server.distributed_lock_service_parameters'), '/a/b/ x'), '/a/b');
  t.true(sameValue(k('meta_server.recover_from_replica_server'), 'FALSE', 'false'));
  t.false(sameValue(k('zookeeper.timeout_ms'), null, '10000'));
  t.true(sameValue(k('zookeeper.timeout_ms'), null, null));
});

test('edits are validated before anything is sent', (t) => {
  t.notThrows(() => validateConfigEdits([{ section: 'zookeeper', key: 'hosts_list', value: 'zk1:2181' }, { section: 'meta_server', key: 'hosts_list', absent: true }]));
  t.throws(() => validateConfigEdits([]), { message: /no edit/ });
  t.throws(() => validateConfigEdits([{ section: 'meta_server', key: 'hosts_list', value: 'zk1:2181' }]), { message: /set zookeeper\.hosts_list instead/ });
  t.throws(() => validateConfigEdits([{ section: 'zookeeper', key: 'hosts_list', value: 'a:1\nb:2' }]), { message: /line break/ });
  t.throws(() => validateConfigEdits([{ section: 'zookeeper', key: 'timeout_ms', value: 'soon' }]), { message: /zookeeper\.timeout_ms: "soon"/ });
});

test('the real Pegasus config.ini reduces to the migration keys, with its placeholders listed', (t) => {
  const c = extractMetaConfig(fs.readFileSync(FIXTURE, 'utf8'), MIGRATION_KEYS);
  t.deepEqual(c.values, {
    'zookeeper.hosts_list': '%{zk.server.list}',
    'zookeeper.timeout_ms': '10000',
    'meta_server.server_list': '%{meta.server.list}',
    'meta_server.cluster_root': '/pegasus/%{cluster.name}',
    'meta_server.distributed_lock_service_parameters': '/pegasus/%{cluster.name}/lock',
    'meta_server.recover_from_replica_server': 'false',
    'meta_server.meta_function_level_on_start': 'steady',
  });
  t.deepEqual(c.misplaced, []);
  t.deepEqual(c.problems, []);
  t.true(c.placeholders.includes('%{cluster.name}'));
  const wrong = extractMetaConfig('[meta_server]\n  hosts_list = zk9:2181 ; the website said so\n  cluster_root = /a\n  cluster_root = /b\n', MIGRATION_KEYS);
  t.deepEqual(wrong.misplaced, [{ key: 'meta_server.hosts_list', value: 'zk9:2181', line: 2 }]);
  t.is(wrong.values['meta_server.cluster_root'], '/a', 'Pegasus uses the first definition');
  t.deepEqual(wrong.duplicates, [{ key: 'meta_server.cluster_root', lines: [3, 4] }]);
});
