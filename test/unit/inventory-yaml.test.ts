import test from 'ava';
import * as fs from 'node:fs';
import { loadInventory, parseYamlInventory, resolveInventory } from '../../coordinator/lib/inventory';
import { inventoryFixture, TWO_CLUSTERS } from './inventory-helpers';

test('the YAML form of the same inventory resolves to the same clusters', (t) => {
  const file = inventoryFixture('two-clusters.yml');
  t.deepEqual(resolveInventory(parseYamlInventory(fs.readFileSync(file, 'utf8'), file)), TWO_CLUSTERS(file, 'yaml'));
});

test('every default, a top-level cluster group, a token with a relative path', (t) => {
  const file = inventoryFixture('defaults.yaml');
  const inv = loadInventory({ file, env: {}, checkFiles: false });
  t.is(inv.format, 'yaml');
  t.deepEqual(inv.clusters.map((c) => c.name), ['pegasus_c3']);
  const [m1] = inv.clusters[0]!.metas;
  t.deepEqual(m1, {
    name: 'm1',
    address: 'm1',
    metaPort: 34601,
    metaAddress: 'm1:34601',
    agentPort: 7443,
    agentAddress: 'm1:7443',
    metaConfig: '/etc/pegasus/meta.ini',
    metaService: 'pegasus-meta',
    tls: {
      caFile: '/etc/zkmig/ca.pem',
      certFile: '/etc/zkmig/coordinator-zkmig.pem',
      keyFile: '/etc/zkmig/coordinator-zkmig-key.pem',
      tokenFile: inventoryFixture('token.txt'),
      serverName: 'm1',
    },
  });
  t.deepEqual(inv.clusters[0]!.shell.argv, ['/usr/bin/pegasus_shell', '--cluster', 'm1:34601,m2:34601']);
});

test('YAML shorthand: a host given as a string, empty groups and sections', (t) => {
  const raw = parseYamlInventory(
    ['all:', '  children:', '    c1:', '      hosts: meta1', '      vars:', '    empty:', '    c2: ~', ''].join('\n'),
    '/inv.yml',
  );
  t.deepEqual(raw.groups.get('c1')!.hosts, ['meta1']);
  t.deepEqual(raw.groups.get('all')!.children, ['c1', 'empty', 'c2']);
});

test('the same group under two parents is one group, merged', (t) => {
  const raw = parseYamlInventory(
    ['a:', '  children:', '    c1:', '      hosts: {m1: }', 'b:', '  children:', '    c1:', '      hosts: {m2: }', '      vars: {meta_port: 1}'].join('\n'),
    '/inv.yml',
  );
  const c1 = raw.groups.get('c1')!;
  t.deepEqual(c1.hosts, ['m1', 'm2']);
  t.is(c1.vars.get('meta_port')!.value, 1);
  t.deepEqual(c1.vars.get('meta_port')!.pos, { file: '/inv.yml', line: 9 });
});
