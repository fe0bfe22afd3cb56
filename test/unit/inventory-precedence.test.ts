import test from 'ava';
import { loadInventory, parseInventory, resolveInventory } from '../../coordinator/lib/inventory';
import { inventoryFixture } from './inventory-helpers';

test('all < grandparent < parent < child < host', (t) => {
  const inv = loadInventory({ file: inventoryFixture('precedence.ini'), env: {}, checkFiles: false });
  const [m1, m2] = inv.clusters[0]!.metas;
  t.is(inv.clusters[0]!.name, 'prod');
  t.is(m1!.metaService, 'from-host');
  t.is(m2!.metaService, 'from-child');
  t.is(m1!.metaPort, 1003, 'parent beats grandparent and all');
  t.is(m1!.agentPort, 2002, 'grandparent beats all');
  t.is(m1!.metaConfig, '/all/config.ini', 'all applies when nothing else sets it');
  t.deepEqual(inv.clusters[0]!.shell.argv, ['run.sh', 'shell', '--cluster', 'm1:1003,m2:1003', '-n', 'prod']);
});

const base = ['[all:vars]', 'meta_config=/c.ini', 'pegasus_shell=run.sh', 'agent_ca_file=/ca', 'agent_cert_file=/cert', 'agent_key_file=/key'];

test('groups at the same depth merge by name, so the later name wins', (t) => {
  const text = [...base, '[zeta:children]', 'c', '[zeta:vars]', 'meta_service=zeta', '[alpha:children]', 'c', '[alpha:vars]', 'meta_service=alpha', '[c]', 'm1'].join('\n');
  t.is(resolveInventory(parseInventory(text, '/i.ini')).clusters[0]!.metas[0]!.metaService, 'zeta');
});

test('ansible_group_priority reorders groups of the same depth', (t) => {
  const text = [
    ...base,
    '[zeta:children]',
    'c',
    '[zeta:vars]',
    'meta_service=zeta',
    '[alpha:children]',
    'c',
    '[alpha:vars]',
    'meta_service=alpha',
    'ansible_group_priority=10',
    '[c]',
    'm1',
  ].join('\n');
  t.is(resolveInventory(parseInventory(text, '/i.ini')).clusters[0]!.metas[0]!.metaService, 'alpha');
});

test('depth is the longest path from all: a deeper group wins even if also a direct child of all', (t) => {
  // "deep" sits under mid (depth 2) and directly under all; Ansible gives it depth 2.
  const text = [...base, '[mid:children]', 'deep', '[deep:children]', 'c', '[deep:vars]', 'meta_service=deep', '[other:children]', 'c', '[other:vars]', 'meta_service=other', '[c]', 'm1'].join('\n');
  t.is(resolveInventory(parseInventory(text, '/i.ini')).clusters[0]!.metas[0]!.metaService, 'deep');
});

test('a host listed twice keeps the later value of a host variable', (t) => {
  const text = [...base, '[c]', 'm1 meta_port=1', 'm1 meta_port=2'].join('\n');
  const inv = resolveInventory(parseInventory(text, '/i.ini'));
  t.is(inv.clusters[0]!.metas.length, 1);
  t.is(inv.clusters[0]!.metas[0]!.metaPort, 2);
});

test('a host in a cluster group and a vars-only group gets both groups\' variables', (t) => {
  const text = [...base, '[c]', 'm1', '[dc1:children]', 'c', '[dc1:vars]', 'agent_port=4000'].join('\n');
  t.is(resolveInventory(parseInventory(text, '/i.ini')).clusters[0]!.metas[0]!.agentPort, 4000);
});
