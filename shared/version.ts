// eslint-disable-next-line @typescript-eslint/no-require-imports
const pkg = require('../../package.json') as { version: string };

/** The package version, reported by `--version` and by the agent's facts. */
export const VERSION: string = pkg.version;
