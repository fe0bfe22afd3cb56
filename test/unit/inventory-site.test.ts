import test from 'ava';
import * as fs from 'node:fs';
import { loadInventory, parseInventory, resolveInventory } from '../../coordinator/lib/inventory';
import { inventoryFixture } from './inventory-helpers';

// A site inventory (test/fixtures/inventory/site): ZooKeeper, collector and replica hosts, metas
// of three clusters in several groups each, group_vars/ and host_vars/ directories beside it.
const FILE = inventoryFixture('site/hosts.ini');

test('only the children of pegasus_clusters are clusters; other groups and unknown variables are ignored', (t) => {
  const inv = loadInventory({ file: FILE, env: {}, checkFiles: false });
  t.deepEqual(inv.clusters.map((c) => [c.name, c.metas.map((m) => m.name)]), [
    ['c1', ['c1-meta1.example.com', 'c1-meta2.example.com', 'c1-meta3.example.com']],
    ['c2', ['c2-meta1.example.com', 'c2-meta2.example.com']],
    ['c3', ['c3-meta1', 'c3-meta2']],
  ]);
  // The one near-miss of a zkmig name on a meta host is a warning; pegasus_version, ntp_server,
  // collector_port, replica_data_dirs... are not mentioned.
  t.deepEqual(inv.warnings, [`${FILE}:32: host "c3-meta2": unknown variable "meta_servise" (did you mean meta_service?); zkmig ignores it`]);
});

test('variables come from the file, group_vars/ (files and directories) and host_vars/ with Ansible precedence', (t) => {
  const inv = loadInventory({ file: FILE, env: {}, checkFiles: false });
  const meta = (c: number, h: number) => inv.clusters[c]!.metas[h]!;
  // group_vars/all.yml and group_vars/meta_servers.yml
  t.is(meta(0, 0).tls.certFile, '/etc/zkmig/tls/coordinator-ops.pem');
  t.is(meta(0, 0).metaConfig, '/home/work/app/pegasus/meta/config.ini');
  t.is(inv.clusters[0]!.shell.argv.join(' '), '/opt/pegasus/run.sh shell --cluster c1-meta1.example.com:34601,c1-meta2.example.com:34601,c1-meta3.example.com:34601');
  // [c1:vars] in the file; c1 is not in dc_shanghai, so the default agent port.
  t.is(meta(0, 0).metaService, 'pegasus-meta-c1');
  t.is(meta(0, 0).agentPort, 7443);
  // group_vars/c2/ is a directory of two files; [dc_shanghai:vars] reaches c2 and c3 through a second group.
  t.is(meta(1, 0).metaService, 'pegasus-meta-c2');
  t.is(meta(1, 1).tls.tokenFile, '/etc/zkmig/tls/c2.token');
  t.is(meta(1, 0).metaAddress, 'c2-meta1.example.com:34611');
  t.is(meta(1, 0).agentAddress, 'c2-meta1.example.com:9443');
  // host_vars/c3-meta2.yml wins over the host's line in the file.
  t.is(meta(2, 1).address, '10.3.0.22');
  t.is(meta(2, 1).metaConfig, '/opt/pegasus-c3/meta/config.ini');
  t.is(meta(2, 0).address, '10.3.0.1');
  t.is(meta(2, 0).metaService, 'pegasus-meta');
  // Every group and host is known to --limit, not only the clusters.
  t.deepEqual(inv.groups['zookeeper'], ['zk1.example.com', 'zk2.example.com', 'zk3.example.com']);
  t.deepEqual(inv.groups['dc_beijing']?.slice(0, 4), ['c1-meta1.example.com', 'c1-meta2.example.com', 'c1-meta3.example.com', 'c1-replica1.example.com']);
});

test('the same site without [pegasus_clusters] is refused with a hint to add it', (t) => {
  const text = fs.readFileSync(FILE, 'utf8').replace(/\[pegasus_clusters:children\]\nc1\nc2\nc3\n/, '');
  const e = t.throws(() => resolveInventory(parseInventory(text, FILE)));
  t.regex(e!.message, /list the clusters under \[pegasus_clusters:children\]/);
});
