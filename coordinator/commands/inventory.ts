import { Command } from 'commander';
import { formatArgv } from '../lib/shell/argv';
import { CliIO, EXIT } from '../lib/io';
import { renderTable } from '../lib/table';
import { AgentTls, Inventory, INVENTORY_DEFAULTS, INVENTORY_ENV, loadInventory, selectCluster } from '../lib/inventory';
import type { Register } from './index';
import { applyLimit } from './fleet-options';

interface InventoryOptions {
  inventory?: string;
  cluster?: string;
  limit?: string;
  json?: boolean;
}

const HELP = `
Read the Ansible inventory (INI or YAML) and print what zkmig resolved from it: every Pegasus
cluster, its meta servers, how zkmig reaches each host's agent, and the Pegasus shell command it
will run. Use it to check an inventory before any other command relies on it. It contacts no host.

The inventory is -i FILE, or the file named by $${INVENTORY_ENV}.

Layout: one group per Pegasus cluster, named after the cluster; its hosts are the meta servers.
Groups may be nested ([group:children] / children:) to share variables. Variables follow Ansible's
precedence: all < parent group < child group < host. Host ranges such as meta[1:3].example.com
are expanded.

Variables (anything else that does not start with ansible_ is an error):
  ansible_host       address of the host                    (default: the inventory host name)
  meta_port          Pegasus meta server port                (default: ${INVENTORY_DEFAULTS.metaPort})
  agent_port         zkmig-agent port                        (default: ${INVENTORY_DEFAULTS.agentPort})
  meta_config        absolute path of the meta's config.ini on the host          (required)
  meta_service       the meta's service name in the agent's config (default: ${INVENTORY_DEFAULTS.metaService})
  pegasus_shell      the shell command line, run here without a shell            (required)
                     e.g. "/opt/pegasus/run.sh shell --cluster {meta_servers}";
                     {meta_servers} is the cluster's host:port list, {cluster} its name
  agent_ca_file      CA of the agents' certificates                              (required)
  agent_cert_file    client certificate: agents always require mutual TLS        (required)
  agent_key_file     its private key                                             (required)
  agent_token_file   file holding a bearer token sent to the agents              (optional)
  agent_server_name  name to verify in the agent's certificate (default: the host's address)
Relative TLS paths are resolved against the inventory file's directory.

Output: a table per cluster, or with --json one object {file, format, clusters, warnings}.
Warnings (a TLS file missing on this machine) go to stderr and do not change the exit code.

Exit codes: 0 the inventory is valid; 2 it is not (every problem is listed, with file and line)
or the cluster asked for is not in it.`;

export const registerInventory: Register = (program: Command, io: CliIO) => {
  program
    .command('inventory')
    .summary('check the Ansible inventory and show the clusters and meta servers it defines')
    .description(HELP)
    .option('-i, --inventory <file>', `Ansible inventory: INI, YAML or ansible-inventory JSON (default: $${INVENTORY_ENV})`)
    .option('--cluster <name>', 'show only this cluster')
    .option('-l, --limit <pattern>', 'only these hosts: an Ansible pattern (meta*, c1:&dc1, all:!meta3, ~re)')
    .option('--json', 'print JSON for scripts')
    .action((opts: InventoryOptions) => {
      const inv = loadInventory({ ...(opts.inventory !== undefined ? { file: opts.inventory } : {}), env: io.env });
      const picked = opts.cluster === undefined ? inv.clusters : [selectCluster(inv, opts.cluster)];
      const shown: Inventory = { ...inv, clusters: applyLimit(inv, picked, opts, io) };
      for (const w of shown.warnings) io.err(`warning: ${w}\n`);
      io.out(opts.json ? `${JSON.stringify(shown, null, 2)}\n` : renderInventory(shown, io.columns));
      io.exitCode = EXIT.OK;
    });
};

/** The human-readable view: a header per cluster, a table of its metas, then agent TLS settings. */
export function renderInventory(inv: Inventory, width?: number): string {
  const metaCount = inv.clusters.reduce((n, c) => n + c.metas.length, 0);
  const lines = [`Inventory ${inv.file} (${inv.format}): ${plural(inv.clusters.length, 'cluster')}, ${plural(metaCount, 'meta server')}`];
  for (const c of inv.clusters) {
    lines.push('', `Cluster ${c.name}: ${plural(c.metas.length, 'meta server')}`);
    lines.push(`  meta list  ${c.metaServers}`);
    lines.push(`  shell      ${formatArgv(c.shell.argv)}`);
    lines.push('');
    const rows = [['HOST', 'ADDRESS', 'META PORT', 'AGENT PORT', 'SERVICE', 'CONFIG'], ...c.metas.map((m) => [m.name, m.address, String(m.metaPort), String(m.agentPort), m.metaService, m.metaConfig])];
    lines.push(...renderTable(rows, { indent: '  ', ...(width !== undefined ? { width } : {}) }));
    const tls = c.metas.map((m) => describeTls(m.tls, m.address));
    if (tls.every((x) => x === tls[0])) lines.push('', `  agent TLS (every host): ${tls[0]}`);
    else {
      lines.push('', '  agent TLS:');
      c.metas.forEach((m, i) => lines.push(`    ${m.name}: ${tls[i]}`));
    }
  }
  return `${lines.join('\n')}\n`;
}

function describeTls(t: AgentTls, address: string): string {
  const parts = [`ca ${t.caFile}`, `cert ${t.certFile}`, `key ${t.keyFile}`];
  if (t.tokenFile) parts.push(`token ${t.tokenFile}`);
  if (t.serverName !== address) parts.push(`server name ${t.serverName}`);
  return parts.join(', ');
}


function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
