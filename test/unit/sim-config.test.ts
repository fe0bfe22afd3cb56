import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isInvalidInput } from '../../shared/errors';
import { loadMetaConfig, loadReplicaConfig, normalizeRoot } from '../../sim/common/config';
import { PegasusIni } from '../../sim/common/ini';
import { CONFIG_TEMPLATE, renderPlaceholders, setIniKey } from '../../sim/config-template';
import { tempDir } from '../harness/tmp';
import { PEGASUS_CONFIG_FIXTURE } from '../harness/fixtures';

/** The simulator reads config.ini exactly as rDSN's configuration::load does (v2.5.0). */

const FIXTURE = PEGASUS_CONFIG_FIXTURE;

test('reads the production template the way Pegasus does', (t) => {
  const ini = PegasusIni.load(FIXTURE);
  t.is(ini.getString('meta_server', 'cluster_root'), '/pegasus/%{cluster.name}', '%{...} is never expanded by Pegasus itself');
  t.is(ini.getString('zookeeper', 'hosts_list'), '%{zk.server.list}');
  t.is(ini.getInt('zookeeper', 'timeout_ms', 30000), 10000);
  t.is(ini.getString('meta_server', 'replica_white_list'), '', 'a key with nothing after = is empty');
  t.is(ini.getString('apps.meta', 'arguments'), '');
  t.is(ini.getInt('apps.meta', 'ports', 0), 34601);
  t.false(ini.has('core', 'toollets = tracer, profiler, fault_injector'), 'a ;-commented line is no key');
  t.is(ini.getString('core', 'toollets'), 'profiler');
  t.is(ini.getString('pegasus.server', 'rocksdb_filter_type'), 'prefix');
  t.true(ini.sectionNames().includes('apps..default'));
  t.deepEqual(ini.getList('apps.meta', 'pools').slice(0, 2), ['THREAD_POOL_DEFAULT', 'THREAD_POOL_META_SERVER']);
  t.is(ini.getString('task.RPC_RRDB_RRDB_BATCH_GET', 'rpc_request_delays_milliseconds'), '50, 50, 50, 50, 50, 100');
});

test('comments start anywhere, ^ escapes them, %x% values read as empty, first definition wins', (t) => {
  const ini = PegasusIni.parse(
    ['[s]', '  a = 1 ; trailing comment', 'b = x # hash comment', 'c = ^;not^#comment', 'd = %port%', 'e = %{keep}', 'a = 2', 'flag', '  [ t ]  ', 'k=v'].join('\n'),
  );
  t.is(ini.getString('s', 'a'), '1');
  t.is(ini.getString('s', 'b'), 'x');
  t.is(ini.getString('s', 'c'), ';not#comment');
  t.is(ini.getString('s', 'd'), '');
  t.is(ini.getString('s', 'e'), '%{keep}');
  t.true(ini.has('s', 'flag'));
  t.is(ini.getString('t', 'k'), 'v');
  t.regex(ini.warnings.join('\n'), /skip redefinition of option \[s\] a \(line 7\), already defined as \[s\] a \(line 2\)/);
});

test('typed values fall back to the default when they do not parse, as release builds do', (t) => {
  const ini = PegasusIni.parse('[m]\nx = yes\ny = 12ms\nz = TRUE\nn = -5\n');
  t.is(ini.getBool('m', 'x', false), false);
  t.is(ini.getBool('m', 'z', false), true);
  t.is(ini.getInt('m', 'y', 7), 7);
  t.is(ini.getInt('m', 'n', 0), -5);
  t.is(ini.warnings.length, 2);
});

for (const [name, text, re] of [
  ['a key before any section', 'k = v\n', /configuration section not defined/],
  ['a section defined twice', '[a]\n[a]\n', /section '\[a\]' is redefined/],
  ['[ with =', '[a = b]\n', /unexpected configuration in .*\(line 1\)/],
  ['an unclosed section', '[abc\n', /line 1/],
  ['an empty key', '[a]\n = v\n', /line 2/],
] as const) {
  test(`rejects ${name} with Pegasus's error naming the line`, (t) => {
    const e = t.throws(() => PegasusIni.parse(text, 'x.ini'));
    t.true(isInvalidInput(e));
    t.regex(e!.message, re);
  });
}

test('meta config: address from [apps.meta] ports, normalised roots, code defaults for missing keys', (t) => {
  const tmp = tempDir();
  try {
    const f = path.join(tmp.dir, 'config.ini');
    fs.writeFileSync(
      f,
      [
        '[apps.meta]',
        '  ports = 45601',
        '[meta_server]',
        '  server_list = localhost:45601, 127.0.0.1:45602',
        '  cluster_root = //pegasus//c1/',
        '  distributed_lock_service_parameters = /pegasus/c1/lock extra',
        '  hosts_list = wrong:2181',
        '[meta_server.apps.temp]',
        '  app_name = temp',
        '  app_type = pegasus',
        '[meta_server.apps.stat]',
        '  app_name = stat',
        '  app_type = pegasus',
        '  partition_count = 4',
        '[zookeeper]',
        '  hosts_list = 127.0.0.1:2181',
        '[replication]',
        '  cluster_name = c1',
      ].join('\n'),
    );
    const c = loadMetaConfig(f);
    t.is(c.address, '127.0.0.1:45601');
    t.deepEqual(c.serverList, ['127.0.0.1:45601', '127.0.0.1:45602']);
    t.is(c.clusterRoot, '/pegasus/c1');
    t.is(c.lockRoot, '/pegasus/c1/lock');
    t.is(c.zkHosts, '127.0.0.1:2181', '[meta_server] hosts_list is ignored');
    t.regex(c.warnings.join('\n'), /\[meta_server\] hosts_list is not a Pegasus key/);
    t.is(c.zkTimeoutMs, 30000);
    t.deepEqual(c.fd, { checkIntervalSeconds: 2, beaconIntervalSeconds: 3, leaseSeconds: 9, graceSeconds: 10 });
    t.is(c.lbIntervalMs, 10000);
    t.is(c.levelOnStart, 400);
    t.deepEqual(
      c.defaultApps.map((a) => [a.section, a.partitionCount, a.maxReplicaCount]),
      [
        ['meta_server.apps.stat', 4, 3],
        ['meta_server.apps.temp', 1, 3],
      ],
      'sections come in std::map order, with the code defaults',
    );
    fs.appendFileSync(f, '\n[core]\n  data_dir = data\n');
    const r = loadReplicaConfig(f, { port: 45801 });
    t.is(r.address, '127.0.0.1:45801');
    t.is(r.dataDir, path.join(tmp.dir, 'data'));
  } finally {
    tmp.cleanup();
  }
});

test('meta config: an unknown start level or an empty lock root stops the meta at start', (t) => {
  const tmp = tempDir();
  try {
    const f = path.join(tmp.dir, 'c.ini');
    const base = '[apps.meta]\nports = 1\n[zookeeper]\nhosts_list = h:1\n[meta_server]\nserver_list = 127.0.0.1:1\n';
    fs.writeFileSync(f, base + 'distributed_lock_service_parameters = /l\nmeta_function_level_on_start = fast\n');
    t.regex(t.throws(() => loadMetaConfig(f))!.message, /unknown meta function level: fl_fast/);
    fs.writeFileSync(f, base);
    t.regex(t.throws(() => loadMetaConfig(f))!.message, /need parameters: <lock_root>/);
  } finally {
    tmp.cleanup();
  }
});

test('normalizeRoot splits on / ignoring empty pieces', (t) => {
  t.is(normalizeRoot('/'), '/');
  t.is(normalizeRoot(''), '/');
  t.is(normalizeRoot('a/b/'), '/a/b');
});

test('the cluster template renders to a config the reader accepts, and setIniKey keeps every other byte', (t) => {
  const text = renderPlaceholders(CONFIG_TEMPLATE, { 'cluster.name': 'c9', 'zk.server.list': 'z:1' });
  t.true(text.includes('  cluster_root = /pegasus/c9'));
  t.true(text.includes('%{meta.server.list}'), 'unknown placeholders stay');
  const edited = setIniKey(text, 'zookeeper', 'hosts_list', 'new:2181');
  const before = text.split('\n');
  const after = edited.split('\n');
  t.is(before.length, after.length);
  t.deepEqual(
    after.filter((l, i) => l !== before[i]),
    ['  hosts_list = new:2181'],
  );
  const added = setIniKey(edited, 'meta_server', 'brand_new', 'x');
  t.is(PegasusIni.parse(added).getString('meta_server', 'brand_new'), 'x');
  const sec = setIniKey(added, 'meta_server.apps.t', 'app_name', 't');
  t.is(PegasusIni.parse(sec).getString('meta_server.apps.t', 'app_name'), 't');
});
