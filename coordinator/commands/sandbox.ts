import { Command } from 'commander';
import { CliIO, EXIT } from '../lib/io';
import { renderTable } from '../lib/table';
import { SANDBOX_PROFILES } from '../lib/sandbox/profiles';
import type { Register } from './index';

const HELP = `
A complete local Pegasus fleet to try zkmig on, on this machine only (loopback):
  - two ZooKeeper servers: "old", where the cluster runs, and an empty "new" one to migrate to;
  - a private CA and certificates made by deploy/make-certs.sh;
  - three simulated Pegasus meta servers, each run by its own zkmig-agent over mutual TLS
    (the agent's command backend), and three simulated replica servers with a few tables;
  - DIR/inventory.yaml, an Ansible inventory for every other zkmig command (its pegasus_shell
    runs the simulated shell).
Everything keeps running after "sandbox up" returns; "sandbox down" stops it all.

Then, for example:
  zkmig migrate -i DIR/inventory.yaml --cluster sandbox --to NEW_ZK --method copy --yes
  zkmig health  -i DIR/inventory.yaml --cluster sandbox

When not to use it: it is a demo and a playground, not a test of your real cluster. The meta and
replica servers are simulators (sim) and must be built first (npm run build).

Permissions: none beyond writing DIR; needs java with the Debian zookeeper package and openssl.
DIR defaults to $ZKMIG_SANDBOX_DIR, else <tmpdir>/zkmig-sandbox-<uid>.`;

/** Words of `text` in lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const w of text.split(' ')) {
    if (cur !== '' && cur.length + 1 + w.length > width) {
      lines.push(cur);
      cur = w;
    } else cur = cur === '' ? w : `${cur} ${w}`;
  }
  if (cur !== '') lines.push(cur);
  return lines;
}

const PROFILE_HELP = `
Profiles (--profile NAME):
${Object.values(SANDBOX_PROFILES)
  .map((p) => wrap(p.summary, 66).map((l, i) => `  ${(i === 0 ? p.name : '').padEnd(9)}${l}`).join('\n'))
  .join('\n')}
The large one is a realistic production size for "npm run bench -- sandbox" and for trying
migrations at scale; it needs ~1.5 GB of memory and a few minutes on 2 cores.`;

/** Loaded on use: the sandbox pulls in the simulator, which no other command needs. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const lib = (): typeof import('../lib/sandbox') => require('../lib/sandbox') as typeof import('../lib/sandbox');

interface DirOpts {
  dir?: string;
  profile?: string;
  secure?: boolean;
  reconfig?: boolean;
  json?: boolean;
  purge?: boolean;
}

export const registerSandbox: Register = (program: Command, io: CliIO) => {
  const sb = program.command('sandbox').summary('start or stop a local demo fleet (two ZooKeepers, agents, simulated Pegasus)').description('Start, inspect or stop a complete local Pegasus fleet to try zkmig on.').addHelpText('after', `${HELP}\n`);

  sb.command('up')
    .summary('start the sandbox (idempotent: an already running sandbox is left as it is)')
    .description('Start the sandbox.').addHelpText('after', `${HELP}\n${PROFILE_HELP}\n\nWith --json, prints {cluster, inventory, oldZk, newZk, clusterRoot, metaServers, dir, tables, profile, alreadyUp}.\n`)
    .option('--dir <dir>', 'where the sandbox lives')
    .option('--profile <name>', `size of the fleet: ${Object.keys(SANDBOX_PROFILES).join(' or ')} (see below)`, 'default')
    .option('--secure', 'both ZooKeepers require SASL DIGEST-MD5 (enforce.auth); the metas and the inventory (zk_sasl_*) log in')
    .option('--reconfig', 'for --method reconfig: the old ZooKeeper runs with dynamic reconfiguration and the new servers join it (started with its committed config plus themselves)')
    .option('--json', 'print the result as JSON')
    .action(async (o: DirOpts) => {
      const { sandboxUp, sandboxDir } = lib();
      const dir = sandboxDir(o.dir, io.env);
      const started = Date.now();
      const info = await sandboxUp({ dir, profile: o.profile, ...(o.secure ? { secure: true } : {}), ...(o.reconfig ? { reconfig: true } : {}), progress: io.isTTY && !o.json ? (m) => io.err(`  ${m}...\n`) : undefined });
      if (o.json) {
        io.out(JSON.stringify(info, null, 2) + '\n');
        return;
      }
      io.out(
        [
          info.alreadyUp ? `Sandbox already running in ${info.dir}` : `Sandbox up in ${info.dir} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
          `  cluster:        ${info.cluster} (cluster_root ${info.clusterRoot}; profile ${info.profile}; tables ${info.tables.length > 4 ? `${info.tables.length} (${info.tables[0]!.name}..${info.tables.at(-1)!.name})` : info.tables.map((t) => t.name).join(', ')}${info.tables.length > 4 ? '' : ', stat'})`,
          `  meta servers:   ${info.metaServers}`,
          `  old ZooKeeper:  ${info.oldZk}   (the cluster runs here)`,
          info.reconfig ? `  new ZooKeeper:  ${info.newZk}   (joiners of the old ensemble, not yet members: migrate with --method reconfig)` : `  new ZooKeeper:  ${info.newZk}   (empty: migrate to it)`,
          `  inventory:      ${info.inventory}`,
          ...(info.secure ? ['  security:       both ZooKeepers require SASL DIGEST-MD5; the login is in the inventory (zk_sasl_*)'] : []),
          '',
          'Try:',
          `  zkmig plan    -i ${info.inventory} --cluster ${info.cluster} --to ${info.newZk} --method ${info.reconfig ? 'reconfig' : 'copy'}`,
          `  zkmig migrate -i ${info.inventory} --cluster ${info.cluster} --to ${info.newZk} --method ${info.reconfig ? 'reconfig' : 'copy'}`,
          `  zkmig sandbox down --dir ${info.dir}`,
          '',
        ].join('\n'),
      );
    });

  sb.command('down')
    .summary('stop every process of the sandbox and check none is left')
    .description('Stop every process "sandbox up" started (found by pid and by marker) and remove the state file; the files stay for inspection unless --purge is given.')
    .option('--dir <dir>', 'where the sandbox lives')
    .option('--purge', 'also delete the sandbox directory')
    .option('--json', 'print the result as JSON')
    .action(async (o: DirOpts) => {
      const { sandboxDown, sandboxDir } = lib();
      const r = await sandboxDown(sandboxDir(o.dir, io.env), { purge: o.purge === true });
      if (o.json) io.out(JSON.stringify(r) + '\n');
      else io.out(r.existed ? `Sandbox in ${r.dir} is down (${r.stopped} process(es) stopped${r.purged ? ', directory removed' : ''}).\n` : `No sandbox in ${r.dir}; nothing to stop.\n`);
    });

  sb.command('status')
    .summary('show the sandbox processes and whether they run')
    .description('Lists every process of the sandbox with its pid, address and state. Exit 0 when all run, 1 when some do not, 2 when there is no sandbox.')
    .option('--dir <dir>', 'where the sandbox lives')
    .option('--json', 'print the result as JSON')
    .action(async (o: DirOpts) => {
      const { sandboxStatus, sandboxDir } = lib();
      const st = sandboxStatus(sandboxDir(o.dir, io.env));
      const allUp = st.exists && st.processes.every((p) => p.alive);
      io.exitCode = !st.exists ? EXIT.ERROR : allUp ? EXIT.OK : EXIT.FINDINGS;
      if (o.json) {
        io.out(JSON.stringify({ dir: st.dir, exists: st.exists, running: st.running, allUp, cluster: st.state?.cluster, inventory: st.state?.inventory, oldZk: st.state?.zk.old?.connectString, newZk: st.state?.zk.new?.connectString, processes: st.processes }, null, 2) + '\n');
        return;
      }
      if (!st.exists) {
        io.out(`No sandbox in ${st.dir} (start one with "zkmig sandbox up").\n`);
        return;
      }
      const s = st.state!;
      const lines = [`Sandbox ${s.dir}: ${allUp ? 'up' : st.running ? 'PARTLY RUNNING' : 'DOWN'} (cluster ${s.cluster}, inventory ${s.inventory})`];
      const rows = st.processes.map((p) => [p.name, String(p.pid || '-'), p.alive ? 'running' : 'STOPPED', p.address]);
      lines.push(...renderTable(rows, { indent: '  ', sep: [' ', '  ', '  '], minWidths: [12, 7], align: ['left', 'right'], ...(io.columns !== undefined ? { width: io.columns } : {}) }));
      io.out(lines.join('\n') + '\n');
    });
};
