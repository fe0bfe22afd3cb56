/**
 * The agent's install artifact (scripts/pack-agent.js) for tests: packed once into a directory the
 * caller owns, so that test files running in parallel never share one output.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { REPO_ROOT } from './certs';

export const PACK_AGENT = path.join(REPO_ROOT, 'scripts', 'pack-agent.js');

export interface PackedAgent {
  /** Absolute path of zkmig-agent-<version>.tgz. */
  artifact: string;
  tarballBytes: number;
  installedBytes: number;
  bundleBytes: number;
}

export function packAgent(outDir: string): PackedAgent {
  const out = execFileSync(process.execPath, [PACK_AGENT, '--out', outDir], { encoding: 'utf8', timeout: 120000 });
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as PackedAgent;
}
