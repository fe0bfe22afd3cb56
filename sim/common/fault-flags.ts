/**
 * Test-only fault knobs of the simulator, used by the fault matrix (test/reliability). A real
 * Pegasus has nothing like them; they exist so that a test can make one particular start fail
 * without touching the config the migration edits.
 */

/** A file of this name beside a meta's config.ini makes that meta's next start fail (exit 1); the start consumes it. */
export const FAIL_NEXT_START_FILE = 'sim-fail-next-start';
