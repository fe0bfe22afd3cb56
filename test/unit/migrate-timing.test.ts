import test from 'ava';
import { estimateMs, inactiveWaitMs, TIMING_DEFAULTS, timingFrom } from '../../coordinator/lib/migrate/timing';

test('the wait for inactive replicas comes from the configs: production template gives 32 s, not the script\'s 15 s', (t) => {
  t.is(inactiveWaitMs(TIMING_DEFAULTS), 32000);
  t.is(inactiveWaitMs(timingFrom({})), 32000);
});

test('short test timings shorten the wait through the same keys', (t) => {
  const fast = timingFrom({
    'replication.config_sync_interval_ms': '1000',
    'replication.fd_lease_seconds': '2',
    'replication.fd_grace_seconds': '3',
    'replication.fd_beacon_interval_seconds': '1',
    'replication.fd_check_interval_seconds': '1',
  });
  t.deepEqual(fast, { configSyncIntervalMs: 1000, fdLeaseSeconds: 2, fdGraceSeconds: 3, fdBeaconIntervalSeconds: 1, fdCheckIntervalSeconds: 1 });
  t.is(inactiveWaitMs(fast), 4000);
});

test('the longest of lease + beacon, grace and config sync wins', (t) => {
  t.is(inactiveWaitMs({ ...TIMING_DEFAULTS, configSyncIntervalMs: 5000, fdLeaseSeconds: 40 }), 45000);
  t.is(inactiveWaitMs({ ...TIMING_DEFAULTS, configSyncIntervalMs: 90000 }), 92000);
});

test('garbage or missing values fall back to the defaults', (t) => {
  t.is(timingFrom({ 'replication.fd_lease_seconds': 'twenty', 'replication.config_sync_interval_ms': null }).fdLeaseSeconds, 20);
  t.is(timingFrom({ 'replication.config_sync_interval_ms': ' ' }).configSyncIntervalMs, 30000);
});

test('estimates grow with the tree and the waits', (t) => {
  t.true(estimateMs('copy', 100000, 0, 10000) > estimateMs('copy', 1000, 0, 10000));
  t.true(estimateMs('recover', 1000, 32000, 10000) > 32000);
});
