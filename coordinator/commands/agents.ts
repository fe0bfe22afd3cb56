import { Command } from 'commander';
import { pingAgents, renderPing } from '../lib/fleet';
import { CliIO, EXIT } from '../lib/io';
import type { Register } from './index';
import { applyLimit, collect, commandPool, FleetFlags, fleetOptions, limitOption, loadFleetInventory, pickClusters, progress } from './fleet-options';

interface AgentsFlags extends FleetFlags {
  cluster?: string[];
  json?: boolean;
}

const HELP = `
Ping the zkmig-agent of every meta server in the inventory (or of the clusters given with
--cluster) over mutual TLS, and print what each reports: agent version, host name, state and
uptime, the services it manages with their state and main PID, and the files it manages with
size, sha256 and the ZooKeeper settings read from them. It also checks that each agent manages
the inventory's meta_config file and meta_service service, which every other command relies on.

Run it first on a new inventory, and before a migration. It changes nothing anywhere.

When not to use it: to check the Pegasus cluster itself use "zkmig health"; to compare configs
use "zkmig audit".

Permissions: read access to the TLS files named in the inventory (agent_ca_file,
agent_cert_file, agent_key_file, agent_token_file); the agents must accept the client
certificate (their tls.allowedClients).

Output: one block per host and an Ansible-style recap (ok, changed, unreachable, failed); with
--json one object {hosts: [{cluster, host, agent, status, value | error}], recap}.

Exit codes: 0 every agent answered and manages its meta_config and meta_service; 1 every agent
answered but some lack what the inventory names; 2 some agent did not answer or failed, or the
inventory is invalid.`;

export const registerAgents: Register = (program: Command, io: CliIO) => {
  limitOption(fleetOptions(
    program
      .command('agents')
      .summary('ping every agent and show its version, services and managed files')
      .description('Ping every agent of the inventory over mutual TLS and show what it reports.')
      .addHelpText('after', `${HELP}\n`)
      .option('--cluster <name>', 'only this cluster (repeatable)', collect)
      .option('--json', 'print JSON for scripts'),
  )).action(async (flags: AgentsFlags) => {
    const inv = loadFleetInventory(flags, io);
    const clusters = applyLimit(inv, pickClusters(inv, flags.cluster), flags, io);
    const pool = commandPool(flags);
    const bar = progress(io, 'agents');
    try {
      const r = await pingAgents({ pool, clusters, onProgress: bar.update });
      bar.end();
      io.out(flags.json ? `${JSON.stringify(r, null, 2)}\n` : renderPing(r));
      const bad = r.recap.totals.failed + r.recap.totals.unreachable;
      io.exitCode = bad > 0 ? EXIT.ERROR : r.warned > 0 ? EXIT.FINDINGS : EXIT.OK;
    } finally {
      pool.close();
    }
  });
};
