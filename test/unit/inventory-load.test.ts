import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AppError, isUsageError } from '../../shared/errors';
import { detectFormat, inventoryPath, loadInventory, selectCluster } from '../../coordinator/lib/inventory';
import { tempDir } from '../harness/tmp';
import { inventoryFixture } from './inventory-helpers';

test('-i wins over ZKMIG_INVENTORY; relative paths are resolved against cwd', (t) => {
  t.is(inventoryPath({ file: 'a.ini', env: { ZKMIG_INVENTORY: '/b.ini' }, cwd: '/x' }), '/x/a.ini');
  t.is(inventoryPath({ env: { ZKMIG_INVENTORY: 'b.yml' }, cwd: '/x' }), '/x/b.yml');
});

test('no inventory at all is a usage error naming both ways to give one', (t) => {
  const e = t.throws(() => inventoryPath({ env: {} }));
  t.true(isUsageError(e));
  t.regex(e!.message, /-i FILE.*ZKMIG_INVENTORY/);
});

test('a missing file is NOT_FOUND, naming it', (t) => {
  const e = t.throws(() => loadInventory({ file: '/nonexistent/inv.ini', env: {} })) as AppError;
  t.is(e.code, 'NOT_FOUND');
  t.regex(e.message, /\/nonexistent\/inv.ini/);
});

test('format by extension, else by content', (t) => {
  t.is(detectFormat('x.yml', ''), 'yaml');
  t.is(detectFormat('x.YAML', ''), 'yaml');
  t.is(detectFormat('x.ini', 'all:'), 'ini');
  t.is(detectFormat('hosts', '# comment\n\nall:\n  hosts:\n'), 'yaml');
  t.is(detectFormat('hosts', '---\nall:'), 'yaml');
  t.is(detectFormat('hosts', '; comment\n[c1]\nm1\n'), 'ini');
  t.is(detectFormat('hosts', 'm1 ansible_host=x\n'), 'ini');
});

test('TLS paths are relative to the inventory; only missing files are warned about', (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  fs.mkdirSync(path.join(dir, 'tls'));
  for (const f of ['ca.pem', 'me.pem', 'me.key']) fs.writeFileSync(path.join(dir, 'tls', f), 'x');
  const inv = path.join(dir, 'hosts');
  fs.writeFileSync(
    inv,
    ['[c1]', 'm1', '[c1:vars]', 'meta_config=/c.ini', 'pegasus_shell=run.sh', 'agent_ca_file=tls/ca.pem', 'agent_cert_file=tls/me.pem', 'agent_key_file=./tls/../tls/me.key', 'agent_token_file=tls/token'].join('\n'),
  );
  const r = loadInventory({ env: { ZKMIG_INVENTORY: inv } });
  t.deepEqual(r.clusters[0]!.metas[0]!.tls, {
    caFile: path.join(dir, 'tls/ca.pem'),
    certFile: path.join(dir, 'tls/me.pem'),
    keyFile: path.join(dir, 'tls/me.key'),
    tokenFile: path.join(dir, 'tls/token'),
    serverName: 'm1',
  });
  t.deepEqual(r.warnings, [`agent_token_file ${path.join(dir, 'tls/token')} does not exist on this machine (host m1)`]);
  t.deepEqual(loadInventory({ file: inv, env: {}, checkFiles: false }).warnings, []);
});

test('selectCluster names the clusters there are', (t) => {
  const inv = loadInventory({ file: inventoryFixture('two-clusters.ini'), env: {}, checkFiles: false });
  t.is(selectCluster(inv, 'c2').metas.length, 2);
  const e = t.throws(() => selectCluster(inv, 'c3'));
  t.true(isUsageError(e));
  t.regex(e!.message, /no cluster "c3" .*\(clusters: c1, c2\)/);
});

test('an IPv6 ansible_host is bracketed in host:port', (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const inv = path.join(dir, 'i.ini');
  fs.writeFileSync(inv, ['[c1]', 'm1 ansible_host=fd00::1', '[all:vars]', 'meta_config=/c.ini', 'pegasus_shell=run.sh', 'agent_ca_file=/ca', 'agent_cert_file=/cert', 'agent_key_file=/key'].join('\n'));
  const m = loadInventory({ file: inv, env: {}, checkFiles: false }).clusters[0]!.metas[0]!;
  t.is(m.metaAddress, '[fd00::1]:34601');
  t.is(m.agentAddress, '[fd00::1]:7443');
  t.is(m.tls.serverName, 'fd00::1');
});
