/**
 * Entry point of the bundled agent (scripts/pack-agent.js). In a bundle `require.main === module`
 * is false inside agent/main.ts (every file becomes a closure with its own `module`), so this file
 * runs `main` the way main.ts does when node starts it directly: same exit codes, same error line.
 */
import { runMain } from './main';

runMain();
