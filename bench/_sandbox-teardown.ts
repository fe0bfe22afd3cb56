/**
 * Not a benchmark (the leading `_` keeps bench/run.ts from listing it): the end of a bench that
 * brought a sandbox up in `base`, shared by the sandbox and migrate benches.
 */
import * as fs from 'node:fs';
import { sandboxDown } from '../coordinator/lib/sandbox';

/** Stop the sandbox in `dir` and remove `base`, unless `--keep` was given (then say where it runs). */
export async function teardownBenchSandbox(args: string[], dir: string, base: string, say: (m: string) => void): Promise<void> {
  if (args.includes('--keep')) {
    say(`sandbox left running in ${dir}`);
    return;
  }
  await sandboxDown(dir).catch(() => undefined);
  fs.rmSync(base, { recursive: true, force: true });
}
