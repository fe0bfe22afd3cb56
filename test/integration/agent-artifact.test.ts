/**
 * The agent's install artifact (issue 18): one bundled file plus the .proto files, installed by
 * unpacking it into an empty directory on a "host" without a compiler, npm or any node_modules,
 * runs, answers RPCs over mutual TLS, and, with the native journald binding absent, writes its
 * audit records as JSON lines on stderr after one warning.
 *
 * The host without a compiler is a private mount namespace (`unshare -m`) in which every compiler,
 * make and npm found on this machine is covered by /dev/null, and the install directory has no
 * node_modules above it; the agent runs with a bare environment (no NODE_PATH).
 */
import test from 'ava';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import YAML from 'yaml';
import { AgentClient } from '../../coordinator/lib/agent-client';
import { makeTestPki } from '../harness/certs';
import { packAgent } from '../harness/artifact';
import { waitFor } from '../harness/tmp';

const NO_COMPILER = ['gcc', 'g++', 'cc', 'c++', 'clang', 'make', 'npm', 'npx', 'node-gyp'];

test('the packed agent installs by unpacking on a host without a compiler, answers over mTLS and audits to stderr', async (t) => {
  fs.mkdirSync('/var/lib/zkmig-test', { recursive: true });
  const dir = fs.mkdtempSync('/var/lib/zkmig-test/artifact-');
  const pki = makeTestPki();
  let proc: ChildProcess | undefined;
  t.teardown(() => {
    if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    pki.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const packed = packAgent(path.join(dir, 'out'));
  t.regex(path.basename(packed.artifact), /^zkmig-agent-\d+\.\d+\.\d+\.tgz$/);

  // What is in it: no node_modules, and the bundle needs no package but the optional binding.
  const listing = execFileSync('tar', ['-tzf', packed.artifact], { encoding: 'utf8' }).split('\n');
  t.false(listing.some((l) => l.includes('node_modules')), listing.join('\n'));
  const top = listing[0]!.split('/')[0]!;
  for (const want of ['dist/agent/main.js', 'proto/zkmig/agent/v1/agent.proto', 'proto/grpc/health/v1/health.proto', 'package.json', 'deploy/zkmig-agent.service']) {
    t.true(listing.includes(`${top}/${want}`), `${want} missing from the artifact`);
  }
  // Everything an installed agent loads is in the tarball; the installed size is measured by pack-agent.js.
  t.true(packed.installedBytes < 8 << 20, `installed size ${packed.installedBytes} bytes`);

  const install = path.join(dir, 'host', 'opt', 'zkmig');
  const meta = path.join(dir, 'host', 'meta', 'config.ini');
  fs.mkdirSync(path.dirname(meta), { recursive: true });
  fs.writeFileSync(meta, '[zookeeper]\n  hosts_list = old1:2181,old2:2181\n');
  const config = path.join(dir, 'host', 'agent.yaml');
  fs.writeFileSync(
    config,
    YAML.stringify({
      listen: '127.0.0.1:0',
      tls: { ca: pki.ca, cert: pki.agent.cert, key: pki.agent.key, allowedClients: ['coordinator'] },
      stateDir: path.join(dir, 'host', 'state'),
      files: [{ path: meta }],
      services: [],
      // This machine has no journal socket: `journald` makes the agent try the binding anyway,
      // exactly what happens under the unit on a real host.
      auditSink: 'journald',
    }),
  );
  const script = [
    'set -e',
    // Cover every compiler and package manager (unshare -m gives these mounts to this process only).
    `for b in ${NO_COMPILER.join(' ')}; do p=$(command -v "$b" || true); if [ -n "$p" ]; then mount --bind /dev/null "$(readlink -f "$p")"; fi; done`,
    `for b in ${NO_COMPILER.join(' ')}; do if "$b" --version >/dev/null 2>&1; then echo "$b still runs" >&2; exit 9; fi; done`,
    `mkdir -p ${install}`,
    `tar -xzf ${packed.artifact} -C ${install} --strip-components=1`,
    `test ! -e ${install}/node_modules`,
    `exec env -i PATH=/usr/bin:/bin ${install}/dist/agent/main.js --config ${config}`,
  ].join('\n');
  const stderr = path.join(dir, 'agent.stderr');
  const err = fs.openSync(stderr, 'w');
  proc = spawn('unshare', ['-m', 'sh', '-c', script], { stdio: ['ignore', 'ignore', err] });
  fs.closeSync(err);
  const records = (): Record<string, unknown>[] =>
    fs
      .readFileSync(stderr, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const serving = await waitFor(
    'the installed agent to serve',
    () => {
      if (proc!.exitCode !== null) throw new Error(`the installed agent exited with ${proc!.exitCode}: ${fs.readFileSync(stderr, 'utf8').slice(-3000)}`);
      return records().find((r) => r.event === 'lifecycle' && r.state === 'serving');
    },
    60000,
    50,
  );
  const port = Number(String(serving.address).split(':').pop());
  const c = new AgentClient({ address: `127.0.0.1:${port}`, tls: { ca: pki.ca, cert: pki.coordinator.cert, key: pki.coordinator.key, serverName: 'localhost' }, coordinator: 'artifact-test' });
  try {
    const facts = await c.facts();
    t.is(facts.agent_version, JSON.parse(fs.readFileSync(path.join(install, 'package.json'), 'utf8')).version);
    const edit = await c.editConfig({ path: meta, edits: [{ section: 'zookeeper', key: 'hosts_list', value: 'new1:2181' }] });
    t.true(edit.changed);
  } finally {
    c.close();
  }
  t.regex(fs.readFileSync(meta, 'utf8'), /hosts_list = new1:2181/);

  // One warning that the binding is missing, then the audit trail as JSON lines on stderr.
  const recs = await waitFor('the mutation audit record', () => (records().some((r) => r.event === 'mutation') ? records() : undefined), 10000);
  const warnings = recs.filter((r) => r.event === 'warning');
  t.is(warnings.length, 1, JSON.stringify(warnings));
  t.is(warnings[0]!.level, 'warning');
  t.regex(String(warnings[0]!.msg), /journald binding did not load.*systemd-journald/);
  const mutation = recs.find((r) => r.event === 'mutation')!;
  t.is(mutation.target, meta);
  t.is(mutation.result, 'ok');
  t.is(mutation.client, 'O=zkmig/CN=coordinator');

  proc.kill('SIGTERM');
  const code = await new Promise<number | null>((r) => (proc!.exitCode !== null ? r(proc!.exitCode) : proc!.once('exit', (c2) => r(c2))));
  t.is(code, 0);
});

test('the bundle requires no package at run time but the optional journald binding', (t) => {
  fs.mkdirSync('/var/lib/zkmig-test', { recursive: true });
  const dir = fs.mkdtempSync('/var/lib/zkmig-test/artifact-');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const packed = packAgent(dir);
  const name = path.basename(packed.artifact, '.tgz');
  const bundle = fs.readFileSync(path.join(dir, name, 'dist', 'agent', 'main.js'), 'utf8');
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  const required = new Set([...bundle.matchAll(/\brequire\(\s*["']([^"'./][^"']*)["']\s*\)/g)].map((m) => m[1]!));
  const outside = [...required].filter((m) => !builtins.has(m));
  t.deepEqual(outside, ['systemd-journald']);
  t.regex(bundle.split('\n', 1)[0]!, /^#!\/usr\/bin\/env -S node --max-semi-space-size=1/);
});
