/**
 * Security finding 8 (docs/reliability.md), against a real agent process: a FIFO, a socket or a device planted in
 * place of a managed file must get a prompt, clear answer naming the path, and must not wedge the
 * agent's file operations (a blocking open of a FIFO holds one of libuv's four pool threads until a
 * writer appears, and with them every fsync of every other edit).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { stopAllAgents, TestAgent } from '../harness/agent';
import { makeTestPki } from '../harness/certs';
import { PEGASUS_CONFIG_FIXTURE } from '../harness/fixtures';
import { tempDir } from '../harness/tmp';

test.after.always(stopAllAgents);

test('a FIFO and a socket at managed paths get prompt errors naming them, and the agent keeps serving other files', async (t) => {
  const tmp = tempDir('zkmig-agent-fifo-');
  const pki = makeTestPki();
  t.teardown(() => (tmp.cleanup(), pki.cleanup()));
  const dir = fs.realpathSync(tmp.dir);
  const fifo = path.join(dir, 'fifo', 'config.ini');
  const sock = path.join(dir, 'sock', 'config.ini');
  const good = path.join(dir, 'good', 'config.ini');
  for (const f of [fifo, sock, good]) {
    fs.mkdirSync(path.dirname(f));
    fs.copyFileSync(PEGASUS_CONFIG_FIXTURE, f);
  }
  const agent = await TestAgent.start({ dir, pki, files: [fifo, sock, good], token: 'tok' });
  // The attack: the managed files replaced by a FIFO and a listening Unix socket.
  fs.rmSync(fifo);
  t.is(spawnSync('mkfifo', [fifo]).status, 0);
  fs.rmSync(sock);
  const server = net.createServer().listen(sock);
  t.teardown(() => server.close());
  await new Promise((r) => server.once('listening', r));

  const c = agent.client({ deadlines: { readMs: 4000, editMs: 4000 }, retry: { maxAttempts: 1 } });
  t.teardown(() => c.close());
  const started = Date.now();
  // More concurrent fact reads than libuv has pool threads: each used to block one for good.
  const facts = await Promise.all(Array.from({ length: 6 }, () => c.facts()));
  for (const f of facts) {
    const byPath = new Map(f.files.map((x) => [x.path, x]));
    t.regex(byPath.get(fifo)?.error ?? '', /is a FIFO, not a regular file/);
    t.regex(byPath.get(sock)?.error ?? '', /is a socket, not a regular file/);
    t.is(byPath.get(good)?.error, '');
    t.true(f.warnings.some((w) => w.includes(fifo)));
  }
  const readErr = await t.throwsAsync(c.readConfig(fifo));
  t.true(readErr?.message.includes(fifo) && /FIFO/.test(readErr.message), readErr?.message);
  const editErr = await t.throwsAsync(c.editConfig({ path: sock, edits: [{ section: 'meta_server', key: 'k', value: 'v' }] }));
  t.true(editErr?.message.includes(sock) && /socket/.test(editErr.message), editErr?.message);
  // The other file is still read and edited (its fsyncs need a free pool thread).
  const edited = await c.editConfig({ path: good, edits: [{ section: 'meta_server', key: 'zz_probe', value: '1' }] });
  t.true(edited.changed);
  t.regex(fs.readFileSync(good, 'utf8'), /zz_probe = 1/);
  t.is(await c.health(), 'SERVING');
  t.true(Date.now() - started < 4000, `all answers within 4 s (took ${Date.now() - started} ms)`);
  // Nothing was written into the FIFO's directory (no backup, no temporary file).
  t.deepEqual(fs.readdirSync(path.dirname(fifo)), ['config.ini']);
});
