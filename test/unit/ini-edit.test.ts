import test from 'ava';
import * as fs from 'node:fs';
import { isInvalidInput, isPrecondition } from '../../shared/errors';
import { applyEdits, getValue, parseIni, splitLines } from '../../shared/ini';
import { PEGASUS_CONFIG_FIXTURE } from '../harness/fixtures';

const FIXTURE = fs.readFileSync(PEGASUS_CONFIG_FIXTURE, 'utf8');

/** Indexes of lines that differ, for same-length texts. */
function changedLines(a: string, b: string): number[] {
  const al = splitLines(a);
  const bl = splitLines(b);
  if (al.length !== bl.length) throw new Error(`line counts differ: ${al.length} vs ${bl.length}`);
  return al.flatMap((l, i) => (l.text + l.eol !== (bl[i]?.text ?? '') + (bl[i]?.eol ?? '') ? [i] : []));
}

test('changing [zookeeper] hosts_list on the stock config changes exactly that one line; a second run changes nothing', (t) => {
  const edit = [{ section: 'zookeeper', key: 'hosts_list', value: 'zk1:2181,zk2:2181,zk3:2181' }];
  const r = applyEdits(FIXTURE, edit);
  t.true(r.changed);
  const diff = changedLines(FIXTURE, r.content);
  t.is(diff.length, 1);
  t.is(splitLines(r.content)[diff[0] as number]?.text, '  hosts_list = zk1:2181,zk2:2181,zk3:2181');
  t.deepEqual(r.outcomes.map((o) => o.action), ['updated']);
  const again = applyEdits(r.content, edit);
  t.false(again.changed);
  t.is(again.content, r.content);
  t.deepEqual(again.outcomes.map((o) => o.action), ['unchanged']);
});

test('CRLF files stay CRLF, and only the edited line changes', (t) => {
  const crlf = FIXTURE.replace(/\n/g, '\r\n');
  const r = applyEdits(crlf, [
    { section: 'zookeeper', key: 'hosts_list', value: 'a:1' },
    { section: 'zookeeper', key: 'zoo_log_level', value: 'ZOO_LOG_LEVEL_WARN' },
  ]);
  t.false(/[^\r]\n/.test(r.content), 'every line end is still CRLF');
  t.is(splitLines(r.content).length, splitLines(crlf).length + 1);
  t.regex(r.content, /\r\n {2}zoo_log_level = ZOO_LOG_LEVEL_WARN\r\n/);
});

test('a new key takes its section\'s indentation and "=" spacing', (t) => {
  const r = applyEdits(FIXTURE, [
    { section: 'zookeeper', key: 'sasl_mechanisms_type', value: 'GSSAPI' },
    { section: 'meta_server.apps.stat', key: 'envs', value: 'x=1' },
  ]);
  t.regex(r.content, /\n {2}logfile = zoo\.log\n {2}sasl_mechanisms_type = GSSAPI\n/);
  // [meta_server.apps.stat] has unindented keys in the stock file.
  t.regex(r.content, /\nstateful = true\nenvs = x=1\n/);
  t.is(getValue(parseIni(r.content), 'meta_server.apps.stat', 'envs'), 'x=1');
});

test(';key lines are never uncommented: an active line is added and the comment stays', (t) => {
  const r = applyEdits(FIXTURE, [{ section: 'task.LPC_REPLICATION_INIT_LOAD', key: 'is_profile', value: 'false' }]);
  t.true(r.content.includes('[task.LPC_REPLICATION_INIT_LOAD]\n'));
  const before = FIXTURE.split('\n').filter((l) => l === '  ;is_profile = true').length;
  t.is(r.content.split('\n').filter((l) => l === '  ;is_profile = true').length, before);
  t.is(getValue(parseIni(r.content), 'task.LPC_REPLICATION_INIT_LOAD', 'is_profile'), 'false');
  t.true(r.warnings.some((w) => /exists only as a comment/.test(w)));
});

test('an edited line keeps its inline comment and spacing; other trailing spaces are untouched', (t) => {
  const src = '[s]\n  a   =   1   ; keep me\n  b = 2   \n';
  const r = applyEdits(src, [{ section: 's', key: 'a', value: '22' }]);
  t.is(r.content, '[s]\n  a   =   22   ; keep me\n  b = 2   \n');
});

test('values with ; or # are escaped so Pegasus reads them back exactly', (t) => {
  const r = applyEdits('[s]\n  a = 1\n', [{ section: 's', key: 'a', value: 'x;y#z' }]);
  t.is(r.content, '[s]\n  a = x^;y^#z\n');
  t.is(getValue(parseIni(r.content), 's', 'a'), 'x;y#z');
  t.false(applyEdits(r.content, [{ section: 's', key: 'a', value: 'x;y#z' }]).changed);
});

test('empty values: "key =" and "key = " get one space before a new value', (t) => {
  t.is(applyEdits('[s]\n  a =\n', [{ section: 's', key: 'a', value: 'v' }]).content, '[s]\n  a = v\n');
  t.is(applyEdits('[s]\n  a = \n', [{ section: 's', key: 'a', value: 'v' }]).content, '[s]\n  a = v\n');
  t.is(applyEdits('[s]\n  a\n', [{ section: 's', key: 'a', value: 'v' }]).content, '[s]\n  a = v\n');
});

test('a duplicate key is an error unless the edit says which occurrence', (t) => {
  const src = '[s]\n  d = 1\n  d = 2\n';
  const e = t.throws(() => applyEdits(src, [{ section: 's', key: 'd', value: '9' }]));
  t.true(isPrecondition(e));
  t.regex(e?.message ?? '', /defined 2 times \(lines 2, 3\)/);
  t.is(applyEdits(src, [{ section: 's', key: 'd', value: '9', occurrence: 2 }]).content, '[s]\n  d = 1\n  d = 9\n');
  t.is(applyEdits(src, [{ section: 's', key: 'd', value: '9', occurrence: -1 }]).content, '[s]\n  d = 9\n  d = 9\n');
  t.is(applyEdits(src, [{ section: 's', key: 'd', absent: true, occurrence: -1 }]).content, '[s]\n');
  t.true(isPrecondition(t.throws(() => applyEdits(src, [{ section: 's', key: 'd', value: '9', occurrence: 3 }]))));
});

test('a missing section is created only when asked, at the end after a blank line', (t) => {
  t.true(isPrecondition(t.throws(() => applyEdits(FIXTURE, [{ section: 'security', key: 'enable_auth', value: 'false' }]))));
  const r = applyEdits(FIXTURE, [{ section: 'security', key: 'enable_auth', value: 'false', createSection: true }]);
  t.true(r.content.startsWith(FIXTURE));
  t.true(r.content.endsWith('\n\n[security]\n  enable_auth = false\n') || r.content.endsWith('\n[security]\n  enable_auth = false\n'));
  t.deepEqual(r.outcomes.map((o) => o.action), ['section-added']);
  t.false(applyEdits(r.content, [{ section: 'security', key: 'enable_auth', value: 'false', createSection: true }]).changed);
});

test('absent removes the line; absent again is no change; absent of a missing section is no change', (t) => {
  const r = applyEdits(FIXTURE, [{ section: 'zookeeper', key: 'logfile', absent: true }]);
  t.false(r.content.includes('logfile = zoo.log'));
  t.is(splitLines(r.content).length, splitLines(FIXTURE).length - 1);
  const again = applyEdits(r.content, [{ section: 'zookeeper', key: 'logfile', absent: true }]);
  t.false(again.changed);
  t.deepEqual(again.outcomes.map((o) => o.action), ['absent-already']);
  t.false(applyEdits(FIXTURE, [{ section: 'nope', key: 'x', absent: true }]).changed);
});

test('a file without a final newline keeps not having one', (t) => {
  t.is(applyEdits('[s]\n  a = 1', [{ section: 's', key: 'a', value: '2' }]).content, '[s]\n  a = 2');
  t.is(applyEdits('[s]\n  a = 1', [{ section: 's', key: 'b', value: '2' }]).content, '[s]\n  a = 1\n  b = 2');
  t.is(applyEdits('[s]\n  a = 1\n  b = 2', [{ section: 's', key: 'b', absent: true }]).content, '[s]\n  a = 1');
});

test('malformed edits are rejected before anything is computed, naming the edit', (t) => {
  const bad = [
    { section: 's', key: 'a', value: 'x\ny' },
    { section: 's', key: 'a=b', value: 'x' },
    { section: 's', key: ';a', value: 'x' },
    { section: 's]', key: 'a', value: 'x' },
    { section: '', key: 'a', value: 'x' },
    { section: 's', key: 'a' },
    { section: 's', key: 'a', value: 'x', absent: true },
    { section: 's', key: 'a', value: ' padded ' },
  ];
  for (const e of bad) {
    const err = t.throws(() => applyEdits('[s]\n  a = 1\n', [{ section: 's', key: 'a', value: '1' }, e]));
    t.true(isInvalidInput(err), JSON.stringify(e));
    t.regex(err?.message ?? '', /^edits\[1\]/);
  }
});

test('a section defined twice (which Pegasus refuses) is not edited', (t) => {
  t.true(isPrecondition(t.throws(() => applyEdits('[s]\n  a = 1\n[s]\n  b = 2\n', [{ section: 's', key: 'a', value: '2' }]))));
});

test('a key in a section named like [uri-resolver.dsn://%{cluster.name}] is edited in place', (t) => {
  const src = '[uri-resolver.dsn://%{cluster.name}]\n  factory = partition_resolver_simple\n  arguments = %{meta.server.list}\n';
  const r = applyEdits(src, [{ section: 'uri-resolver.dsn://%{cluster.name}', key: 'arguments', value: 'h1:34601,h2:34601' }]);
  t.is(r.content, '[uri-resolver.dsn://%{cluster.name}]\n  factory = partition_resolver_simple\n  arguments = h1:34601,h2:34601\n');
});
