#!/usr/bin/env node
// Build the agent's install artifact: dist/artifact/zkmig-agent-<version>.tgz, one bundled
// JavaScript file (esbuild) plus the .proto files it loads at start, so that a meta-server host
// needs only node >= 20: no npm, no node_modules, no compiler. The native journald binding
// (systemd-journald) is left out; the agent then writes its audit records as JSON lines on stderr,
// which the unit sends to the journal (agent/audit.ts). The tarball is reproducible (sorted names,
// fixed mtime and owner, gzip without a timestamp), so the same source gives the same bytes and
// the Ansible role's copy reports "changed" only when the agent really changed.
//
// Layout (one top directory, unpack with --strip-components=1 into the prefix, /opt/zkmig):
//   zkmig-agent-<version>/package.json        name, version, bin; systemd-journald as optional
//   zkmig-agent-<version>/dist/agent/main.js  the bundle, with main.ts's node flags on line 1
//   zkmig-agent-<version>/proto/...           the gRPC contract, loaded at start
//   zkmig-agent-<version>/deploy/...          unit, example config, install-agent.sh, make-certs.sh
// Usage: node scripts/pack-agent.js [--out DIR]   (default DIR: dist/artifact)
// Prints the artifact's path and sizes as one JSON line.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.join(__dirname, '..');
const pkg = require(path.join(root, 'package.json'));
const entry = path.join(root, 'dist', 'agent', 'bundle-entry.js');
const main = path.join(root, 'dist', 'agent', 'main.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('pack-agent: dist/agent/bundle-entry.js is missing: run npm run build first\n');
  process.exit(2);
}
const name = `zkmig-agent-${pkg.version}`;
const outAt = process.argv.indexOf('--out');
const outDir = outAt > 0 && process.argv[outAt + 1] ? path.resolve(process.argv[outAt + 1]) : path.join(root, 'dist', 'artifact');
const stage = path.join(outDir, name);
fs.rmSync(stage, { recursive: true, force: true });
fs.mkdirSync(path.join(stage, 'dist', 'agent'), { recursive: true });

// The node flags on main.js's first line are part of the agent (memory, see agent/main.ts).
const shebang = fs.readFileSync(main, 'utf8').split('\n', 1)[0];
if (!shebang.startsWith('#!')) throw new Error(`${main}: no #! line with the agent's node flags`);
esbuild.buildSync({
  entryPoints: [entry],
  outfile: path.join(stage, 'dist', 'agent', 'main.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // Native: needs a compiler at install time. Loaded in a try (agent/audit.ts); without it audit
  // records go to stderr.
  external: ['systemd-journald'],
  banner: { js: shebang },
  legalComments: 'eof',
  logLevel: 'warning',
});
fs.chmodSync(path.join(stage, 'dist', 'agent', 'main.js'), 0o755);
fs.cpSync(path.join(root, 'proto'), path.join(stage, 'proto'), { recursive: true });
fs.mkdirSync(path.join(stage, 'deploy'));
for (const f of ['zkmig-agent.service', 'agent.yaml', 'install-agent.sh', 'make-certs.sh']) {
  fs.copyFileSync(path.join(root, 'deploy', f), path.join(stage, 'deploy', f));
}
const journald = pkg.dependencies['systemd-journald'];
fs.writeFileSync(
  path.join(stage, 'package.json'),
  JSON.stringify(
    {
      name: 'zkmig-agent',
      version: pkg.version,
      description: 'zkmig host agent, bundled: needs only node >= 20',
      license: pkg.license,
      private: true,
      engines: pkg.engines,
      bin: { 'zkmig-agent': 'dist/agent/main.js' },
      // `npm install --omit=dev` in the prefix, on a host with g++ and libsystemd-dev, adds the
      // native binding and with it structured journal fields (journalctl ZKMIG_EVENT=mutation).
      optionalDependencies: { 'systemd-journald': journald },
      allowScripts: { 'systemd-journald': true },
    },
    null,
    2,
  ) + '\n',
);
const tgz = path.join(outDir, `${name}.tgz`);
const tar = execFileSync('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', outDir, '-cf', '-', name], { maxBuffer: 256 << 20 });
fs.writeFileSync(tgz, execFileSync('gzip', ['-n', '-9'], { input: tar, maxBuffer: 256 << 20 }));
const du = (p) => (fs.statSync(p).isDirectory() ? fs.readdirSync(p).reduce((n, f) => n + du(path.join(p, f)), 0) : fs.statSync(p).size);
process.stdout.write(
  JSON.stringify({ artifact: tgz, tarballBytes: fs.statSync(tgz).size, installedBytes: du(stage), bundleBytes: fs.statSync(path.join(stage, 'dist', 'agent', 'main.js')).size }) + '\n',
);
