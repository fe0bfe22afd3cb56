/**
 * Loaded into every ava worker before its test file (package.json, ava.require). Two guards that
 * turn a hang of the whole suite into a named message:
 *
 *  - ava waits for each worker process to exit by itself once its tests are done. A test file that
 *    leaves something open (a child process, a socket, a timer) keeps its worker, and with it the
 *    run, alive for ever. ava's inactivity timeout does not catch it: a test that sets `t.timeout(P)`
 *    suspends that timeout for P, and a trigger that fires inside P is dropped, not re-armed
 *    (ava/lib/api.js, TimeoutTrigger.trigger). So when ava is done with the worker, give it
 *    EXIT_GRACE_MS to exit, then name what is still open on stderr and exit.
 *  - A test file running longer than FILE_LIMIT_MS (the slowest, the Ansible deploy under load,
 *    takes about 15 minutes) is stuck: say so and fail the file, so the run ends.
 */
import * as path from 'node:path';

const EXIT_GRACE_MS = 10_000;
const FILE_LIMIT_MS = 20 * 60_000;

const t0 = Date.now();

/** The worker's test file: ava passes it over IPC, not argv; by the time it matters it is loaded. */
function testFile(): string {
  const f = Object.keys(require.cache).find((k) => k.endsWith('.test.js'));
  return f ? path.relative(process.cwd(), f) : 'a test file';
}

setTimeout(() => {
  process.stderr.write(`worker-exit: ${testFile()} still runs after ${FILE_LIMIT_MS / 60_000} minutes (open: ${process.getActiveResourcesInfo().join(', ')}); failing it\n`);
  process.exit(1);
}, FILE_LIMIT_MS).unref();

// registerCompletionHandler is exported by ava's ESM entry only (its CommonJS entry lacks it), and
// tsc turns import() into require() in a CommonJS build: a real import() goes through Function.
const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<{ registerCompletionHandler: (fn: () => void) => void }>;

/** What is open now beyond `baseline`, by kind (TCPWrap, ProcessWrap, Timeout...). */
function opened(baseline: readonly string[]): string[] {
  const left = [...baseline];
  return process.getActiveResourcesInfo().filter((r) => {
    const i = left.indexOf(r);
    if (i < 0) return true;
    left.splice(i, 1);
    return false;
  });
}

/** ava awaits a required module's default export before it loads the test file: the handler is in place before any test can finish. */
export default async function installWorkerExit(): Promise<void> {
  const { registerCompletionHandler } = await importEsm('ava');
  // What every worker has open (its IPC channel, stdio, this file's timers), left out of the report.
  const baseline = [...process.getActiveResourcesInfo(), 'Timeout'];
  registerCompletionHandler(() => {
    setTimeout(() => {
      const open = opened(baseline);
      process.stderr.write(`worker-exit: ${testFile()} kept its worker alive ${EXIT_GRACE_MS / 1000} s after its tests (${Math.round((Date.now() - t0) / 1000)} s in all; open: ${open.join(', ') || 'nothing named'}); exiting\n`);
      process.exit(0);
    }, EXIT_GRACE_MS).unref();
  });
}
