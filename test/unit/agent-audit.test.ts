import test from 'ava';
import * as net from 'node:net';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { AuditLog, JournaldSink, JsonLinesSink, openAuditSink } from '../../agent/audit';
import { tempDir } from '../harness/tmp';

test('JSON lines: one object per record, ts and level first, mutation fields kept', (t) => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (b: Buffer) => (text += b.toString()));
  const log = new AuditLog(new JsonLinesSink(out));
  log.record({
    event: 'mutation',
    method: 'EditConfig',
    requestId: 'r1',
    client: 'O=zkmig/CN=coordinator',
    coordinator: 'alice@ops',
    peer: '127.0.0.1:5',
    checkMode: false,
    target: '/etc/pegasus/config.ini',
    changed: true,
    beforeSha256: 'aa',
    afterSha256: 'bb',
    result: 'ok',
    msg: 'applied',
    durationMs: 3,
  });
  log.record({ event: 'tls-rejected', peer: '10.0.0.9:4', reason: 'NO_CLIENT_CERTIFICATE', msg: 'client sent no certificate' });
  const lines = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  t.is(lines.length, 2);
  t.deepEqual(Object.keys(lines[0] ?? {}).slice(0, 3), ['ts', 'level', 'event']);
  t.like(lines[0], { level: 'info', client: 'O=zkmig/CN=coordinator', beforeSha256: 'aa', afterSha256: 'bb', changed: true });
  t.like(lines[1], { level: 'warning', event: 'tls-rejected', reason: 'NO_CLIENT_CERTIFICATE' });
});

test('without the journal socket the sink is stderr and says why', (t) => {
  const s = openAuditSink('/nonexistent/journal/socket');
  t.is(s.kind, 'stderr');
  t.regex(s.why ?? '', /does not exist/);
});

test('with a journal socket present the native journald sink is used, with ZKMIG_* fields', async (t) => {
  // A socket file at a path of our own: openAuditSink only checks that it exists (the native
  // binding itself always talks to /run/systemd/journal/socket).
  const d = tempDir('zkmig-journal-');
  t.teardown(d.cleanup);
  const sock = path.join(d.dir, 'socket');
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(sock, r));
  t.teardown(() => srv.close());
  const s = openAuditSink(sock);
  t.is(s.kind, 'journald');
  t.true(s.sink instanceof JournaldSink);
  // Field mapping, checked on a stand-in for the binding.
  const seen: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  class FakeJournald {
    constructor(readonly defaults: Record<string, string>) {}
    info(msg: string, fields: Record<string, unknown>): void {
      seen.push({ level: 'info', msg, fields });
    }
    warning(msg: string, fields: Record<string, unknown>): void {
      seen.push({ level: 'warning', msg, fields });
    }
    err(msg: string, fields: Record<string, unknown>): void {
      seen.push({ level: 'err', msg, fields });
    }
  }
  new AuditLog(new JournaldSink(FakeJournald as never)).record({ event: 'denied', method: 'ReadConfig', requestId: 'r', client: 'c', coordinator: '', peer: 'p', checkMode: false, target: '/etc/shadow', result: 'PERMISSION_DENIED', msg: 'no', durationMs: 1 });
  t.is(seen[0]?.level, 'warning');
  t.is(seen[0]?.msg, 'no');
  t.like(seen[0]?.fields, { zkmig_event: 'denied', zkmig_target: '/etc/shadow', zkmig_request_id: 'r', zkmig_check_mode: 'false' });
});

test('auditSink can force stderr even where the journal socket exists, or journald where it does not', async (t) => {
  const d = tempDir('zkmig-journal2-');
  t.teardown(d.cleanup);
  const sock = path.join(d.dir, 'socket');
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(sock, r));
  t.teardown(() => srv.close());
  t.is(openAuditSink(sock, 'stderr').kind, 'stderr');
  t.is(openAuditSink('/nonexistent/socket', 'journald').kind, 'journald');
});
