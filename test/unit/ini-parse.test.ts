import test from 'ava';
import * as fs from 'node:fs';
import { findEntries, getValue, iniView, joinLines, parseIni, pegasusSettings, splitLines } from '../../shared/ini';
import { PEGASUS_CONFIG_FIXTURE } from '../harness/fixtures';

const FIXTURE = fs.readFileSync(PEGASUS_CONFIG_FIXTURE, 'utf8');

test('splitLines/joinLines give back the input byte for byte (LF, CRLF, mixed, no final newline, BOM, lone CR)', (t) => {
  for (const s of ['', 'a', 'a\n', 'a\r\nb\r\n', 'a\nb\r\nc', '\n\n', '\uFEFF[x]\r\n  k = v \r\n', 'a\rb\n', FIXTURE]) {
    t.is(joinLines(splitLines(s)), s);
  }
  t.deepEqual(splitLines('a\r\nb'), [
    { text: 'a', eol: '\r\n' },
    { text: 'b', eol: '' },
  ]);
});

test('the stock Pegasus config.ini parses without problems, odd section names included', (t) => {
  const doc = parseIni(FIXTURE);
  t.deepEqual(doc.problems, []);
  const names = doc.sections.map((s) => s.name);
  t.true(names.includes('apps..default'));
  t.is(getValue(doc, 'zookeeper', 'hosts_list'), '%{zk.server.list}');
  t.is(getValue(doc, 'meta_server', 'cluster_root'), '/pegasus/%{cluster.name}');
  t.is(getValue(doc, 'apps.meta', 'ports'), '34601');
  // `  replica_white_list = ` (trailing space) is an empty value.
  t.is(getValue(doc, 'meta_server', 'replica_white_list'), '');
  t.is(doc.eol, '\n');
});

test('the parsed view lists switched-off ;key options, placeholders and no duplicates for the fixture', (t) => {
  const v = iniView(parseIni(FIXTURE));
  const toollets = v.commented.find((c) => c.section === 'core' && c.key === 'toollets');
  t.truthy(toollets);
  t.is(toollets?.value, 'tracer, profiler, fault_injector');
  // "# format_version=5. This provides ..." is prose, not a switched-off option.
  t.false(v.commented.some((c) => c.key === 'format_version'));
  t.true(v.placeholders.includes('%{cluster.name}'));
  t.true(v.placeholders.includes('%{zk.server.list}'));
  t.deepEqual(v.duplicates, []);
  const zk = v.sections.find((s) => s.name === 'zookeeper');
  t.is(zk?.entries.find((e) => e.key === 'hosts_list')?.raw, '  hosts_list = %{zk.server.list}');
});

test('Pegasus reading rules: inline comments, ^; escapes, bare keys, first definition wins', (t) => {
  const doc = parseIni('[s]\n  a = x ; note\n  b = p^;q # c\n  bare\n  d = 1\n  d = 2\n');
  t.is(getValue(doc, 's', 'a'), 'x');
  t.is(getValue(doc, 's', 'b'), 'p;q');
  t.is(getValue(doc, 's', 'bare'), '');
  t.is(getValue(doc, 's', 'd'), '1');
  t.deepEqual(iniView(doc).duplicates, [{ section: 's', key: 'd', lines: [5, 6] }]);
});

test('what Pegasus refuses to load is reported as problems with line numbers', (t) => {
  const doc = parseIni('k = before\n[a]\nx = 1\n[b = c]\n[a]\n[]\n[open\n');
  const lines = doc.problems.map((p) => p.line);
  t.deepEqual(lines, [1, 4, 5, 6, 7]);
  t.regex(doc.problems[0]?.message ?? '', /before any section/);
  t.regex(doc.problems[2]?.message ?? '', /defined again/);
});

test('pegasusSettings warns about hosts_list under [meta_server], where Pegasus ignores it', (t) => {
  const s = pegasusSettings(parseIni('[apps.meta]\n  ports = 34601\n[meta_server]\n  hosts_list = old:2181\n[zookeeper]\n  hosts_list = new:2181\n'));
  t.is(s.zkHostsList, 'new:2181');
  t.is(s.metaPort, 34601);
  t.is(s.zkTimeoutMs, 0);
  t.true(s.warnings.some((w) => /\[meta_server\], where Pegasus ignores it/.test(w)));
});

test('pegasusSettings of the fixture: meta port, ZooKeeper and lock settings as written', (t) => {
  const s = pegasusSettings(parseIni(FIXTURE));
  t.like(s, {
    metaPorts: '34601',
    metaPort: 34601,
    zkHostsList: '%{zk.server.list}',
    zkTimeoutMs: 10000,
    lockServiceParameters: '/pegasus/%{cluster.name}/lock',
    recoverFromReplicaServer: 'false',
    metaStateServiceType: 'meta_state_service_zookeeper',
  });
  t.deepEqual(s.warnings, []);
});

test('a UTF-8 BOM stays part of line 1 and does not hide the first section', (t) => {
  const doc = parseIni('\uFEFF[zookeeper]\n  hosts_list = a:1\n');
  t.is(doc.sections[0]?.name, 'zookeeper');
  t.is(findEntries(doc, 'zookeeper', 'hosts_list').length, 1);
});

test('section names with dots, :// and placeholders are read whole (as in Pegasus\'s uri-resolver sections)', (t) => {
  const doc = parseIni('[uri-resolver.dsn://%{cluster.name}]\n  factory = partition_resolver_simple\n  arguments = %{meta.server.list}\n');
  t.deepEqual(doc.problems, []);
  t.is(doc.sections[0]?.name, 'uri-resolver.dsn://%{cluster.name}');
  t.is(getValue(doc, 'uri-resolver.dsn://%{cluster.name}', 'arguments'), '%{meta.server.list}');
  t.deepEqual(iniView(doc).placeholders, ['%{cluster.name}', '%{meta.server.list}']);
});
