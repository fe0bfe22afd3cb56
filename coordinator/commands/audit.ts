import { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { auditFleet, parseExpectations, renderAudit, renderPrometheus, writeFileAtomic } from '../lib/audit';
import { UsageError } from '../../shared/errors';
import { CliIO, EXIT } from '../lib/io';
import type { Register } from './index';
import { collect, commandPool, FleetFlags, fleetOptions, limitedHosts, limitOption, loadFleetInventory, pickClusters, progress } from './fleet-options';

interface AuditFlags extends FleetFlags {
  cluster?: string[];
  expect?: string[];
  running?: boolean;
  json?: boolean;
  format?: string;
  output?: string;
}

const HELP = `
Audit the meta-server configuration of every cluster in the inventory (or those given with
--cluster), all clusters at once: each meta's config.ini is read through its agent and each
running cluster is asked for cluster_info through its shell.

Shown per cluster: the value of each migration-relevant key on every meta ([zookeeper]
hosts_list, timeout_ms; [meta_server] server_list, cluster_root,
distributed_lock_service_parameters, recover_from_replica_server,
meta_function_level_on_start; the ZooKeeper authentication keys [zookeeper] sasl_*,
[security] enable_zookeeper_kerberos and zookeeper_kerberos_service_name; and every --expect
key).

Findings (code in brackets, as in --json):
  errors
    [drift]                      metas of one cluster disagree on hosts_list, server_list,
                                 cluster_root or the lock root (other keys: a warning)
    [hosts-list-in-meta-server]  hosts_list under [meta_server], where Pegasus ignores it
                                 (the Pegasus website's own migration doc does this)
    [recover-flag-on]            recover_from_replica_server = true left on
    [server-list-mismatch]       server_list is not the inventory's metas
    [lock-root-outside-cluster-root]
    [not-applied]                the file's hosts_list / cluster_root differ from what the
                                 running cluster reports: edited, not applied
    [shared-root]                two clusters on one ensemble share cluster_root or lock root
    [zk-auth-drift]              metas log in to ZooKeeper differently (SASL mechanism, user)
    [zk-auth-incomplete]         SASL on without sasl_user_name / sasl_password_file, or an
                                 unknown mechanism
    [expect-mismatch] [key-missing] [invalid-value] [refused-line]
    [agent-unreachable] [config-unreadable]   that meta was not audited
  warnings
    [cluster-root-name-mismatch] cluster_root's last component is not the cluster name
    [cluster-unreachable]        no cluster_info, so nothing was compared with the running cluster
    [duplicate-key] [placeholder] [key-missing] (cluster_root absent)
Unreachable agents and unreadable files are findings; the rest of the fleet is still audited.

--expect SECTION.KEY=VALUE (repeatable) adds a key and the value every meta must have, e.g.
--expect zookeeper.hosts_list=zk1:2181,zk2:2181 (lists compare as sets). A section with dots
can be written [apps.meta]ports=34601.

When not to use it: it reads configs, it does not judge the cluster's runtime health (use
"zkmig health"). It changes nothing.

Permissions: the agents' TLS files named in the inventory; the right to run the Pegasus shell
(skip with --no-running).

Output: per cluster the values and the findings grouped by severity, a summary and a recap of
the agent reads; with --json {clusters: [{cluster, hosts, keys, values, running, findings}],
counts, clean, recap}.

--format prometheus writes the findings as metrics for node_exporter's
textfile collector: zkmig_audit_findings{cluster,severity,code},
zkmig_audit_cluster_findings, zkmig_audit_host_config_read, zkmig_audit_clean,
zkmig_audit_last_run_timestamp_seconds. --output FILE replaces FILE atomically
(cron: --output /var/lib/node_exporter/zkmig_audit.prom). The exit code stays
0 or 1 by findings: the file is written either way.

Exit codes: 0 no finding; 1 findings; 2 bad usage or an invalid inventory.`;

export const registerAudit: Register = (program: Command, io: CliIO) => {
  limitOption(fleetOptions(
    program
      .command('audit')
      .summary('audit every meta-server config of the fleet for migration mistakes and drift')
      .description('Audit the meta-server configuration of the fleet, read through the agents, all clusters at once.')
      .addHelpText('after', `${HELP}\n`)
      .option('--cluster <name>', 'only this cluster (repeatable)', collect)
      .option('--expect <section.key=value>', 'a value every meta must have (repeatable)', collect)
      .option('--no-running', 'do not run the Pegasus shell (no comparison with the running cluster)')
      .option('--json', 'print JSON for scripts (same as --format json)')
      .option('--format <format>', 'text, json or prometheus (textfile-collector metrics)')
      .option('--output <file>', 'write the report to FILE (atomically) instead of stdout'),
  )).action(async (flags: AuditFlags) => {
    const format = flags.format ?? (flags.json ? 'json' : 'text');
    if (!['text', 'json', 'prometheus'].includes(format)) throw new UsageError(`--format: "${format}" is not text, json or prometheus`);
    if (flags.json && format !== 'json') throw new UsageError(`--json and --format ${format} contradict each other`);
    if (flags.output !== undefined && !fs.existsSync(path.dirname(path.resolve(flags.output)))) throw new UsageError(`--output: directory ${path.dirname(path.resolve(flags.output))} does not exist`);
    const expect = parseExpectations(flags.expect ?? []);
    const inv = loadFleetInventory(flags, io);
    const all = pickClusters(inv, flags.cluster);
    const limited = limitedHosts(inv, all, flags, io);
    const clusters = all.filter((c) => limited.clusters.some((l) => l.name === c.name));
    const pool = commandPool(flags);
    const bar = progress(io, 'audit: configs read');
    try {
      const r = await auditFleet({ clusters, ...(limited.hosts ? { onlyHosts: limited.hosts } : {}), pool, expect, compareRunning: flags.running !== false, onProgress: bar.update });
      bar.end();
      const text = format === 'json' ? `${JSON.stringify(r, null, 2)}\n` : format === 'prometheus' ? await renderPrometheus(r) : renderAudit(r);
      if (flags.output !== undefined) writeFileAtomic(flags.output, text);
      else io.out(text);
      io.exitCode = r.clean ? EXIT.OK : EXIT.FINDINGS;
    } finally {
      pool.close();
    }
  });
};
