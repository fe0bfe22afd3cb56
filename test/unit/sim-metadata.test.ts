import test from 'ava';
import { applyAction, cure, GuardianView } from '../../sim/meta/guardian';
import { parseSeqPath } from '../../sim/meta/leader-lock';
import { constructApps, constructPartitions, RecoveryConflict } from '../../sim/meta/recovery';
import { meanStddev } from '../../sim/meta/server-state';
import { AppInfo, ReplicaInfo, decodeAppInfo, decodePartition, defaultAppInfo, emptyPartition, encodeAppInfo, encodePartition } from '../../sim/common/types';

/** ZooKeeper formats (docs/pegasus-internals.md §2.3) and the pure parts of the meta: lock names, guardian, recovery. */

// docs/pegasus-internals.md §2.3's master example without master's `atomic_idempotent` field (v2.5.0 has 14 fields).
const APP_JSON =
  '{"status":"app_status::AS_AVAILABLE","app_type":"pegasus","app_name":"temp","app_id":2,"partition_count":8,"envs":{},"is_stateful":1,"max_replica_count":3,"expire_second":0,"create_second":1714564800,"drop_second":0,"duplicating":0,"init_partition_count":8,"is_bulk_loading":0}';

const APP: AppInfo = {
  status: 'AS_AVAILABLE',
  app_type: 'pegasus',
  app_name: 'temp',
  app_id: 2,
  partition_count: 8,
  envs: {},
  is_stateful: true,
  max_replica_count: 3,
  expire_second: 0,
  create_second: 1714564800,
  drop_second: 0,
  duplicating: false,
  init_partition_count: 8,
  is_bulk_loading: false,
};

test('app_info is written as Pegasus writes it: compact, fixed order, bools as 1/0, enum strings', (t) => {
  t.is(encodeAppInfo(APP), APP_JSON);
  t.is(APP_JSON.length + ',"atomic_idempotent":0'.length, 299, 'the master example is 299 bytes');
  t.is(encodeAppInfo(APP, 'AS_DROPPED').slice(0, 35), '{"status":"app_status::AS_DROPPED",');
  t.is(encodeAppInfo({ ...APP, envs: { z: '1', a: 'x"y' } }).includes('"envs":{"a":"x\\"y","z":"1"}'), true, 'envs as a sorted map');
  t.deepEqual(decodeAppInfo(APP_JSON), APP);
});

test('app_info decoding tolerates missing fields and true/false, and fails on bad JSON or wrong types', (t) => {
  const old = decodeAppInfo('{"status":"app_status::AS_DROPPED","app_type":"pegasus","app_name":"x","app_id":3,"partition_count":4,"is_stateful":true}');
  t.is(old?.status, 'AS_DROPPED');
  t.is(old?.init_partition_count, -1);
  t.is(old?.is_stateful, true);
  t.is(decodeAppInfo('{"status":'), undefined);
  t.is(decodeAppInfo('{"app_id":"2"}'), undefined);
  t.is(decodeAppInfo('{"status":"app_status::AS_WHATEVER"}'), undefined);
  t.is(decodeAppInfo('[]'), undefined);
});

test('partition_configuration: v2.5.0 fields, "invalid address" when unset', (t) => {
  const p = emptyPartition(2, 5, 3);
  t.is(encodePartition(p), '{"pid":"2.5","ballot":0,"max_replica_count":3,"primary":"invalid address","secondaries":[],"last_drops":[],"last_committed_decree":0,"partition_flags":0}');
  const full = { ...p, ballot: 5, primary: '10.0.0.11:34801', secondaries: ['10.0.0.12:34801', '10.0.0.13:34801'], last_committed_decree: 12345 };
  t.is(
    encodePartition(full),
    '{"pid":"2.5","ballot":5,"max_replica_count":3,"primary":"10.0.0.11:34801","secondaries":["10.0.0.12:34801","10.0.0.13:34801"],"last_drops":[],"last_committed_decree":12345,"partition_flags":0}',
  );
  t.deepEqual(decodePartition(encodePartition(full)), full);
  t.is(decodePartition('not json'), undefined);
});

test('lock node names: trailing digits after LOCKNODE, anything else is ignored', (t) => {
  t.is(parseSeqPath('LOCKNODE0000000007'), 7);
  t.is(parseSeqPath('xLOCKNODE0000000012'), 12);
  t.is(parseSeqPath('LOCKNODE'), -1);
  t.is(parseSeqPath('lock0000000001'), -1);
  t.is(parseSeqPath('other'), -1);
});

function view(alive: string[], over: Partial<GuardianView> = {}): GuardianView {
  return {
    isAlive: (n) => alive.includes(n),
    aliveNodes: () => [...alive],
    load: () => ({ primaries: 0, total: 0 }),
    dropTime: () => undefined,
    now: 1_000_000,
    replicaAssignDelayMs: 300000,
    ...over,
  };
}

test('guardian: new partition gets a primary, then secondaries, preferring nodes that held it', (t) => {
  const A = '127.0.0.1:1';
  const B = '127.0.0.1:2';
  const C = '127.0.0.1:3';
  let pc = emptyPartition(1, 0, 3);
  const a1 = cure(pc, view([A, B, C]));
  t.deepEqual(a1, { type: 'CT_ASSIGN_PRIMARY', node: A });
  pc = applyAction(pc, a1!);
  t.is(pc.ballot, 1);
  pc = { ...pc, last_drops: [C] };
  t.deepEqual(cure(pc, view([A, B, C])), { type: 'CT_ADD_SECONDARY', node: C }, 'a node in last_drops first');
  pc = applyAction(pc, { type: 'CT_ADD_SECONDARY', node: C });
  t.deepEqual(pc.last_drops, []);
  t.deepEqual(cure(pc, view([A, B, C])), { type: 'CT_ADD_SECONDARY', node: B });
  pc = applyAction(pc, { type: 'CT_ADD_SECONDARY', node: B });
  t.is(cure(pc, view([A, B, C])), undefined, 'healthy');
  // The primary dies: downgrade, then a secondary is upgraded.
  pc = applyAction(pc, { type: 'CT_DOWNGRADE_TO_INACTIVE', node: A });
  t.is(pc.primary, 'invalid address');
  t.deepEqual(pc.last_drops, [A]);
  t.deepEqual(cure(pc, view([B, C])), { type: 'CT_UPGRADE_TO_PRIMARY', node: C });
  pc = applyAction(pc, { type: 'CT_UPGRADE_TO_PRIMARY', node: C });
  t.is(cure(pc, view([B, C], { dropTime: () => 999_000 })), undefined, 'waits replica_assign_delay_ms_for_dropouts for the dropped node');
  t.throws(() => applyAction(pc, { type: 'CT_DOWNGRADE_TO_INACTIVE', node: A }), { message: /cannot be in drops set/ });
  const dropped = applyAction(pc, { type: 'CT_DROP_PARTITION', node: C });
  t.is(dropped.partition_flags, 1);
  t.deepEqual(dropped.secondaries, []);
  t.is(cure(dropped, view([B, C])), undefined);
});

function appInfo(id: number, name: string, extra: Partial<AppInfo> = {}): AppInfo {
  return { ...defaultAppInfo(), status: 'AS_AVAILABLE', app_type: 'pegasus', app_id: id, app_name: name, partition_count: 2, max_replica_count: 3, is_stateful: true, ...extra };
}

function rep(pid: string, ballot: number, lcd = 0, lpd = lcd): ReplicaInfo {
  return { pid, ballot, status: 'PS_INACTIVE', last_committed_decree: lcd, last_prepared_decree: lpd, last_durable_decree: lcd, app_type: 'pegasus', disk_tag: 'default' };
}

test('recovery: placeholders for missing ids, renames of duplicate names, the best replica as primary', (t) => {
  const { apps, hint } = constructApps(
    [
      { node: 'n1', value: [appInfo(1, 'a'), appInfo(3, 'a')] },
      { node: 'n2', value: [appInfo(1, 'a', { duplicating: true })] },
    ],
    1700000000,
  );
  t.deepEqual([...apps.keys()].sort(), [1, 2, 3]);
  t.is(apps.get(2)!.info.app_name, '__drop_holder__2');
  t.is(apps.get(2)!.info.status, 'AS_DROPPING');
  t.is(apps.get(3)!.info.app_name, 'a', 'the highest id keeps the name');
  t.is(apps.get(1)!.info.app_name, 'a__1');
  t.is(apps.get(1)!.info.status, 'AS_CREATING');
  t.is(hint, "WARNING: app(1)'s old name(a) is conflict with others, rename it to (a__1)\n");

  const r = constructPartitions(
    apps,
    [
      { node: 'n1', value: [rep('1.0', 5, 10, 11), rep('1.1', 4), rep('3.0', 2), rep('3.1', 2)] },
      { node: 'n2', value: [rep('1.0', 5, 10, 10), rep('1.1', 5), rep('3.0', 2)] },
      { node: 'n3', value: [rep('1.0', 3)] },
    ],
    false,
    0,
  );
  t.true(r.ok);
  const p10 = apps.get(1)!.partitions[0]!;
  t.is(p10.primary, 'n1', 'higher prepared decree wins at equal ballot/committed');
  t.is(p10.ballot, 5);
  t.deepEqual(p10.last_drops, ['n3', 'n2']);
  t.deepEqual(p10.secondaries, [], 'no secondaries: the guardian adds them later');
  t.is(apps.get(1)!.partitions[1]!.primary, 'n2');
  t.is(r.hint, 'WARNING: partition(1.1) only collects 2/3 of replicas, may lost data\nWARNING: partition(3.0) only collects 2/3 of replicas, may lost data\nWARNING: partition(3.1) only collects 1/3 of replicas, may lost data\n');
  t.is(apps.get(2)!.partitions[0]!.primary, 'invalid address', 'placeholders are not constructed');
});

test('recovery: a partition with no replica fails unless skip_lost_partitions; conflicting app infos abort', (t) => {
  const build = () => constructApps([{ node: 'n1', value: [appInfo(1, 'a')] }], 0).apps;
  const apps = build();
  const r = constructPartitions(apps, [{ node: 'n1', value: [rep('1.0', 1)] }], false, 1);
  t.false(r.ok);
  t.regex(r.hint, /ERROR: partition\(1\.1\) has no replica collected, you can force recover it by set skip_lost_partitions option\n/);
  const r2 = constructPartitions(build(), [{ node: 'n1', value: [rep('1.0', 1)] }], true, 1);
  t.true(r2.ok);
  t.regex(r2.hint, /WARNING: partition\(1\.1\) has no replica collected, force recover the lost partition to empty\n/);
  t.throws(() => constructApps([{ node: 'n1', value: [appInfo(1, 'a')] }, { node: 'n2', value: [appInfo(1, 'a', { partition_count: 4 })] }], 0), { instanceOf: RecoveryConflict, message: /conflict app info from \(n2\) for id\(1\)/ });
});

test('stddev is utils::mean_stddev, rounded to two decimals', (t) => {
  t.is(meanStddev([1, 1, 2], false), 0.47);
  t.is(meanStddev([4, 4, 4], false), 0);
  t.is(meanStddev([0, 4, 8], true), 4);
});
