import test from 'ava';
import { main } from '../../coordinator/cli';
import { CliIO } from '../../coordinator/lib/io';
import { inventoryFixture } from './inventory-helpers';

async function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = { out: (s) => void (out += s), err: (s) => void (err += s), isTTY: false, env, confirm: async () => false };
  const code = await main(args, io);
  return { code, out, err };
}

test('zkmig inventory prints every cluster as a table, warnings on stderr', async (t) => {
  const r = await run(['inventory', '-i', inventoryFixture('two-clusters.ini')]);
  t.is(r.code, 0);
  t.regex(r.out, /^Inventory .*two-clusters\.ini \(ini\): 2 clusters, 5 meta servers$/m);
  t.regex(r.out, /^Cluster c1: 3 meta servers$/m);
  t.regex(r.out, /^ {2}shell {6}\/opt\/pegasus\/run.sh shell --cluster meta1.example.com:34601,meta2.example.com:34601,meta3.example.com:34601$/m);
  t.regex(r.out, /^ {2}HOST +ADDRESS +META PORT +AGENT PORT +SERVICE +CONFIG$/m);
  t.regex(r.out, /^ {2}c2-meta2 +10\.0\.1\.2 +34611 +9443 +pegasus-meta +\/home\/work\/app\/pegasus\/meta\/config.ini$/m);
  t.regex(r.out, /^ {4}c2-meta2: ca .*certs\/ca.pem, cert .*, key .*, token \/etc\/zkmig\/c2.token$/m);
  t.regex(r.err, /^warning: agent_ca_file .*certs\/ca.pem does not exist on this machine \(hosts meta1.example.com, meta2.example.com, meta3.example.com, c2-meta1, c2-meta2\)$/m);
  t.is(r.err.split('\n').filter(Boolean).length, 4);
});

test('--json --cluster prints one cluster as JSON; ZKMIG_INVENTORY is read', async (t) => {
  const r = await run(['inventory', '--json', '--cluster', 'c2'], { ZKMIG_INVENTORY: inventoryFixture('two-clusters.yml') });
  t.is(r.code, 0);
  const j = JSON.parse(r.out);
  t.is(j.format, 'yaml');
  t.deepEqual(j.clusters.map((c: { name: string }) => c.name), ['c2']);
  t.deepEqual(j.clusters[0].shell.argv, ['/opt/pegasus/run.sh', 'shell', '--cluster', '10.0.1.1:34611,10.0.1.2:34611']);
  t.is(j.clusters[0].metas[1].tls.tokenFile, '/etc/zkmig/c2.token');
});

test('an unknown cluster, a missing inventory and an invalid one exit 2 with the reason', async (t) => {
  const a = await run(['inventory', '-i', inventoryFixture('two-clusters.ini'), '--cluster', 'nope']);
  t.is(a.code, 2);
  t.regex(a.err, /Error: no cluster "nope"/);
  const b = await run(['inventory']);
  t.is(b.code, 2);
  t.regex(b.err, /Error: no inventory given: pass -i FILE or set ZKMIG_INVENTORY/);
  const c = await run(['inventory', '-i', inventoryFixture('precedence.ini').replace('precedence.ini', 'missing.ini')]);
  t.is(c.code, 2);
  t.regex(c.err, /missing\.ini does not exist/);
});

test('zkmig inventory --help documents the variables', async (t) => {
  const r = await run(['inventory', '--help']);
  t.is(r.code, 0);
  for (const v of ['ansible_host', 'meta_port', 'agent_port', 'meta_config', 'meta_service', 'pegasus_shell', 'agent_ca_file', 'agent_token_file', '{meta_servers}']) t.true(r.out.includes(v), v);
});
