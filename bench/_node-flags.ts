/**
 * The node flags `zkmig` runs with: those on the first line of dist/coordinator/cli.js (the bin
 * entry). Benchmarks that run coordinator code in a child process pass them, so what they measure
 * is what an operator's `zkmig` does, not a default-tuned node.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const CLI = path.join(__dirname, '..', 'coordinator', 'cli.js');

export function cliNodeFlags(): string[] {
  const first = fs.readFileSync(CLI, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\/usr\/bin\/env -S node(.*)$/.exec(first);
  return m ? (m[1] ?? '').trim().split(/\s+/).filter(Boolean) : [];
}
