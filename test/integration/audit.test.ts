/**
 * `zkmig audit` on a fleet of two clusters, with real agents over mutual TLS, a simulated Pegasus
 * cluster on a real ZooKeeper, and the simulated shell in both formats:
 * - alpha runs (2 metas); its configs are then edited the way operators get them wrong: hosts_list
 *   changed on one meta but not applied, hosts_list written under [meta_server] and
 *   recover_from_replica_server left true on the other;
 * - beta does not run; its configs have cluster_root not ending with the cluster name and the lock
 *   root outside cluster_root; the inventory lists a meta that server_list lacks, a meta whose
 *   agent does not manage the configured file, and a meta whose agent is down.
 * Every mistake is found, and the unreachable agent hides nothing else.
 */
import anyTest, { TestFn } from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AuditReport, Finding } from '../../coordinator/lib/audit';
import { stopAllAgents } from '../harness/agent';
import { makeTestPki } from '../harness/certs';
import { deadPort, runCli, simShell, simShellWithConfig, startMetaAgents, writeInventory, writeShellConfig } from '../harness/fleet';
import { parseExposition, sampleValue } from '../harness/prom-text';
import { tempDir } from '../harness/tmp';
import { startZk, ZkEnsemble } from '../harness/zookeeper';
import { SimCluster } from '../../sim/cluster';

interface Ctx {
  zk: ZkEnsemble;
  alpha: SimCluster;
  beta: SimCluster;
  inventory: string;
  deadMeta: number;
  cleanups: (() => void | Promise<void>)[];
}
const test = anyTest as TestFn<Ctx>;

test.before(async (t) => {
  const cleanups: (() => void | Promise<void>)[] = [];
  t.context = { cleanups } as Ctx;
  const pki = makeTestPki();
  cleanups.push(pki.cleanup);
  const tmp = tempDir('zkmig-audit-');
  cleanups.push(tmp.cleanup);
  const dir = fs.realpathSync(tmp.dir);
  const z = await startZk();
  cleanups.push(z.cleanup);
  // cluster_info needs only a leader: no replica servers.
  const alpha = await SimCluster.create({ baseDir: path.join(dir, 'alpha'), zkHosts: z.zk.connectString, clusterName: 'alpha', replicaCount: 0 });
  cleanups.push(() => alpha.close());
  const beta = await SimCluster.create({ baseDir: path.join(dir, 'beta'), zkHosts: z.zk.connectString, clusterName: 'beta', clusterRoot: '/pegasus/beta-old', lockRoot: '/locks/beta' });
  alpha.startMeta(0);
  alpha.startMeta(1);
  const [agents] = await Promise.all([
    startMetaAgents(pki, [...alpha.metas, ...beta.metas].map((m, i) => ({ dir: path.join(dir, `agent${i}`), files: [m.configPath] }))),
    alpha.waitForLeader(),
  ]);
  const [a0, a1, b0, b1] = agents as [typeof agents[0], typeof agents[0], typeof agents[0], typeof agents[0]];
  const [deadAgent, deadMeta] = await Promise.all([deadPort(), deadPort()]);
  const betaShellConfig = writeShellConfig(path.join(dir, 'beta-shell.ini'), 'beta', beta.metaList, 500);
  const inventory = writeInventory(path.join(dir, 'inventory.yml'), pki, [
    {
      name: 'alpha',
      shell: simShell('v2.5.0'),
      hosts: [
        { name: 'alpha-m0', metaPort: alpha.metas[0]!.port, agentPort: a0.port, metaConfig: alpha.metas[0]!.configPath },
        { name: 'alpha-m1', metaPort: alpha.metas[1]!.port, agentPort: a1.port, metaConfig: alpha.metas[1]!.configPath },
      ],
    },
    {
      name: 'beta',
      shell: simShellWithConfig('beta', betaShellConfig, 'master'),
      hosts: [
        { name: 'beta-m0', metaPort: beta.metas[0]!.port, agentPort: b0.port, metaConfig: beta.metas[0]!.configPath },
        // The agent manages beta's meta1 config, not this path.
        { name: 'beta-m1', metaPort: beta.metas[1]!.port, agentPort: b1.port, metaConfig: path.join(dir, 'beta', 'elsewhere', 'config.ini') },
        { name: 'beta-m2', metaPort: deadMeta, agentPort: deadAgent, metaConfig: '/etc/pegasus/config.ini' },
      ],
    },
  ]);
  t.context = { zk: z.zk, alpha, beta, inventory, deadMeta, cleanups };
});

test.after.always(async (t) => {
  // Agents first: their working directories are in the temporary directory removed below.
  await stopAllAgents();
  for (const c of (t.context.cleanups ?? []).reverse()) await c();
});

const find = (r: AuditReport, cluster: string, code: string): Finding[] => r.clusters.find((c) => c.cluster === cluster)!.findings.filter((f) => f.code === code);

test.serial('a correct cluster audits clean: exit 0, every key shown once', async (t) => {
  const r = await runCli(['audit', '-i', t.context.inventory, '--cluster', 'alpha']);
  t.log(r.out);
  t.is(r.code, 0, r.out);
  t.regex(r.out, /^ {2}meta_server\.cluster_root +\/pegasus\/alpha$/m);
  t.regex(r.out, new RegExp(`^ {2}zookeeper\\.hosts_list +${t.context.zk.connectString.replace(/\./g, '\\.')}$`, 'm'));
  t.regex(r.out, /^ {2}no findings$/m);
  t.regex(r.out, /^Audit clean: 1 cluster, 2 metas, no findings/m);
});

test.serial('every known mistake is found on a fleet of two clusters; the unreachable agent hides nothing else', async (t) => {
  const { alpha, zk, deadMeta } = t.context;
  alpha.setMetaConfig(0, 'zookeeper', 'hosts_list', '127.0.0.1:2999');
  alpha.setMetaConfig(1, 'meta_server', 'hosts_list', '127.0.0.1:2999');
  alpha.setMetaConfig(1, 'meta_server', 'recover_from_replica_server', 'true');

  const args = ['audit', '-i', t.context.inventory, '--timeout', '2s', '--expect', 'meta_server.meta_function_level_on_start=lively', '--expect', 'zookeeper.timeout_ms=3000'];
  const text = await runCli(args);
  t.log(text.out);
  t.is(text.code, 1);
  const json = await runCli([...args, '--json']);
  t.is(json.code, 1);
  const r = JSON.parse(json.out) as AuditReport;
  t.false(r.clean);

  // alpha: edited and not applied, and the drift it causes.
  const notApplied = find(r, 'alpha', 'not-applied');
  t.is(notApplied.length, 1);
  t.deepEqual(notApplied[0]!.hosts, ['alpha-m0']);
  t.regex(notApplied[0]!.message, new RegExp(`hosts_list = 127\\.0\\.0\\.1:2999 but the running cluster .* uses ${zk.connectString.replace(/\./g, '\\.')}`));
  const drift = find(r, 'alpha', 'drift');
  t.deepEqual(drift.map((f) => [f.key, f.severity]).sort(), [['meta_server.recover_from_replica_server', 'warning'], ['zookeeper.hosts_list', 'error']]);
  // alpha: the website's mistake and the recovery flag left on.
  t.deepEqual(find(r, 'alpha', 'hosts-list-in-meta-server').map((f) => [f.hosts, f.severity]), [[['alpha-m1'], 'error']]);
  t.deepEqual(find(r, 'alpha', 'recover-flag-on').map((f) => f.hosts), [['alpha-m1']]);
  // --expect: one finding naming every meta read, across clusters.
  t.deepEqual(find(r, 'alpha', 'expect-mismatch').map((f) => f.hosts), [['alpha-m0', 'alpha-m1']]);
  t.deepEqual(find(r, 'beta', 'expect-mismatch').map((f) => f.hosts), [['beta-m0']]);
  t.is(r.clusters.find((c) => c.cluster === 'alpha')!.values['zookeeper.timeout_ms']!['alpha-m0'], '3000');

  // beta: naming, lock root, server_list against the inventory.
  t.deepEqual(find(r, 'beta', 'cluster-root-name-mismatch').map((f) => [f.hosts, f.severity]), [[['beta-m0'], 'warning']]);
  t.regex(find(r, 'beta', 'cluster-root-name-mismatch')[0]!.message, /\/pegasus\/beta-old does not end with the cluster name "beta"/);
  t.deepEqual(find(r, 'beta', 'lock-root-outside-cluster-root').map((f) => f.hosts), [['beta-m0']]);
  t.regex(find(r, 'beta', 'lock-root-outside-cluster-root')[0]!.message, /lock root \/locks\/beta is outside cluster_root \/pegasus\/beta-old/);
  const sl = find(r, 'beta', 'server-list-mismatch');
  t.is(sl.length, 1);
  t.regex(sl[0]!.message, new RegExp(`lacks 127\\.0\\.0\\.1:${deadMeta} from the inventory`));
  // beta: the unreadable file and the unreachable agent are findings, not crashes.
  t.deepEqual(find(r, 'beta', 'config-unreadable').map((f) => f.hosts), [['beta-m1']]);
  t.regex(find(r, 'beta', 'config-unreadable')[0]!.message, /elsewhere\/config\.ini/);
  t.deepEqual(find(r, 'beta', 'agent-unreachable').map((f) => f.hosts), [['beta-m2']]);
  t.deepEqual(find(r, 'beta', 'cluster-unreachable').map((f) => f.severity), ['warning']);
  t.deepEqual(r.recap.totals, { ok: 3, changed: 0, unreachable: 1, failed: 1 });
  const beta = r.clusters.find((c) => c.cluster === 'beta')!;
  t.deepEqual(beta.hosts.map((h) => [h.host, h.status]), [['beta-m0', 'ok'], ['beta-m1', 'failed'], ['beta-m2', 'unreachable']]);
  t.is(beta.values['meta_server.cluster_root']!['beta-m0'], '/pegasus/beta-old');

  // Nothing else: every finding is one of those above.
  const codes = new Set(r.clusters.flatMap((c) => c.findings.map((f) => `${c.cluster}:${f.code}`)));
  t.deepEqual([...codes].sort(), [
    'alpha:drift', 'alpha:expect-mismatch', 'alpha:hosts-list-in-meta-server', 'alpha:not-applied', 'alpha:recover-flag-on',
    'beta:agent-unreachable', 'beta:cluster-root-name-mismatch', 'beta:cluster-unreachable', 'beta:config-unreadable', 'beta:expect-mismatch', 'beta:lock-root-outside-cluster-root', 'beta:server-list-mismatch',
  ]);

  // The text report groups by cluster, then severity.
  const alphaText = text.out.slice(text.out.indexOf('Cluster alpha'), text.out.indexOf('Cluster beta'));
  t.regex(alphaText, /ERRORS \(\d+\)\n(?: {4}\[.*\n)+ {2}WARNINGS \(1\)\n {4}\[drift\] meta_server\.recover_from_replica_server differs/);
  t.regex(text.out, /^ {4}\[agent-unreachable\] beta-m2: agent 127\.0\.0\.1:\d+ did not answer/m);
  t.regex(text.out, /^Audit found \d+ errors and \d+ warnings in 2 clusters, 5 metas/m);
});

test.serial('--expect and --cluster are validated before anything is read', async (t) => {
  for (const [args, msg] of [
    [['--expect', 'zookeeper.hosts_list'], /not SECTION\.KEY=VALUE/],
    [['--expect', 'meta_server.hosts_list=a:1'], /expect zookeeper\.hosts_list instead/],
    [['--expect', 'meta_server.recover_from_replica_server=maybe'], /"maybe" is not true or false/],
    [['--cluster', 'gamma'], /no cluster "gamma" in inventory/],
  ] as const) {
    const r = await runCli(['audit', '-i', t.context.inventory, ...args]);
    t.is(r.code, 2, args.join(' '));
    t.regex(r.err, msg);
  }
});

test.serial('--format prometheus writes the findings as a textfile-collector file, atomically, that parses', async (t) => {
  const tmp = tempDir('zkmig-audit-prom-');
  t.teardown(tmp.cleanup);
  const file = path.join(tmp.dir, 'zkmig_audit.prom');
  const args = ['audit', '-i', t.context.inventory, '--timeout', '2s'];
  const json = await runCli([...args, '--json']);
  const report = JSON.parse(json.out) as AuditReport;
  const r = await runCli([...args, '--format', 'prometheus', '--output', file]);
  t.is(r.code, 1, r.err);
  t.is(r.out, '');
  // Only the file: no temporary file left beside it.
  t.deepEqual(fs.readdirSync(tmp.dir), ['zkmig_audit.prom']);
  const samples = parseExposition(fs.readFileSync(file, 'utf8'));
  for (const c of report.clusters) {
    for (const severity of ['error', 'warning']) {
      t.is(sampleValue(samples, 'zkmig_audit_cluster_findings', { cluster: c.cluster, severity }), c.findings.filter((f) => f.severity === severity).length);
    }
    for (const h of c.hosts) t.is(sampleValue(samples, 'zkmig_audit_host_config_read', { cluster: c.cluster, host: h.host }), h.status === 'ok' ? 1 : 0);
  }
  t.is(sampleValue(samples, 'zkmig_audit_host_config_read', { cluster: 'beta', host: 'beta-m2' }), 0);
  t.true(sampleValue(samples, 'zkmig_audit_findings', { cluster: 'beta', severity: 'error', code: 'agent-unreachable' })! >= 1);
  t.is(sampleValue(samples, 'zkmig_audit_clean'), 0);
  t.true(Math.abs(sampleValue(samples, 'zkmig_audit_last_run_timestamp_seconds')! - Date.now() / 1000) < 600);

  // Bad input changes nothing: the previous file stays.
  const before = fs.readFileSync(file, 'utf8');
  const bad = await runCli([...args, '--format', 'xml', '--output', file]);
  t.is(bad.code, 2);
  t.regex(bad.err, /--format: "xml" is not text, json or prometheus/);
  t.is(fs.readFileSync(file, 'utf8'), before);
});
