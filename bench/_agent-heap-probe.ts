/**
 * Not a benchmark (the leading `_` keeps bench/run.ts from listing it): bench/agent.ts starts the
 * real agent through this wrapper, with --expose-gc, to read the heap the agent really retains.
 * On SIGUSR2 it runs a full GC and prints `HEAP <bytes>` on stderr. RSS alone cannot tell a leak
 * from garbage V8 has not collected yet (old space grows until a major GC).
 */
import { runMain } from '../agent/main';

process.on('SIGUSR2', () => {
  (globalThis as { gc?: () => void }).gc?.();
  process.stderr.write(`HEAP ${process.memoryUsage().heapUsed}\n`);
});

runMain();
