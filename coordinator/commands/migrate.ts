import { Command, Option } from 'commander';
import { CliIO } from '../lib/io';
import { addInventoryOption, finish, inventoryFile, planConfirm, rendererFor, requireYesForJson, STATE_DIR_HELP, stateDirOf } from '../lib/migrate/cli-support';
import { METHODS, migrate, MigrateInput, Method } from '../lib/migrate';
import { agentCallOptions, AgentCallFlags, agentSettings, checkOption } from './conventions';
import { parseCount, parseDuration } from './duration';
import type { Register } from './index';
import { installStopHandlers } from '../lib/migrate/stop-signals';
import { requireUnaliveConfirmable } from '../lib/migrate/unalive';

const HELP = `
Move a Pegasus cluster's metadata from the ZooKeeper ensemble its metas use to another one, by
one of the two procedures of the Pegasus ZooKeeper-migration guide, or by ZooKeeper dynamic
reconfiguration, with every step checked:

  --method copy     pre-copy cluster_root to the new ensemble while the cluster runs and keep the
                    target following the source until fewer than --precopy-threshold changes
                    are outstanding; then stop the followers, set the leader to "blind", stop it,
                    apply the last delta and prove the target equals the frozen source
                    (ephemeral LOCKNODEs skipped), point every meta's [zookeeper] hosts_list at
                    the new ensemble, restart the leader, wait until it serves from there
                    healthy with the same tables and partitions, start the followers.
                    Write freeze: from the followers' stop until the leader serves again; with
                    --no-precopy the whole copy (and its source checks) runs inside it.
  --method recover  back up the table and node lists, stop every meta, wait until the replica
                    servers are inactive (derived from the configs), start one meta in recovery
                    mode on the new ensemble, "recover" from the ALIVE replica servers, switch
                    recovery off, restart it, start the others, wait until tables and replica
                    counts match the backup. Loses duplications, backup policies and dropped-
                    table state (listed before you confirm).
  --method reconfig ZooKeeper 3.5.3+ with reconfigEnabled=true, the new servers started with the
                    last committed config plus themselves: add them as observers, promote them
                    one at a time, move each meta's hosts_list to them (followers first, then the
                    leader: its restart is an ordinary failover, the only write freeze), remove
                    the old servers, confirm with a write. Copies nothing; one ensemble, one
                    history. The right to reconfigure comes from $ZKMIG_ZK_AUTH (user:password,
                    the super user or WRITE on /zookeeper/config) unless the ensemble skips ACLs.

It first runs the preflight (see "zkmig plan"), prints the plan and asks for confirmation
(exactly "y"; --yes skips the question). Every step's intent and outcome is appended to a run
journal (fsync) in the state directory; a coordinator killed at any point can "zkmig resume RUN"
or "zkmig rollback RUN". A step failing after the first change rolls the cluster back to the old
ensemble automatically (configs restored from the agents' backups, metas restarted, meta level
restored, health verified) unless --no-auto-rollback. The old tree is never modified. Only one
coordinator may migrate a cluster at a time (an ephemeral lock znode /zkmig/locks/<cluster> in
the source ensemble).

Supervisors: after each stop, every stopped meta must stay down for --stay-stopped (5s): the run
polls the agent's service status and the meta port. A meta that comes back (supervisord
autorestart, runit, a shell loop around a "command" backend's process) would serve from the old
ensemble during the freeze, so the run stops there, names the host and the service, and rolls
back. Stop such a meta through its supervisor, or let the agent own the process (systemd backend:
"systemctl stop" is final whatever Restart= says). The preflight warns about every meta run by a
"command" backend, where the agent cannot see a supervisor.

--allow-unalive (recover) leaves the UNALIVE replica servers out of "recover". If one of them
held the only replicas of a table and comes back later, every meta aborts on it (a crash loop,
not only a lost table). So it takes a second confirmation: "yes" typed in full on a terminal
after the plan, or --yes-unalive where no one can type (no terminal, --yes, --json); without it
the run is refused up front (exit 2, nothing changed).

--check (alias --dry-run) runs the whole plan in check mode: the agents compute every diff and change nothing;
add --diff to see the diffs (JSON events always carry them; "zkmig plan" always shows them);
the copy only counts, nothing is stopped or restarted.

When not to use it: to move a cluster between ensembles that share nothing with its current
cluster_root layout (the root stays the same), to copy arbitrary trees (zkmig zk copy), or while
tables are being created or dropped, duplications are running or bulk loads are in progress
(the copy method detects source changes, but avoiding them is better).

Permissions: the agents' mTLS client certificate (inventory), read/write access to both
ensembles' cluster_root and to /zkmig/locks in the source, and the Pegasus shell.

Output: a live step list on a terminal, plain lines otherwise, or JSON events with --json (one
per line, the last one {"kind":"run-end",...} with the summary). The summary gives the write-
freeze window, the total time and a per-host recap.

Exit codes: 0 migrated (or a clean dry run); 1 not migrated and the cluster is as it was
(preflight refused, not confirmed, rolled back); 2 stopped at a failed step or the rollback failed
(see "zkmig status RUN"); 130/143 stopped on SIGINT/SIGTERM at a step boundary (the step in
progress finishes; the state and the resume command are printed; a third signal exits at once).`;

interface Opts extends AgentCallFlags {
  inventory?: string;
  cluster: string;
  to: string;
  method: Method;
  yes?: boolean;
  dryRun?: boolean;
  json?: boolean;
  diff?: boolean;
  autoRollback: boolean;
  allowUnalive?: boolean;
  yesUnalive?: boolean;
  allowRunningJobs?: boolean;
  onSourceChange: 'recopy' | 'abort';
  precopy: boolean;
  precopyThreshold?: string;
  precopyTimeout?: string;
  verify: 'delta' | 'full';
  leaderTimeout?: string;
  syncTimeout?: string;
  healthTimeout?: string;
  convergeTimeout?: string;
  inactiveWait?: string;
  stayStopped?: string;
  stateDir?: string;
}

export const registerMigrate: Register = (program: Command, io: CliIO) => {
  const cmd = program
    .command('migrate')
    .summary("move a cluster's metadata to another ZooKeeper ensemble (copy or recover), resumable, with automatic rollback")
    .description("Move a cluster's metadata to another ZooKeeper ensemble by the copy or the recover procedure, every step checked and journaled.")
    .addHelpText('after', `${HELP}\n`);
  checkOption(agentCallOptions(addInventoryOption(cmd)), 'run the whole plan in check mode; change nothing')
    .requiredOption('--cluster <name>', 'the cluster (inventory group)')
    .requiredOption('--to <hosts>', 'the new ensemble, host:port[,host:port...] (cluster_root stays the same)')
    .addOption(new Option('--method <method>', 'copy (zkcopy procedure), recover (metadata recovery) or reconfig (grow the ensemble with ZooKeeper dynamic reconfiguration; copies nothing)').choices([...METHODS]).makeOptionMandatory())
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--diff', 'print the unified diff of every config file the run changes (JSON events always carry it)')
    .option('--json', 'print events as JSON lines')
    .option('--no-auto-rollback', 'on a failure after the first change, stop instead of rolling back')
    .option('--allow-unalive', 'recover: proceed although some replica servers are UNALIVE (their replicas are lost; if one comes back holding a table the recovered tree lacks, every meta aborts); asks a second time for a typed "yes"')
    .option('--yes-unalive', 'the second confirmation of --allow-unalive where no one can type it (no terminal, --yes, --json)')
    .option('--allow-running-jobs', 'go on although duplications, bulk loads or backup policies are active (they write the tree during the freeze)')
    .addOption(new Option('--on-source-change <what>', 'copy --no-precopy: when the source changed during the copy').choices(['recopy', 'abort']).default('recopy'))
    .option('--no-precopy', 'copy: copy inside the write freeze (the freeze then lasts the whole copy) instead of pre-copying while the cluster runs')
    .option('--precopy-threshold <changes>', 'copy: enter the write freeze once fewer changes than this are outstanding (default 100)')
    .option('--precopy-timeout <duration>', 'copy: how long the pre-copy may take to get below the threshold; then the run fails with nothing stopped (default 10m)')
    .addOption(new Option('--verify <how>', 'copy: the proof inside the freeze: the changed paths (delta) or both trees in full').choices(['delta', 'full']).default('delta'))
    .option('--leader-timeout <duration>', 'how long a restarted meta may take to serve (default 2m)')
    .option('--sync-timeout <duration>', 'reconfig: how long a new ZooKeeper server may take to follow the leader and sync (default 2m)')
    .option('--health-timeout <duration>', 'how long the cluster may take to be healthy (default 5m)')
    .option('--converge-timeout <duration>', 'recover: how long replica counts may take to match (default 10m)')
    .option('--inactive-wait <duration>', 'recover: override the wait for replica servers to go inactive (default: derived from the configs)')
    .option('--stay-stopped <duration>', 'after each stop, how long a stopped meta must stay down before the run goes on; one that comes back (a supervisor restarted it) stops the run, which rolls back (default 5s; 0 turns the watch off)')
    .option('--state-dir <dir>', STATE_DIR_HELP)
    .action(async (o: Opts) => {
      requireYesForJson(o.yes || o.dryRun, o.json, 'migrate');
      requireUnaliveConfirmable(o, io.interactive === true);
      const input: MigrateInput = {
        inventory: inventoryFile(o.inventory, io),
        cluster: o.cluster,
        to: o.to,
        method: o.method,
        dryRun: o.dryRun === true,
        autoRollback: o.autoRollback,
        allowUnalive: o.allowUnalive === true,
        allowRunningJobs: o.allowRunningJobs === true,
        onSourceChange: o.onSourceChange,
        precopy: o.precopy,
        verify: o.verify,
        ...(o.precopyThreshold !== undefined ? { precopyThreshold: parseCount(o.precopyThreshold, '--precopy-threshold') } : {}),
        ...(o.precopyTimeout ? { precopyTimeoutMs: parseDuration(o.precopyTimeout, '--precopy-timeout') } : {}),
        ...(o.leaderTimeout ? { leaderTimeoutMs: parseDuration(o.leaderTimeout, '--leader-timeout') } : {}),
        ...(o.syncTimeout ? { syncTimeoutMs: parseDuration(o.syncTimeout, '--sync-timeout') } : {}),
        ...(o.healthTimeout ? { healthTimeoutMs: parseDuration(o.healthTimeout, '--health-timeout') } : {}),
        ...(o.convergeTimeout ? { convergeTimeoutMs: parseDuration(o.convergeTimeout, '--converge-timeout') } : {}),
        ...(o.inactiveWait ? { inactiveWaitMs: parseDuration(o.inactiveWait, '--inactive-wait', { allowZero: true }) } : {}),
        ...(o.stayStopped ? { stayStoppedMs: parseDuration(o.stayStopped, '--stay-stopped', { allowZero: true }) } : {}),
      };
      const r = rendererFor(io, o.json, o.diff);
      const sig = installStopHandlers(io);
      try {
        const result = await migrate(input, { stateDir: stateDirOf(o.stateDir, io), env: io.env, emit: sig.track(r.emit), stop: sig.stop, confirm: planConfirm(io, o), agents: agentSettings(o) });
        finish(io, result, o.json, sig.stop);
      } finally {
        sig.dispose();
        r.close();
      }
    });
};
