/**
 * Paths of the fixtures vendored in test/fixtures/ (see test/fixtures/pegasus/README.md for their
 * provenance). Everything the tests read lives inside the repository: a fresh clone runs alone.
 */
import * as path from 'node:path';

/** The repository root, from dist/test/harness/ (compiled) or test/harness/ (ts-node style). */
const REPO = path.resolve(__dirname, '..', '..', ...(path.basename(path.resolve(__dirname, '..', '..')) === 'dist' ? ['..'] : []));

export const FIXTURES_DIR = path.join(REPO, 'test', 'fixtures');
/** The real Pegasus server config.ini (production template with `%{...}` placeholders). */
export const PEGASUS_CONFIG_FIXTURE = path.join(FIXTURES_DIR, 'pegasus', 'config.ini');
/** The real Pegasus shell config.ini. */
export const PEGASUS_SHELL_CONFIG_FIXTURE = path.join(FIXTURES_DIR, 'pegasus', 'shell-config.ini');
