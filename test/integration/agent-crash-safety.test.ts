/**
 * SIGKILL of the agent in the middle of a stream of config edits must leave the file (and every
 * backup) as one complete version, never a mix or a truncation; the next start removes the
 * temporary files the killed agent left behind.
 */
import anyTest, { TestFn } from 'ava';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyEdits } from '../../shared/ini';
import { TestAgent, stopAllAgents } from '../harness/agent';
import { makeTestPki, TestPki } from '../harness/certs';
import { tempDir, waitFor } from '../harness/tmp';
import { PEGASUS_CONFIG_FIXTURE } from '../harness/fixtures';

const BASE = fs.readFileSync(PEGASUS_CONFIG_FIXTURE, 'utf8');
// A bigger file makes a torn write likelier if the write were not atomic (~400 KB).
const ORIGINAL = BASE + Array.from({ length: 8000 }, (_, i) => `; padding line ${i} so that writing this file takes a while\n`).join('');
const sha = (s: string | Buffer): string => crypto.createHash('sha256').update(s).digest('hex');
const ROUNDS = 12;

interface Ctx {
  pki: TestPki;
  dir: string;
  conf: string;
  agent: TestAgent;
  cleanup: () => void;
}
const test = anyTest as TestFn<Ctx>;

test.before(async (t) => {
  const pki = makeTestPki();
  const tmp = tempDir('zkmig-agent-kill-');
  const dir = fs.realpathSync(tmp.dir);
  const conf = path.join(dir, 'conf', 'config.ini');
  fs.mkdirSync(path.dirname(conf));
  fs.writeFileSync(conf, ORIGINAL);
  const agent = await TestAgent.start({ dir, pki, files: [conf], extra: { backups: { keep: 5 } } });
  t.context = { pki, dir, conf, agent, cleanup: () => (tmp.cleanup(), pki.cleanup()) };
});

test.after.always(async (t) => {
  await stopAllAgents();
  t.context.cleanup?.();
});

test('SIGKILL during a loop of edits never leaves a partial file or backup', async (t) => {
  const { agent, conf } = t.context;
  const value = (i: number): string => `zk-${i % 2 === 0 ? 'even' : 'odd'}-1:2181,zk-${i % 2 === 0 ? 'even' : 'odd'}-2:2181`;
  const valid = new Set([sha(ORIGINAL), ...[0, 1].map((i) => sha(applyEdits(ORIGINAL, [{ section: 'zookeeper', key: 'hosts_list', value: value(i) }]).content))]);
  let completed = 0;
  let killedInFlight = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const c = agent.client({ retry: { maxAttempts: 1 } });
    let inFlight = false;
    let stop = false;
    let done = 0;
    const loop = (async () => {
      for (let i = round; !stop; i++) {
        inFlight = true;
        try {
          await c.editConfig({ path: conf, edits: [{ section: 'zookeeper', key: 'hosts_list', value: value(i) }] });
          completed++;
          done++;
        } catch {
          return; // the agent is gone
        } finally {
          inFlight = false;
        }
      }
    })();
    // At least one whole edit per round (so the file moves), then a kill at a random moment.
    await waitFor('an edit to complete', () => done > 0, 20000, 5);
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 60)));
    if (inFlight) killedInFlight++;
    await agent.kill();
    stop = true;
    await loop;
    c.close();

    const now = fs.readFileSync(conf);
    t.true(valid.has(sha(now)), `round ${round}: the file is one whole version (${now.length} bytes)`);
    for (const b of fs.readdirSync(path.dirname(conf)).filter((n) => n.endsWith('.zkmig-backup'))) {
      t.true(valid.has(sha(fs.readFileSync(path.join(path.dirname(conf), b)))), `round ${round}: backup ${b} is whole`);
    }
    await agent.restart();
    const leftovers = fs.readdirSync(path.dirname(conf)).filter((n) => n.includes('.zkmig-tmp-'));
    t.deepEqual(leftovers, [], `round ${round}: the restarted agent removed temporary files`);
  }
  t.true(completed >= ROUNDS, `edits completed between kills (${completed})`);
  t.true(killedInFlight > ROUNDS / 2, `most kills hit an edit in flight (${killedInFlight}/${ROUNDS})`);
  // The agent is healthy after all that, and edits still work.
  const c = agent.client();
  t.teardown(() => c.close());
  const r = await c.editConfig({ path: conf, edits: [{ section: 'zookeeper', key: 'hosts_list', value: 'final:2181' }] });
  t.is(sha(fs.readFileSync(conf)), r.after_sha256);
  await waitFor('backups pruned to backups.keep', () => fs.readdirSync(path.dirname(conf)).filter((n) => n.endsWith('.zkmig-backup')).length <= 5, 5000);
});
