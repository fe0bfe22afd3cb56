import { Command } from 'commander';
import { checkHealth, HealthReport, HealthVerdict, parseExpectZk, renderHealth, waitHealthy } from '../lib/health';
import { selectCluster } from '../lib/inventory';
import { CliIO, EXIT, StatusLine } from '../lib/io';
import type { Register } from './index';
import { commandPool, durationArg, FleetFlags, fleetOptions, loadFleetInventory } from './fleet-options';

interface HealthFlags extends FleetFlags {
  cluster: string;
  expectZk?: string;
  wait?: number;
  interval?: number;
  agents?: boolean;
  json?: boolean;
}

const HELP = `
Check one Pegasus cluster through its shell (the inventory's pegasus_shell). Healthy means:
  - a leader meta answers cluster_info;
  - its zookeeper_hosts and zookeeper_root are the expected ones: --expect-zk when given, else
    what every meta's config.ini says, read through the agents (compared as sets of hosts and
    normalised roots);
  - every replica server is ALIVE (nodes);
  - every available table is fully healthy: partition_count == fully_healthy (ls -d);
  - the effective meta level is steady or lively (shown; an automatic freeze is explained).
The report names every node and table that is not healthy. Health needs only the shell: agents
that do not answer are a warning, not a failure (--no-agents skips them).

--wait DURATION polls (every --interval) until healthy or the deadline, then reports the last
check: use it after a restart or a migration step.

When not to use it: it does not look at config files beyond the ZooKeeper settings; use
"zkmig audit" for that. It changes nothing.

Permissions: the right to run the Pegasus shell; for the ZooKeeper comparison, the agents' TLS
files named in the inventory.

Output: a line per check (ok, FAIL, ?? could not tell, -- skipped) and warnings; with --json the
report object {cluster, verdict, leader, zookeeper, expectedZookeeper, level, nodes, tables,
checks, problems, warnings}, plus {wait: {attempts, waitedMs, healthy}} with --wait.

Exit codes: 0 healthy; 1 unhealthy; 2 could not tell (no meta answered, the shell could not be
run or timed out) or bad usage.

Examples:
  zkmig health -i inventory.yml --cluster c1
  zkmig health --cluster c1 --expect-zk zk1:2181,zk2:2181,zk3:2181/pegasus/c1 --wait 5m`;

const EXIT_OF: Record<HealthVerdict, number> = { healthy: EXIT.OK, unhealthy: EXIT.FINDINGS, unknown: EXIT.ERROR };

export const registerHealth: Register = (program: Command, io: CliIO) => {
  fleetOptions(
    program
      .command('health')
      .summary('check that a cluster is healthy (leader, ZooKeeper, nodes, tables, meta level)')
      .description('Check one Pegasus cluster through its shell: leader, ZooKeeper, replica nodes, tables, meta level.')
      .addHelpText('after', `${HELP}\n`)
      .requiredOption('--cluster <name>', 'the cluster (inventory group) to check')
      .option('--expect-zk <hosts/root>', 'the ZooKeeper the cluster must run on, e.g. zk1:2181,zk2:2181/pegasus/c1')
      .option('--wait <duration>', 'poll until healthy or this much time has passed (e.g. 90s, 5m)', durationArg('--wait'))
      .option('--interval <duration>', 'pause between polls with --wait (default: 2s)', durationArg('--interval'))
      .option('--no-agents', 'do not read the meta configs through the agents')
      .option('--json', 'print JSON for scripts'),
  ).action(async (flags: HealthFlags) => {
    const expectZk = flags.expectZk !== undefined ? parseExpectZk(flags.expectZk) : undefined;
    const inv = loadFleetInventory(flags, io);
    const cluster = selectCluster(inv, flags.cluster);
    const pool = expectZk || flags.agents === false ? undefined : commandPool(flags, { reuse: true });
    try {
      const opts = { cluster, ...(expectZk ? { expectZk } : {}), ...(pool ? { agents: pool } : {}) };
      let report: HealthReport;
      let wait: { attempts: number; waitedMs: number; healthy: boolean } | undefined;
      if (flags.wait !== undefined) {
        const status = new StatusLine(io.err, io.isTTY);
        const r = await waitHealthy(opts, {
          deadline: Date.now() + flags.wait,
          ...(flags.interval !== undefined ? { intervalMs: flags.interval } : {}),
          onReport: (rep, n) => {
            if (rep.verdict !== 'healthy') status.draw(`waiting for ${cluster.name}: check ${n}: ${rep.verdict} (${rep.checks.filter((c) => c.status !== 'pass').map((c) => c.name).join(', ')})`);
          },
        });
        status.clear();
        report = r.report;
        wait = { attempts: r.attempts, waitedMs: r.waitedMs, healthy: r.healthy };
      } else {
        report = await checkHealth(opts);
      }
      if (flags.json) io.out(`${JSON.stringify(wait ? { ...report, wait } : report, null, 2)}\n`);
      else io.out(renderHealth(report, io.columns) + (wait && !wait.healthy ? `still ${report.verdict} after ${Math.round(wait.waitedMs / 1000)} s (${wait.attempts} checks)\n` : ''));
      io.exitCode = EXIT_OF[report.verdict];
    } finally {
      pool?.close();
    }
  });
};
