/**
 * Security finding 9 (docs/reliability.md), against a real agent process: backup names are not trusted. Backup files
 * planted with far-future times in their names (or a host clock that was once wrong) must not make
 * the agent prune the backup it has just made, nor hide it from ListBackups.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stopAllAgents, TestAgent } from '../harness/agent';
import { makeTestPki } from '../harness/certs';
import { PEGASUS_CONFIG_FIXTURE } from '../harness/fixtures';
import { tempDir, waitFor } from '../harness/tmp';

test.after.always(stopAllAgents);

test('backups planted with future names in their names and mtimes do not get the new backup pruned', async (t) => {
  const tmp = tempDir('zkmig-agent-prune-');
  const pki = makeTestPki();
  t.teardown(() => (tmp.cleanup(), pki.cleanup()));
  const dir = fs.realpathSync(tmp.dir);
  const conf = path.join(dir, 'conf', 'config.ini');
  fs.mkdirSync(path.dirname(conf));
  fs.copyFileSync(PEGASUS_CONFIG_FIXTURE, conf);
  const keep = 3;
  const agent = await TestAgent.start({ dir, pki, files: [conf], token: 'tok', extra: { backups: { keep } } });
  // The attack: 10 backup names from 2099, with mtimes to match (touch -d).
  const future = new Date('2099-12-31T00:00:00Z');
  const planted = Array.from({ length: 10 }, (_, i) => path.join(path.dirname(conf), `config.ini.20991231T000000.000Z-${i + 1}.zkmig-backup`));
  for (const p of planted) {
    fs.writeFileSync(p, 'planted\n');
    fs.utimesSync(p, future, future);
  }
  const c = agent.client();
  t.teardown(() => c.close());
  const r = await c.editConfig({ path: conf, edits: [{ section: 'meta_server', key: 'zz_probe', value: '1' }] });
  t.true(r.changed);
  t.truthy(r.backup_file);
  // Pruning runs after the answer: wait until it has brought the count down to `keep`.
  const left = await waitFor('pruning down to backups.keep', () => {
    const names = fs.readdirSync(path.dirname(conf)).filter((n) => n.endsWith('.zkmig-backup'));
    return names.length === keep ? names : undefined;
  }, 10000);
  t.true(left.includes(path.basename(r.backup_file)), `the new backup survived (left: ${left.join(', ')})`);
  const list = await c.listBackups(conf);
  t.is(list.backups[0]?.path, r.backup_file, 'ListBackups shows the real newest backup first');
  t.is(list.backups[0]?.sha256, r.before_sha256);
});
