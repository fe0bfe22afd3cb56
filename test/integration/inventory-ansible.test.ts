import test from 'ava';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadInventory, matchHosts } from '../../coordinator/lib/inventory';
import { zkmig } from './zk-helpers';
import { tempDir } from '../harness/tmp';
import { repoRoot } from '../unit/shell-fixtures';

// The third form of -i: the output of the real `ansible-inventory --list` (Debian's ansible).
const SITE = path.join(repoRoot(), 'test/fixtures/inventory/site/hosts.ini');

function ansibleInventory(args: string[]): string {
  const tmp = tempDir('zkmig-ansible-home-');
  try {
    const r = spawnSync('ansible-inventory', args, {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, HOME: tmp.dir, ANSIBLE_LOCAL_TEMP: path.join(tmp.dir, 'tmp'), ANSIBLE_NOCOLOR: '1' },
    });
    if (r.status !== 0) throw new Error(`ansible-inventory ${args.join(' ')} exited ${r.status}: ${r.stderr} ${r.error ?? ''}`);
    return r.stdout;
  } finally {
    tmp.cleanup();
  }
}

for (const flags of [['--list'], ['--list', '--export']]) {
  test(`ansible-inventory ${flags.join(' ')} output resolves to the same clusters as the inventory it was made from`, (t) => {
    const tmp = tempDir('zkmig-ansible-json-');
    try {
      const json = path.join(tmp.dir, 'site.json');
      fs.writeFileSync(json, ansibleInventory(['-i', SITE, ...flags]));
      const fromJson = loadInventory({ file: json, env: {}, checkFiles: false });
      const fromIni = loadInventory({ file: SITE, env: {}, checkFiles: false });
      t.is(fromJson.format, 'ansible-json');
      t.deepEqual(fromJson.clusters, fromIni.clusters);
      t.deepEqual(fromJson.groups['dc_shanghai'], fromIni.groups['dc_shanghai']);
      t.deepEqual(fromJson.groups['zookeeper'], fromIni.groups['zookeeper']);
      t.true(fromJson.warnings.some((w) => /unknown variable "meta_servise" \(did you mean meta_service\?\)/.test(w)), fromJson.warnings.join('\n'));
    } finally {
      tmp.cleanup();
    }
  });
}

test("zkmig's precedence agrees with Ansible's for every variable zkmig reads, on every meta", (t) => {
  const ans = JSON.parse(ansibleInventory(['-i', SITE, '--list'])) as { _meta: { hostvars: Record<string, Record<string, unknown>> } };
  const inv = loadInventory({ file: SITE, env: {}, checkFiles: false });
  let checked = 0;
  for (const c of inv.clusters) {
    for (const m of c.metas) {
      const v = ans._meta.hostvars[m.name]!;
      t.is(m.address, String(v['ansible_host'] ?? m.name), `${m.name} ansible_host`);
      t.is(m.metaPort, Number(v['meta_port'] ?? 34601), `${m.name} meta_port`);
      t.is(m.agentPort, Number(v['agent_port'] ?? 7443), `${m.name} agent_port`);
      t.is(m.metaConfig, v['meta_config'] as string, `${m.name} meta_config`);
      t.is(m.metaService, (v['meta_service'] as string | undefined) ?? 'pegasus-meta', `${m.name} meta_service`);
      t.is(m.tls.caFile, v['agent_ca_file'] as string, `${m.name} agent_ca_file`);
      t.is(m.tls.tokenFile, v['agent_token_file'] as string | undefined, `${m.name} agent_token_file`);
      checked++;
    }
  }
  t.is(checked, 7);
});

test('--limit patterns select the same hosts as ansible --list-hosts', (t) => {
  const inv = loadInventory({ file: SITE, env: {}, checkFiles: false });
  for (const pattern of ['c?-meta1*', 'meta_servers:&dc_shanghai:!c3-meta2', '!zookeeper,&meta_servers', 'c1[1:2],~^zk[13]', 'dc_beijing:!c1_replica']) {
    const out = spawnSync('ansible', [pattern, '-i', SITE, '--list-hosts'], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ANSIBLE_NOCOLOR: '1' } });
    t.is(out.status, 0, out.stderr);
    const theirs = out.stdout.split('\n').slice(1).map((l) => l.trim()).filter((l) => l !== '').sort();
    t.deepEqual([...matchHosts(inv, pattern).hosts].sort(), theirs, pattern);
  }
});

test('zkmig inventory -l shows only the metas a pattern selects', async (t) => {
  const r = await zkmig(['inventory', '-i', SITE, '-l', 'meta_servers:&dc_shanghai:!c3*', '--json']);
  t.is(r.code, 0, r.err);
  const inv = JSON.parse(r.out) as { clusters: { name: string; metas: { name: string }[] }[] };
  t.deepEqual(inv.clusters.map((c) => [c.name, c.metas.map((m) => m.name)]), [['c2', ['c2-meta1.example.com', 'c2-meta2.example.com']]]);
  const none = await zkmig(['inventory', '-i', SITE, '-l', 'zookeeper']);
  t.is(none.code, 2);
  t.regex(none.err, /--limit "zookeeper" selects no meta server/);
});
