/**
 * checkHealth and waitHealthy on recorded shell output (test/fixtures/shell-samples, from
 * docs/pegasus-internals.md §4) through an injected process runner: the verdict rules, what the report names,
 * and "could not tell" versus "unhealthy".
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkHealth, parseExpectZk, sameZk, waitHealthy } from '../../coordinator/lib/health';
import type { PegasusCluster } from '../../coordinator/lib/inventory';
import { PegasusShell, RunFn } from '../../coordinator/lib/shell';
import { REPO_ROOT } from '../harness/certs';

const SAMPLES = path.join(REPO_ROOT, 'test', 'fixtures', 'shell-samples');
const sample = (f: string): string => fs.readFileSync(path.join(SAMPLES, f), 'utf8');

const CLUSTER: PegasusCluster = { name: 'mycluster', metas: [], metaServers: '10.0.0.1:34601', shell: { template: 'fake', argv: ['fake'] } };

const HEALTHY_LS = sample('ls-d.v2.5.txt').replace(/^(2 +usertable +64 +)61 +3 +1 +0/m, '$164             0          0                0').replace(/^(5 +stat +4 +)3 +1 +1 +1/m, '$14              0          0                0');

/** A shell whose answers come from a table: command → stdout (or a function of the call count). */
function shell(answers: Record<string, string | ((n: number) => string)>): { shell: PegasusShell; calls: string[] } {
  const calls: string[] = [];
  const run: RunFn = async (argv, o) => {
    const cmd = o.input.trim();
    calls.push(cmd);
    const a = answers[cmd];
    const stdout = typeof a === 'function' ? a(calls.filter((c) => c === cmd).length) : (a ?? `ERROR: invalid subcommand '${cmd}'\n`);
    return { argv, exitCode: 0, signal: null, stdout, stderr: '', durationMs: 1 };
  };
  return { shell: new PegasusShell({ argv: ['fake'], run }), calls };
}

const healthy = { cluster_info: sample('cluster_info.v2.5.txt'), 'ls -d': HEALTHY_LS, nodes: sample('nodes.v2.5.txt') };

test('healthy: every check passes and nothing is listed', async (t) => {
  const r = await checkHealth({ cluster: CLUSTER, shell: shell(healthy).shell, expectZk: 'zk3:2181,zk2:2181,zk1:2181/pegasus/mycluster' });
  t.is(r.verdict, 'healthy');
  t.deepEqual(r.checks.map((c) => [c.name, c.status]), [['leader', 'pass'], ['metas', 'pass'], ['zookeeper', 'pass'], ['nodes', 'pass'], ['tables', 'pass'], ['level', 'pass']]);
  t.is(r.leader, '10.0.0.1:34601');
  t.deepEqual(r.tables, { total: 3, fullyHealthy: 3, notHealthy: [] });
  t.deepEqual(r.problems, []);
});

test('unhealthy tables are each named with their counts', async (t) => {
  const r = await checkHealth({ cluster: CLUSTER, shell: shell({ ...healthy, 'ls -d': sample('ls-d.v2.5.txt') }).shell });
  t.is(r.verdict, 'unhealthy');
  t.deepEqual(r.tables!.notHealthy.map((x) => [x.name, x.fullyHealthy, x.partitionCount, x.unhealthy]), [['usertable', 61, 64, 3], ['stat', 3, 4, 1]]);
  t.regex(r.problems[0]!, /2 of 3 tables not fully healthy: usertable \(61\/64 partitions fully healthy, 3 unhealthy, 1 write-unhealthy, 0 read-unhealthy\), stat/);
  t.is(r.checks.find((c) => c.name === 'zookeeper')!.status, 'skipped', 'no expectation and no agents');
  t.true(r.warnings.some((w) => /ZooKeeper not compared/.test(w)));
});

test('an automatic freeze is explained with the stored level', async (t) => {
  const { shell: s, calls } = shell({ ...healthy, cluster_info: sample('cluster_info.freezed-old.txt'), get_meta_level: sample('get_meta_level.txt') });
  const r = await checkHealth({ cluster: CLUSTER, shell: s });
  t.is(r.verdict, 'unhealthy');
  t.deepEqual(r.level, { effective: 'freezed', stored: 'steady' });
  t.regex(r.problems.join('\n'), /automatic freeze/);
  t.true(calls.includes('get_meta_level'));
});

test('no meta reachable is unknown; a meta in recovery mode is unhealthy', async (t) => {
  const timeout = await checkHealth({ cluster: CLUSTER, shell: shell({ cluster_info: sample('cluster_info.error-timeout.txt'), 'ls -d': sample('cluster_info.error-timeout.txt').replace('get cluster info', 'list apps'), nodes: sample('nodes.error-timeout.txt') }).shell });
  t.is(timeout.verdict, 'unknown');
  t.deepEqual(timeout.problems, []);
  const recovery = await checkHealth({ cluster: CLUSTER, shell: shell({ cluster_info: sample('cluster_info.error-under-recovery.txt'), 'ls -d': sample('ls.error-under-recovery.txt'), nodes: sample('nodes.v2.5.txt') }).shell });
  t.is(recovery.verdict, 'unhealthy');
  t.regex(recovery.problems[0]!, /ERR_UNDER_RECOVERY/);
  const garbage = await checkHealth({ cluster: CLUSTER, shell: shell({ ...healthy, cluster_info: sample('cluster_info.garbage-line.txt') }).shell });
  t.is(garbage.verdict, 'unknown', 'output that cannot be parsed is not a verdict');
});

test('a different ensemble or root is unhealthy', async (t) => {
  const r = await checkHealth({ cluster: CLUSTER, shell: shell(healthy).shell, expectZk: 'zk1:2181,zk2:2181,zk3:2181/pegasus/other' });
  t.is(r.verdict, 'unhealthy');
  t.regex(r.problems[0]!, /the leader uses zk1:2181,zk2:2181,zk3:2181\/pegasus\/mycluster, expected zk1:2181,zk2:2181,zk3:2181\/pegasus\/other/);
});

test('waitHealthy polls until healthy, and stops at the deadline with the last report', async (t) => {
  const lsd = (n: number): string => (n < 3 ? sample('ls-d.v2.5.txt') : HEALTHY_LS);
  const sleeps: number[] = [];
  const seen: string[] = [];
  const w = await waitHealthy({ cluster: CLUSTER, shell: shell({ ...healthy, 'ls -d': lsd }).shell }, { deadline: Date.now() + 60_000, intervalMs: 10, sleep: async (ms) => void sleeps.push(ms), onReport: (r) => seen.push(r.verdict) });
  t.true(w.healthy);
  t.is(w.attempts, 3);
  t.deepEqual(seen, ['unhealthy', 'unhealthy', 'healthy']);
  t.deepEqual(sleeps, [10, 10]);
  const never = await waitHealthy({ cluster: CLUSTER, shell: shell({ ...healthy, 'ls -d': sample('ls-d.v2.5.txt') }).shell }, { deadline: Date.now() + 30, intervalMs: 10 });
  t.false(never.healthy);
  t.is(never.report.verdict, 'unhealthy');
  t.true(never.attempts >= 1);
});

test('--expect-zk parsing and comparison', (t) => {
  t.deepEqual(parseExpectZk('zk1:2181,zk2:2181/pegasus/c1/'), { hosts: 'zk1:2181,zk2:2181', root: '/pegasus/c1' });
  t.throws(() => parseExpectZk('zk1:2181'), { message: /has no root/ });
  t.throws(() => parseExpectZk('zk1/pegasus'), { message: /not host:port/ });
  t.true(sameZk({ hosts: 'ZK1:2181, zk2:2181', root: '/a//b' }, { hosts: 'zk2:2181,zk1:2181', root: '/a/b/' }));
  t.false(sameZk({ hosts: 'zk1:2181', root: '/a' }, { hosts: 'zk1:2181', root: '/b' }));
});
