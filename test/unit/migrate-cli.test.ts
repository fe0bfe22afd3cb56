/** The migration commands' argument handling through the real CLI entry (no fleet needed). */
import test from 'ava';
import * as fs from 'node:fs';
import { main } from '../../coordinator/cli';
import type { CliIO } from '../../coordinator/lib/io';
import { tempDir } from '../harness/tmp';

async function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = { out: (t) => void (out += t), err: (t) => void (err += t), isTTY: false, env, confirm: async () => false };
  return { code: await main(args, io), out, err };
}

test('bad --to, --method or missing --yes with --json are refused before anything is journaled', async (t) => {
  const state = tempDir('zkmig-cli-state-');
  try {
    const env = { ZKMIG_STATE_DIR: state.dir, ZKMIG_INVENTORY: '/nonexistent/inventory.yml' };
    const path = await run(['migrate', '--cluster', 'c1', '--to', 'zk1:2181/pegasus/c1', '--method', 'copy', '--yes'], env);
    t.is(path.code, 2);
    t.regex(path.err, /give the new ensemble's hosts only/);
    const method = await run(['migrate', '--cluster', 'c1', '--to', 'zk1:2181', '--method', 'zkcopy', '--yes'], env);
    t.is(method.code, 2);
    t.regex(method.err, /Allowed choices are copy, recover/);
    const json = await run(['migrate', '--cluster', 'c1', '--to', 'zk1:2181', '--method', 'copy', '--json'], env);
    t.is(json.code, 2);
    t.regex(json.err, /--json needs --yes/);
    t.deepEqual(fs.readdirSync(state.dir), []);
  } finally {
    state.cleanup();
  }
});

test('an inventory that does not exist is refused before any run starts', async (t) => {
  const state = tempDir('zkmig-cli-state-');
  try {
    const r = await run(['migrate', '--cluster', 'c1', '--to', 'zk1:2181', '--method', 'copy', '--yes'], { ZKMIG_STATE_DIR: state.dir, ZKMIG_INVENTORY: '/nonexistent/inventory.yml' });
    t.is(r.code, 2);
    t.regex(r.err, /inventory \/nonexistent\/inventory.yml does not exist/);
    t.false(fs.existsSync(state.dir) && fs.readdirSync(state.dir).length > 0);
  } finally {
    state.cleanup();
  }
});

test('status, resume and rollback name what is missing', async (t) => {
  const state = tempDir('zkmig-cli-state-');
  try {
    const env = { ZKMIG_STATE_DIR: state.dir };
    t.like(await run(['status'], env), { code: 0, out: `No runs in ${state.dir}.\n` });
    const r = await run(['resume', 'c1-20240101T000000Z-abcd', '--yes'], env);
    t.is(r.code, 2);
    t.regex(r.err, /no run c1-20240101T000000Z-abcd in/);
    const b = await run(['rollback', '../etc/passwd', '--yes'], env);
    t.is(b.code, 2);
    t.regex(b.err, /is not a run id/);
  } finally {
    state.cleanup();
  }
});
