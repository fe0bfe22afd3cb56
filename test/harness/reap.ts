/**
 * Run after `npm test`: kill every ZooKeeper the test harness started whose owning test worker is
 * gone (marker `-Dzkmig.owner=pid-<N>`), and report them. A leftover is a harness bug, so it also
 * makes the run fail.
 */
import * as fs from 'node:fs';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function findOrphans(): number[] {
  const orphans: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let cmd: string;
    try {
      cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    const m = /-Dzkmig\.owner=pid-(\d+)/.exec(cmd);
    if (m && !alive(Number(m[1]))) orphans.push(Number(d));
  }
  return orphans;
}

if (require.main === module) {
  const orphans = findOrphans();
  for (const pid of orphans) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  if (orphans.length > 0) {
    console.error(`reap: killed ${orphans.length} ZooKeeper process(es) left behind by tests: ${orphans.join(', ')}`);
    process.exitCode = 1;
  }
}
