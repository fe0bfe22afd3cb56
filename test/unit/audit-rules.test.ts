/** The audit's rules on hand-made inputs: each finding, merging across hosts, and what is not a finding. */
import test from 'ava';
import { clusterFindings, ClusterInput, Expectation, fleetFindings, isUnder, lockRootOf, RunningView } from '../../coordinator/lib/audit';
import { extractMetaConfig, MetaConfig, MIGRATION_KEYS } from '../../coordinator/lib/config-edit';
import type { HostOutcome } from '../../coordinator/lib/fleet';
import type { MetaHost, PegasusCluster } from '../../coordinator/lib/inventory';

const meta = (name: string, address: string): MetaHost => ({
  name,
  address: address.split(':')[0]!,
  metaPort: Number(address.split(':')[1]),
  metaAddress: address,
  agentPort: 7443,
  agentAddress: `${address.split(':')[0]}:7443`,
  metaConfig: '/etc/pegasus/config.ini',
  metaService: 'pegasus-meta',
  tls: { caFile: '/ca', certFile: '/c', keyFile: '/k', serverName: 'x' },
});

const CLUSTER: PegasusCluster = {
  name: 'c1',
  metas: [meta('m1', '10.0.0.1:34601'), meta('m2', '10.0.0.2:34601')],
  metaServers: '10.0.0.1:34601,10.0.0.2:34601',
  shell: { template: 'x', argv: ['x'] },
};

interface Conf {
  hosts?: string | null;
  serverList?: string | null;
  root?: string | null;
  lock?: string | null;
  recover?: string;
  level?: string;
  extra?: string;
  extraMeta?: string;
}

function config(c: Conf = {}): string {
  const line = (k: string, v: string | null | undefined, d: string): string => (v === null ? '' : `  ${k} = ${v ?? d}\n`);
  return (
    '[meta_server]\n' +
    line('server_list', c.serverList, '10.0.0.1:34601,10.0.0.2:34601') +
    line('cluster_root', c.root, '/pegasus/c1') +
    line('distributed_lock_service_parameters', c.lock, '/pegasus/c1/lock') +
    `  recover_from_replica_server = ${c.recover ?? 'false'}\n` +
    `  meta_function_level_on_start = ${c.level ?? 'steady'}\n` +
    (c.extraMeta ?? '') +
    '\n[zookeeper]\n' +
    line('hosts_list', c.hosts, 'zk1:2181,zk2:2181') +
    '  timeout_ms = 10000\n' +
    (c.extra ?? '')
  );
}

function ok(host: string, text: string, keys = MIGRATION_KEYS): HostOutcome<MetaConfig> {
  return { cluster: 'c1', host, agent: `${host}:7443`, status: 'ok', durationMs: 1, retries: 0, value: { path: '/etc/pegasus/config.ini', sha256: 'x', size: text.length, ...extractMetaConfig(text, keys) } };
}

const RUNNING: RunningView = { leader: '10.0.0.1:34601', metaServers: ['10.0.0.1:34601', '10.0.0.2:34601'], zookeeperHosts: 'zk2:2181,zk1:2181', zookeeperRoot: '/pegasus/c1' };

function audit(configs: HostOutcome<MetaConfig>[], o: { running?: RunningView | null; expect?: Expectation[]; cluster?: PegasusCluster; resolved?: Map<string, string[]> } = {}) {
  const input: ClusterInput = { cluster: o.cluster ?? CLUSTER, configs, running: o.running === undefined ? RUNNING : o.running, ...(o.running === null ? { runningError: 'ERR_TIMEOUT' } : {}) };
  return clusterFindings(input, { expect: o.expect ?? [], resolved: o.resolved ?? new Map() });
}

const codes = (fs: { code: string; hosts: string[] }[]): string[] => fs.map((f) => `${f.code}:${f.hosts.join(',')}`).sort();

test('a correct cluster has no finding (lists compare as sets, roots normalised)', (t) => {
  const f = audit([ok('m1', config()), ok('m2', config({ serverList: '10.0.0.2:34601, 10.0.0.1:34601', root: '/pegasus//c1/', hosts: 'ZK2:2181,zk1:2181' }))]);
  t.deepEqual(f, []);
});

test('each known mistake, one finding per mistake, merged across the hosts that share it', (t) => {
  const bad = config({ recover: 'TRUE', extraMeta: '  hosts_list = zk9:2181\n', lock: '/locks/c1', root: '/pegasus/other' });
  const f = audit([ok('m1', bad), ok('m2', bad)], { running: { ...RUNNING, zookeeperRoot: '/pegasus/other' } });
  t.deepEqual(codes(f), [
    'cluster-root-name-mismatch:m1,m2',
    'hosts-list-in-meta-server:m1,m2',
    'lock-root-outside-cluster-root:m1,m2',
    'recover-flag-on:m1,m2',
  ]);
  t.regex(f.find((x) => x.code === 'hosts-list-in-meta-server')!.message, /line 7\), where Pegasus never reads it; the meta uses \[zookeeper\] hosts_list = "zk1:2181,zk2:2181", not "zk9:2181"/);
  t.true(f.findIndex((x) => x.severity === 'warning') > f.findLastIndex((x) => x.severity === 'error'), 'errors first');
});

test('edited but not applied, and drift, against the running cluster', (t) => {
  const f = audit([ok('m1', config({ hosts: 'zk7:2181' })), ok('m2', config())]);
  t.deepEqual(codes(f), ['drift:', 'not-applied:m1']);
  const drift = f.find((x) => x.code === 'drift')!;
  t.is(drift.severity, 'error');
  t.regex(drift.message, /m1: "zk7:2181"; m2: "zk1:2181,zk2:2181"/);
  const root = audit([ok('m1', config({ root: '/pegasus/c1-new' }))]);
  t.true(root.some((x) => x.code === 'not-applied' && /cluster_root = \/pegasus\/c1-new but the running cluster/.test(x.message)));
  // Without a running view nothing is compared, and that is said.
  t.deepEqual(codes(audit([ok('m1', config({ hosts: 'zk7:2181' }))], { running: null })), ['cluster-unreachable:']);
  // Non-critical keys drift as warnings.
  const lvl = audit([ok('m1', config({ level: 'lively' })), ok('m2', config())]);
  t.deepEqual(lvl.map((x) => [x.code, x.key, x.severity]), [['drift', 'meta_server.meta_function_level_on_start', 'warning']]);
});

test('server_list against the inventory, with names resolved', (t) => {
  const f = audit([ok('m1', config({ serverList: '10.0.0.1:34601,10.0.0.3:34601' }))]);
  t.deepEqual(codes(f), ['server-list-mismatch:m1']);
  t.is(f[0]!.message, 'server_list lists 10.0.0.3:34601, not in the inventory and lacks 10.0.0.2:34601 from the inventory');
  const named: PegasusCluster = { ...CLUSTER, metas: [meta('m1', 'meta1.example.com:34601'), meta('m2', 'meta2.example.com:34601')] };
  const resolved = new Map([['meta1.example.com', ['meta1.example.com', '10.0.0.1']], ['meta2.example.com', ['meta2.example.com', '10.0.0.2']]]);
  t.deepEqual(audit([ok('m1', config())], { cluster: named, resolved }), []);
  t.deepEqual(codes(audit([ok('m1', config())], { cluster: named })), ['server-list-mismatch:m1'], 'unresolved names do not match IPs');
});

test('missing keys, values Pegasus rejects, duplicates, refused lines and placeholders', (t) => {
  const f = audit([ok('m1', config({ hosts: null, lock: null, level: 'frozen', extra: '  timeout_ms = 5\n' }) + '[zookeeper]\n')], { running: null });
  t.deepEqual(codes(f), ['cluster-unreachable:', 'duplicate-key:m1', 'invalid-value:m1', 'key-missing:m1', 'key-missing:m1', 'refused-line:m1']);
  t.regex(f.find((x) => x.code === 'invalid-value')!.message, /"frozen" is not one of/);
  t.regex(f.find((x) => x.code === 'duplicate-key')!.message, /zookeeper\.timeout_ms is defined 2 times \(lines 8, 9\); Pegasus uses the first/);
  const p = audit([ok('m1', config({ root: '/pegasus/%{cluster.name}', lock: '/pegasus/%{cluster.name}/lock' }))]);
  t.deepEqual(codes(p), ['placeholder:m1'], 'placeholders are reported, and the checks they make impossible are skipped');
  const noRoot = audit([ok('m1', config({ root: null, lock: '/lock' }))], { running: { ...RUNNING, zookeeperRoot: '/' } });
  t.deepEqual(codes(noRoot), ['key-missing:m1']);
  t.is(noRoot[0]!.severity, 'warning');
});

test('unreachable and unreadable hosts are findings; --expect compares lists as sets', (t) => {
  const f = audit(
    [
      ok('m1', config()),
      { cluster: 'c1', host: 'm2', agent: 'm2:7443', status: 'unreachable', durationMs: 1, retries: 0, error: { code: 'UNAVAILABLE', message: 'connect ECONNREFUSED' } },
      { cluster: 'c1', host: 'm3', agent: 'm3:7443', status: 'failed', durationMs: 1, retries: 0, error: { code: 'NOT_FOUND', message: 'no such file' } },
    ],
    { expect: [{ section: 'zookeeper', key: 'hosts_list', value: 'zk2:2181,zk1:2181' }, { section: 'zookeeper', key: 'timeout_ms', value: '30000' }] },
  );
  t.deepEqual(codes(f), ['agent-unreachable:m2', 'config-unreadable:m3', 'expect-mismatch:m1']);
  t.regex(f.find((x) => x.code === 'expect-mismatch')!.message, /zookeeper\.timeout_ms is "10000", expected "30000"/);
});

test('clusters sharing a root or a lock root on one ensemble', (t) => {
  const input = (name: string, text: string): ClusterInput => ({ cluster: { ...CLUSTER, name }, configs: [{ ...ok('m1', text), cluster: name }], running: null });
  const f = fleetFindings([input('c1', config()), input('c2', config({ hosts: 'zk2:2181,zk1:2181' })), input('c3', config({ hosts: 'zk3:2181' }))]);
  t.deepEqual(f.map((x) => [x.cluster, x.key]).sort(), [
    ['c1', 'meta_server.cluster_root'],
    ['c1', 'meta_server.distributed_lock_service_parameters'],
    ['c2', 'meta_server.cluster_root'],
    ['c2', 'meta_server.distributed_lock_service_parameters'],
  ]);
  t.regex(f[0]!.message, /also used by cluster c2/);
});

test('lock root helpers', (t) => {
  t.is(lockRootOf('  /pegasus/c1/lock  extra-arg'), '/pegasus/c1/lock');
  t.true(isUnder('/pegasus/c1/lock', '/pegasus/c1'));
  t.true(isUnder('/pegasus/c1', '/pegasus/c1'));
  t.false(isUnder('/pegasus/c10/lock', '/pegasus/c1'));
  t.true(isUnder('/anything', '/'));
});
