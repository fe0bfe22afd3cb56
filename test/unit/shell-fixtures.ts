import * as fs from 'node:fs';
import * as path from 'node:path';

/** The repository root: the nearest parent of the compiled test that holds test/fixtures. */
export function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'test/fixtures')) && fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no repository root above ${__dirname}`);
  }
}

/** Path of a golden shell sample (test/fixtures/shell-samples, copied from docs/pegasus-internals.md §4). */
export function samplePath(name: string): string {
  return path.join(repoRoot(), 'test/fixtures/shell-samples', name);
}

export function sample(name: string): string {
  return fs.readFileSync(samplePath(name), 'utf8');
}
