import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PrivateSystemd } from '../harness/systemd';

// Proves the private-systemd harness that the deployment tests (agent unit, meta units, journal)
// stand on: boot, run a hardened unit, read its journal, shut down leaving nothing behind.
test('boots a private systemd, runs a hardened unit, reads the journal, powers off', async (t) => {
  // A canary in the host's /tmp: booting must never clean it (tmpfiles --remove would).
  const canary = fs.mkdtempSync(path.join(os.tmpdir(), 'zkmig-canary-'));
  const sd = await PrivateSystemd.boot();
  try {
    t.true((await sd.exec(['test', '-S', '/run/systemd/journal/socket'])).code === 0, 'journald socket exists inside');
    const r = await sd.exec(['systemd-run', '--unit=zkmig-probe', '-p', 'ProtectSystem=strict', '-p', 'NoNewPrivileges=yes', '-p', 'PrivateTmp=yes', 'sh', '-c', 'echo probe-ok; touch /usr/zkmig-probe || echo write-denied']);
    t.is(r.code, 0, r.stderr);
    const lines = await (async () => {
      for (let i = 0; i < 200; i++) {
        const j = (await sd.journal('-u', 'zkmig-probe.service')).map((e) => String(e.MESSAGE));
        if (j.some((m) => m === 'write-denied')) return j;
        await new Promise((res) => setTimeout(res, 50));
      }
      return [];
    })();
    t.true(lines.some((m) => /^probe-ok$/.test(m)), JSON.stringify(lines));
    t.true(lines.includes('write-denied'), 'ProtectSystem=strict made /usr read-only for the unit');
    t.is(lines.filter((m) => m === 'probe-ok').length, 1, 'the journal holds this boot only');
  } finally {
    await sd.shutdown();
  }
  let alive = true;
  try {
    process.kill(sd.pid, 0);
  } catch {
    alive = false;
  }
  t.false(alive, 'the namespace is gone after shutdown');
  t.true(fs.existsSync(canary), "the host's /tmp was left alone");
  fs.rmSync(canary, { recursive: true, force: true });
});
