import test from 'ava';
import { InvalidInputError, isInvalidInput } from '../../shared/errors';
import { parseInventory, resolveInventory } from '../../coordinator/lib/inventory';

const GOOD_VARS = ['[all:vars]', 'meta_config=/c.ini', 'pegasus_shell=run.sh shell --cluster {meta_servers}', 'agent_ca_file=/ca', 'agent_cert_file=/cert', 'agent_key_file=/key'];

/** Resolve INI text and return the error's message; fails the test if it does not throw. */
function problems(t: import('ava').ExecutionContext, text: string, format: 'ini' | 'yaml' = 'ini'): string {
  const e = t.throws(() => resolveInventory(parseInventory(text, format === 'ini' ? '/etc/zkmig/inv.ini' : '/etc/zkmig/inv.yml', format)));
  t.true(isInvalidInput(e), String(e));
  return e!.message;
}

test('unknown variables are ignored; a near-miss of a zkmig name is a warning naming the host or group, file and line', (t) => {
  const inv = resolveInventory(parseInventory([...GOOD_VARS, 'agent_prot=1', 'pegasus_version=2.5.0', '[c1]', 'm1 meta_confg=/x.ini mystery=1'].join('\n'), '/etc/zkmig/inv.ini'));
  t.deepEqual(inv.warnings, [
    '/etc/zkmig/inv.ini:7: group "all": unknown variable "agent_prot" (did you mean agent_port?); zkmig ignores it',
    '/etc/zkmig/inv.ini:10: host "m1": unknown variable "meta_confg" (did you mean meta_config?); zkmig ignores it',
  ]);
  t.is(inv.clusters[0]!.metas[0]!.metaConfig, '/c.ini');
  t.is(inv.clusters[0]!.metas[0]!.agentPort, 7443);
});

test('ansible_* variables are accepted', (t) => {
  t.notThrows(() => resolveInventory(parseInventory([...GOOD_VARS, '[c1]', 'm1 ansible_user=pegasus ansible_become=true'].join('\n'), '/i.ini')));
});

for (const [v, hint] of [
  ['meta_config', /absolute path/],
  ['pegasus_shell', /run\.sh shell/],
  ['agent_ca_file', /CA/],
  ['agent_cert_file', /mutual TLS/],
  ['agent_key_file', /private key/],
] as const) {
  test(`a missing ${v} names the host and the variable`, (t) => {
    const m = problems(t, [...GOOD_VARS.filter((l) => !l.startsWith(`${v}=`)), '[c1]', 'm1', 'm2'].join('\n'));
    t.regex(m, new RegExp(`host "m1" \\(cluster c1\\): missing required variable ${v}`));
    t.regex(m, new RegExp(`host "m2" \\(cluster c1\\): missing required variable ${v}`));
    t.regex(m, hint);
  });
}

test('a client certificate and key are required even with a token: agents always ask for one', (t) => {
  const m = problems(t, [...GOOD_VARS.filter((l) => !l.startsWith('agent_key_file') && !l.startsWith('agent_cert_file')), 'agent_token_file=/t', '[c1]', 'm1'].join('\n'));
  t.regex(m, /host "m1" \(cluster c1\): missing required variable agent_cert_file \(client certificate: agents always require mutual TLS\)/);
  t.regex(m, /missing required variable agent_key_file/);
});

test('bad values name host, variable, value and where it was set', (t) => {
  const m = problems(
    t,
    [
      ...GOOD_VARS,
      '[c1]',
      'm1 meta_port=0',
      'm2 agent_port=http',
      'm3 meta_config=relative/config.ini',
      'm4 ansible_host="bad host"',
      'm5 meta_service="a b"',
      'm6 agent_ca_file=~/ca.pem',
      'm7 meta_config="{{ pegasus_home }}/config.ini"',
      'm8 meta_port=65536',
    ].join('\n'),
  );
  t.regex(m, /inv\.ini:8: host "m1" \(cluster c1\): meta_port 0 is not a port number/);
  t.regex(m, /inv\.ini:9: host "m2" \(cluster c1\): agent_port "http" is not a port number/);
  t.regex(m, /inv\.ini:10: host "m3" .*meta_config "relative\/config.ini" must be an absolute path/);
  t.regex(m, /host "m4" .*ansible_host "bad host" is not a host name/);
  t.regex(m, /host "m5" .*meta_service "a b" is not a service name/);
  t.regex(m, /host "m6" .*agent_ca_file .*"~" is not expanded/);
  t.regex(m, /host "m7" .*meta_config is a Jinja2 template/);
  t.regex(m, /host "m8" .*meta_port 65536/);
});

test('YAML values of the wrong type are errors', (t) => {
  const m = problems(t, ['c1:', '  hosts:', '    m1:', '      meta_config: [/a, /b]', '  vars:', '    pegasus_shell: run.sh', '    agent_ca_file: /ca', '    agent_cert_file: /cert', '    agent_key_file: /key'].join('\n'), 'yaml');
  t.regex(m, /inv\.yml:4: host "m1" \(cluster c1\): meta_config must be a string/);
  const n = problems(t, ['c1:', '  hosts:', '    m1:', '      meta_port:', '  vars:', '    meta_config: /c.ini', '    pegasus_shell: run.sh', '    agent_ca_file: /ca', '    agent_cert_file: /cert', '    agent_key_file: /key'].join('\n'), 'yaml');
  t.regex(n, /inv\.yml:4: host "m1" \(cluster c1\): meta_port is set but has no value/);
});

test('pegasus_shell must agree across a cluster and be runnable without a shell', (t) => {
  t.regex(problems(t, [...GOOD_VARS, '[c1]', 'm1', 'm2 pegasus_shell=/other/run.sh'].join('\n')), /cluster c1: pegasus_shell must be the same for every meta.*host "m2" has "\/other\/run.sh" \(\/etc\/zkmig\/inv.ini:9\)/);
  t.regex(problems(t, [...GOOD_VARS, '[c1:vars]', 'pegasus_shell=run.sh shell | tee /tmp/x', '[c1]', 'm1'].join('\n')), /inv\.ini:8: cluster c1: pegasus_shell: .*unquoted shell character "\|"/);
  t.regex(problems(t, [...GOOD_VARS, '[c1:vars]', 'pegasus_shell=run.sh -c {metas}', '[c1]', 'm1'].join('\n')), /unknown placeholder \{metas\}/);
});

test('a host belongs to exactly one cluster group', (t) => {
  t.regex(problems(t, [...GOOD_VARS, '[c1]', 'm1', '[c2]', 'm1'].join('\n')), /inv\.ini:8: host "m1" is listed in several cluster groups \(c1, c2\)/);
  t.regex(problems(t, ['stray', ...GOOD_VARS, '[c1]', 'm1'].join('\n')), /inv\.ini:1: host "stray" is in no group/);
});

test('one meta server endpoint cannot appear twice', (t) => {
  t.regex(problems(t, [...GOOD_VARS, '[c1]', 'm1 ansible_host=10.0.0.1', 'm2 ansible_host=10.0.0.1'].join('\n')), /cluster c1: hosts "m1" and "m2" both resolve to meta server 10.0.0.1:34601/);
  t.regex(problems(t, [...GOOD_VARS, '[c1]', 'm1 ansible_host=10.0.0.1', '[c2]', 'm2 ansible_host=10.0.0.1'].join('\n')), /meta server 10.0.0.1:34601 appears in clusters c1 and c2/);
});

test('an inventory without any cluster is an error', (t) => {
  t.regex(problems(t, GOOD_VARS.join('\n')), /no cluster found/);
});

test('group loops are an error naming the loop', (t) => {
  t.regex(problems(t, [...GOOD_VARS, '[a:children]', 'b', '[b:children]', 'a', '[c1]', 'm1'].join('\n')), /group children form a loop: .*a.*b.*a|b.*a.*b/);
});

const malformedIni: [string, string, RegExp][] = [
  ['unknown section type', '[c1:hostz]\nm1', /inv\.ini:1: section \[c1:hostz\] has unknown type "hostz"/],
  ['section with a space', '[my group]\nm1', /inv\.ini:1: invalid section header "\[my group\]"/],
  ['host variable without =', '[c1]\nm1 meta_port', /inv\.ini:2: expected key=value host variable after host "m1", got "meta_port"/],
  ['vars line without =', '[c1:vars]\nmeta_port\n[c1]\nm1', /inv\.ini:2: expected key=value in \[c1:vars\], got "meta_port"/],
  ['bad variable name', '[c1:vars]\nmeta port=1\n[c1]\nm1', /inv\.ini:2: "meta port" is not a valid variable name/],
  ['undeclared child', '[p:children]\nc9\n[c1]\nm1', /inv\.ini:2: section \[p:children\] includes the undeclared group "c9"/],
  ['vars of an undeclared group', '[c9:vars]\nmeta_port=1\n[c1]\nm1', /inv\.ini:1: section \[c9:vars\] is for a group that is never declared/],
  ['two groups on a children line', '[p:children]\nc1 c2\n[c1]\nm1', /inv\.ini:2: expected one group name per line/],
  ['bad host range', '[c1]\nm[5:1]', /inv\.ini:2: host pattern "m\[5:1\]": range begins after it ends/],
  ['unbalanced quote', '[c1]\nm1 a="x', /inv\.ini:2: cannot parse host line: unterminated double quote/],
];
for (const [what, text, re] of malformedIni) {
  test(`malformed INI: ${what}`, (t) => {
    const e = t.throws(() => parseInventory(text, '/etc/zkmig/inv.ini', 'ini'), { instanceOf: InvalidInputError });
    t.regex(e!.message, re);
    t.is(e!.context.file, '/etc/zkmig/inv.ini');
  });
}

const malformedYaml: [string, string, RegExp][] = [
  ['syntax error', 'all:\n  children:\n    c1:\n      hosts:\n        m1: {a: 1\n', /inv\.yml:\d+: malformed YAML/],
  ['bad indentation', 'all:\n  hosts:\n    m1:\n   m2:\n', /inv\.yml:\d+: malformed YAML/],
  ['duplicate key', 'c1:\n  hosts:\n    m1:\n  hosts:\n    m2:\n', /inv\.yml:4: malformed YAML: Map keys must be unique/],
  ['unexpected key', 'c1:\n  host:\n    m1:\n', /inv\.yml:2: unexpected key "host" in group "c1" \(only hosts, vars and children are valid\)/],
  ['group is a list', 'c1:\n  - m1\n', /inv\.yml:2: group "c1" must be a mapping/],
  ['hosts is a list', 'c1:\n  hosts:\n    - m1\n', /inv\.yml:2: "hosts" of group "c1" must be a mapping/],
  ['host vars are a list', 'c1:\n  hosts:\n    m1: [a]\n', /inv\.yml:3: host "m1" must be followed by a mapping/],
  ['vars is a string', 'c1:\n  vars: x\n', /inv\.yml:2: "vars" of group "c1" must be a mapping/],
  ['empty file', '# nothing\n', /inv\.yml: the YAML inventory is empty/],
  ['root is a list', '- c1\n', /inv\.yml:1: a YAML inventory must be a mapping of group names/],
  ['bad host range', 'c1:\n  hosts:\n    m[a:3]:\n', /inv\.yml:3: host pattern "m\[a:3\]"/],
];
for (const [what, text, re] of malformedYaml) {
  test(`malformed YAML: ${what}`, (t) => {
    const e = t.throws(() => parseInventory(text, '/etc/zkmig/inv.yml', 'yaml'), { instanceOf: InvalidInputError });
    t.regex(e!.message, re);
  });
}
