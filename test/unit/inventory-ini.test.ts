import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expandHostPattern, loadInventory, parseIniInventory, resolveInventory } from '../../coordinator/lib/inventory';
import { inventoryFixture, TWO_CLUSTERS } from './inventory-helpers';

const FILE = inventoryFixture('two-clusters.ini');
const DIR = path.dirname(FILE);

test('an INI inventory with children, group vars, ranges and host vars resolves fully', (t) => {
  const raw = parseIniInventory(fs.readFileSync(FILE, 'utf8'), FILE);
  t.deepEqual(resolveInventory(raw), TWO_CLUSTERS(FILE, 'ini'));
});

test('loadInventory reads it with -i and warns about TLS files missing here', (t) => {
  const inv = loadInventory({ file: FILE, env: {} });
  t.deepEqual(inv.clusters, TWO_CLUSTERS(FILE, 'ini').clusters);
  t.true(inv.warnings.some((w) => w.includes('agent_ca_file') && w.includes(path.join(DIR, 'certs/ca.pem'))));
  t.true(inv.warnings.some((w) => w.includes('/etc/zkmig/c2.token')));
});

test('host lines: port suffix, quoting, comments, Python-literal values', (t) => {
  const raw = parseIniInventory(
    [
      'lonely.example.com',
      '[c]',
      `m1:2222 a='x y' b="1 # not a comment" c=9500 d=True # comment`,
      'm2 ansible_host=10.0.0.2',
      '[c:vars]',
      `e = 'quoted' `,
      'f=3.5',
    ].join('\n'),
    '/inv/x.ini',
  );
  const hv = raw.hostVars.get('m1')!;
  t.deepEqual(
    [...hv].map(([k, v]) => [k, v.value]),
    [
      ['ansible_port', 2222],
      ['a', 'x y'],
      ['b', '1 # not a comment'],
      ['c', 9500],
      ['d', true],
    ],
  );
  t.deepEqual(raw.groups.get('ungrouped')!.hosts, ['lonely.example.com']);
  t.deepEqual(raw.groups.get('c')!.hosts, ['m1', 'm2']);
  t.deepEqual([...raw.groups.get('c')!.vars].map(([k, v]) => [k, v.value, v.pos.line]), [['e', 'quoted', 6], ['f', 3.5, 7]]);
});

test('host patterns expand like Ansible', (t) => {
  t.deepEqual(expandHostPattern('meta[1:3].example.com'), ['meta1.example.com', 'meta2.example.com', 'meta3.example.com']);
  t.deepEqual(expandHostPattern('db[08:11]'), ['db08', 'db09', 'db10', 'db11']);
  t.deepEqual(expandHostPattern('n[:4:2]'), ['n0', 'n2', 'n4']);
  t.deepEqual(expandHostPattern('r[a:c]'), ['ra', 'rb', 'rc']);
  t.deepEqual(expandHostPattern('x[1:2]-[a:b]'), ['x1-a', 'x1-b', 'x2-a', 'x2-b']);
  t.deepEqual(expandHostPattern('plain'), ['plain']);
  for (const bad of ['m[3:1]', 'm[1:]', 'm[01:100]', 'm[1:3', 'm[1]', 'm[1:x]', 'm[1:3:0]']) t.throws(() => expandHostPattern(bad), undefined, bad);
});

test('a range with a port is not mistaken for a port', (t) => {
  const raw = parseIniInventory('[c]\nm[1:2]:2200\n', '/x.ini');
  t.deepEqual(raw.groups.get('c')!.hosts, ['m1', 'm2']);
  t.is(raw.hostVars.get('m1')!.get('ansible_port')!.value, 2200);
});
