/** Run `zkmig` commands concurrently in one fresh coordinator process (coordinator-run-main.ts). */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './certs';

export interface CoordinatorRun {
  code: number;
  out: string;
  err: string;
  /** Wall time of this command inside the coordinator process. */
  ms: number;
}

const MAIN = path.join(__dirname, 'coordinator-run-main.js');
const CLI = path.join(REPO_ROOT, 'dist', 'coordinator', 'cli.js');

/** The node flags `zkmig` runs with in production: those on the first line of cli.js. */
function cliNodeFlags(): string[] {
  const first = fs.readFileSync(CLI, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\/usr\/bin\/env -S node(.*)$/.exec(first);
  return m ? (m[1] ?? '').trim().split(/\s+/).filter(Boolean) : [];
}

/** Resolves with each command's result and the coordinator's peak RSS; rejects if the process itself failed. */
export function runCoordinator(argvs: string[][]): Promise<{ runs: CoordinatorRun[]; maxRssMiB: number }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...cliNodeFlags(), MAIN, JSON.stringify(argvs)], { maxBuffer: 256 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`coordinator process failed: ${err.message}\n${stderr.slice(-2000)}`));
      else resolve(JSON.parse(stdout) as { runs: CoordinatorRun[]; maxRssMiB: number });
    });
  });
}
