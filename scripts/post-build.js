// tsc drops the executable bit; the package's bin entries and the simulator's entry points need it.
const fs = require('node:fs');
const path = require('node:path');
const root = path.join(__dirname, '..');
const pkg = require(path.join(root, 'package.json'));
const entries = [...Object.values(pkg.bin || {})];
for (const dir of ['dist/sim/bin', 'dist/coordinator/bin', 'dist/agent/bin']) {
  const abs = path.join(root, dir);
  if (fs.existsSync(abs)) for (const f of fs.readdirSync(abs)) if (f.endsWith('.js')) entries.push(path.join(dir, f));
}
for (const rel of entries) {
  const abs = path.join(root, rel);
  if (fs.existsSync(abs)) fs.chmodSync(abs, 0o755);
}
