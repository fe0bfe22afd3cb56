import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { validateAgentConfig } from '../../agent/config-validate';
import { isInvalidInput } from '../../shared/errors';
import { tempDir } from '../harness/tmp';

const t0 = tempDir('zkmig-agent-config-');
const DIR = fs.realpathSync(t0.dir);
const INI = path.join(DIR, 'config.ini');
fs.writeFileSync(INI, '[zookeeper]\n  hosts_list = a:1\n');
for (const f of ['ca.pem', 'cert.pem', 'key.pem']) fs.writeFileSync(path.join(DIR, f), '-----BEGIN X-----\n');
fs.symlinkSync(INI, path.join(DIR, 'link.ini'));
test.after.always(() => t0.cleanup());

const tls = { ca: path.join(DIR, 'ca.pem'), cert: path.join(DIR, 'cert.pem'), key: path.join(DIR, 'key.pem') };
const NODE = process.execPath;

function check(raw: unknown, opts = {}): ReturnType<typeof validateAgentConfig> {
  return validateAgentConfig(raw, 'agent.yaml', { env: { PATH: '/usr/bin:/bin' }, ...opts });
}

function errorOf(raw: unknown, opts = {}): string {
  try {
    check(raw, opts);
  } catch (e) {
    if (!isInvalidInput(e)) throw e;
    return (e as Error).message;
  }
  throw new Error('expected the config to be rejected');
}

test('defaults are applied and argv[0] is resolved to an absolute path', (t) => {
  const c = check({ tls, files: [{ path: INI }], services: [{ name: 'meta', backend: 'command', configFile: INI, command: { start: ['node', '-e', '1'] } }] }, { env: { PATH: path.dirname(NODE) } });
  t.deepEqual(c.listen, { host: '0.0.0.0', port: 7443 });
  t.is(c.stateDir, '/var/lib/zkmig-agent');
  t.deepEqual(c.files, [{ path: INI, backupDir: DIR }]);
  const svc = c.services[0];
  t.is(svc?.command?.start[0], path.join(path.dirname(NODE), 'node'));
  t.is(svc?.command?.pidFile, '/var/lib/zkmig-agent/services/meta.pid');
  t.is(svc?.command?.type, 'simple');
  t.is(svc?.graceMs, 5000);
  t.is(c.limits.maxRequestBytes, 1 << 20);
});

test('every error names the key that is wrong', (t) => {
  const cases: [unknown, RegExp][] = [
    [{ tls, lisen: 'x' }, /agent\.yaml: lisen: unknown key/],
    [{ tls: { ...tls, cafile: 'x' } }, /tls\.cafile: unknown key/],
    [{ tls: { cert: tls.cert, key: tls.key } }, /tls\.ca: is required/],
    [{ tls: { ...tls, ca: '/no/such/ca.pem' } }, /tls\.ca: \/no\/such\/ca\.pem does not exist/],
    [{ tls, listen: 'nohostport' }, /listen: "nohostport" is not host:port/],
    [{ tls, files: [{ path: 'relative.ini' }] }, /files\[0\]\.path: "relative\.ini" must be an absolute path/],
    [{ tls, files: [{ path: `${DIR}/../x.ini` }] }, /files\[0\]\.path: .* must be normalised/],
    [{ tls, files: [{ path: path.join(DIR, 'link.ini') }] }, /files\[0\]\.path: .* is or goes through a symlink/],
    [{ tls, files: [{ path: INI }, { path: INI }] }, /files\[1\]\.path: .* is listed twice/],
    [{ tls, services: [{ name: 'm', backend: 'upstart' }] }, /services\[0\]\.backend: "upstart" must be systemd or command/],
    [{ tls, services: [{ name: 'bad name', backend: 'command' }] }, /services\[0\]\.name:/],
    [{ tls, services: [{ name: 'm', backend: 'command' }] }, /services\[0\]\.command: is required/],
    [{ tls, services: [{ name: 'm', backend: 'command', command: { start: 'node meta.js' } }] }, /services\[0\]\.command\.start: must be a non-empty list of strings/],
    [{ tls, services: [{ name: 'm', backend: 'command', command: { start: ['no-such-binary-zkmig'] } }] }, /services\[0\]\.command\.start\[0\]: "no-such-binary-zkmig" is not an executable file in PATH/],
    [{ tls, services: [{ name: 'm', backend: 'command', command: { start: ['/bin/true'], type: 'forking' } }] }, /services\[0\]\.command\.pidFile: is required for type: forking/],
    [{ tls, services: [{ name: 'm', backend: 'command', command: { start: ['/bin/true'], env: { A: 1 } } }] }, /services\[0\]\.command\.env\.A: must be a string/],
    [{ tls, services: [{ name: 'm', backend: 'command', configFile: '/etc/other.ini', command: { start: ['/bin/true'] } }] }, /services\[0\]\.configFile: \/etc\/other\.ini is not one of the managed files/],
    [{ tls, services: [{ name: 'm', backend: 'command', graceMs: -1, command: { start: ['/bin/true'] } }] }, /services\[0\]\.graceMs: must be an integer/],
    [{ tls, services: [{ name: 'm', backend: 'systemd', unit: 'rm -rf' }] }, /services\[0\]\.unit: "rm -rf" is not a unit name/],
    // Security finding 17 (docs/reliability.md): read by systemctl as an option (-H: run on another host).
    [{ tls, services: [{ name: 'm', backend: 'systemd', unit: '-Hroot@evil.service' }] }, /services\[0\]\.unit: "-Hroot@evil\.service" is not a unit name/],
    [{ tls, services: [{ name: 'm', backend: 'command', command: { start: ['/bin/true'] } }, { name: 'm', backend: 'command', command: { start: ['/bin/true'] } }] }, /services\[1\]\.name: "m" is listed twice/],
  ];
  for (const [raw, re] of cases) t.regex(errorOf(raw), re, JSON.stringify(raw));
});

test('--insecure is refused unless the listen address is loopback, and then needs no TLS files', (t) => {
  t.regex(errorOf({ listen: '0.0.0.0:7443' }, { insecure: true }), /listen: --insecure is only allowed on a loopback address/);
  t.regex(errorOf({}, { insecure: true, listen: '10.1.2.3:1' }), /--listen: --insecure is only allowed on a loopback address, not 10\.1\.2\.3/);
  const c = check({ listen: '127.0.0.1:0' }, { insecure: true });
  t.true(c.insecure);
  t.is(c.tls, null);
  t.is(check({}, { insecure: true, listen: '[::1]:0' }).listen.host, '::1');
});

test('precedence: defaults < file < ZKMIG_AGENT_LISTEN < --listen', (t) => {
  t.is(check({ tls, listen: '127.0.0.1:1' }).listen.port, 1);
  t.is(check({ tls, listen: '127.0.0.1:1' }, { env: { ZKMIG_AGENT_LISTEN: '127.0.0.1:2' } }).listen.port, 2);
  t.is(check({ tls, listen: '127.0.0.1:1' }, { env: { ZKMIG_AGENT_LISTEN: '127.0.0.1:2' }, listen: '127.0.0.1:3' }).listen.port, 3);
});

test('deploy/agent.yaml, the documented example, is a valid config (with its paths pointed at test files)', (t) => {
  const text = fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'deploy', 'agent.yaml'), 'utf8');
  // Uncomment the command-backend example and the auth block too, so every documented key is checked.
  const uncommented = text
    .split('\n')
    .map((l) => l.replace(/^ {2}# (- name: pegasus-meta-2|  (backend|configFile|graceMs|command|  (type|start|pidFile|logFile|cwd|env|  LD_LIBRARY_PATH)):)/, '  $1'))
    .map((l) => l.replace(/^# (auth:|  tokenFile:)/, '$1'))
    .join('\n')
    .replaceAll('/etc/zkmig-agent/ca.pem', tls.ca)
    .replaceAll('/etc/zkmig-agent/agent.pem', tls.cert)
    .replaceAll('/etc/zkmig-agent/agent-key.pem', tls.key)
    .replaceAll('/etc/zkmig-agent/token', tls.key)
    .replaceAll('/etc/pegasus/meta/config.ini', INI)
    .replaceAll('/etc/pegasus/meta2/config.ini', INI)
    .replaceAll('/opt/pegasus/bin/pegasus_server', NODE)
    .replaceAll('cwd: /opt/pegasus', `cwd: ${DIR}`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const YAML = require('yaml') as typeof import('yaml');
  const raw = YAML.parse(uncommented) as Record<string, unknown>;
  t.truthy((raw.auth as Record<string, unknown> | undefined)?.tokenFile, 'the auth example was uncommented');
  const c = check(raw);
  t.deepEqual(c.services.map((s) => s.name), ['pegasus-meta', 'pegasus-meta-2']);
  t.is(c.services[1]?.command?.start[0], NODE);
  t.is(c.services[1]?.command?.env.LD_LIBRARY_PATH, '/opt/pegasus/lib');
  t.deepEqual(c.tls?.allowedClients, ['coordinator']);
});
