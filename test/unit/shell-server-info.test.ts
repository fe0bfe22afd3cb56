import test from 'ava';
import { InvalidInputError, ShellCommandError } from '../../shared/errors';
import { parseServerInfo } from '../../coordinator/lib/shell';
import { sample } from './shell-fixtures';

test('v2.5.0 stderr layout from docs/pegasus-internals.md §4.8: a failed CALL is data', (t) => {
  t.deepEqual(parseServerInfo(sample('server_info.v2.5.stderr.txt')), {
    format: 'text',
    servers: [
      {
        role: 'meta-server',
        address: '10.0.0.1:34601',
        ok: true,
        message: 'Pegasus Server 2.5.0 (0ca31b70e4d9e6b1c0f6f4c4b4a6f0f1b9d6f3a2) Release, Started at 2024-05-01 12:00:00',
        version: '2.5.0',
        gitSha: '0ca31b70e4d9e6b1c0f6f4c4b4a6f0f1b9d6f3a2',
        buildType: 'Release',
        startTime: '2024-05-01 12:00:00',
      },
      { role: 'replica-server', address: '10.0.0.11:34801', ok: false, message: 'ERR_TIMEOUT' },
    ],
    succeedCount: 1,
    failedCount: 1,
  });
});

test('v2.5.0 full session with banner', (t) => {
  const r = parseServerInfo(sample('server_info.v2.5.session.txt'));
  t.is(r.servers.length, 6);
  t.true(r.servers.every((s) => s.ok && s.version === '2.5.0'));
});

test('master JSON on stdout', (t) => {
  const r = parseServerInfo(sample('server_info.master.json'));
  t.is(r.format, 'json');
  t.deepEqual(
    r.servers.map((s) => [s.role, s.address, s.ok, s.version ?? null, s.startTime ?? null]),
    [
      ['meta-server', 'meta1.example.com:34601', true, '2.6.0-SNAPSHOT', '2024-08-01 09:00:00'],
      ['meta-server', 'meta2.example.com:34601', true, '2.6.0-SNAPSHOT', '2024-08-01 09:00:05'],
      ['replica-server', 'replica1.example.com:34801', false, null, null],
    ],
  );
  t.is(r.servers[2]!.message, 'ERR_TIMEOUT');
  t.is(r.succeedCount, 2);
  t.is(r.failedCount, 1);
});

test('counts that do not match the CALL lines mean truncated output', (t) => {
  t.throws(() => parseServerInfo(sample('server_info.v2.5.truncated.txt')), { instanceOf: InvalidInputError, message: /Succeed count/ });
  const text = sample('server_info.v2.5.stderr.txt').replace('Succeed count: 1', 'Succeed count: 2');
  t.throws(() => parseServerInfo(text), { message: /do not match the 2 servers listed/ });
});

test('an unexpected answer or line is an error', (t) => {
  t.throws(() => parseServerInfo(sample('server_info.v2.5.stderr.txt').replace('Pegasus Server 2.5.0', 'Pegasus Thing 2.5.0')), { message: /expected "Pegasus Server <version>/ });
  t.throws(() => parseServerInfo(sample('server_info.v2.5.stderr.txt').replace('Failed count: 1', 'Failed count: 1\nmystery')), { message: /line \d+ "mystery"/ });
  t.throws(() => parseServerInfo(sample('server_info.master.json').replace('"meta-server"', '"collector"')), { message: /role "collector"/ });
});

test('list nodes failing inside server_info is a ShellCommandError', (t) => {
  const e = t.throws(() => parseServerInfo('list nodes failed, error=ERR_TIMEOUT\n'), { instanceOf: ShellCommandError }) as ShellCommandError;
  t.is(e.errorCode, 'ERR_TIMEOUT');
});
