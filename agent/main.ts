#!/usr/bin/env -S node --max-semi-space-size=1 --optimize-for-size --no-opt
/**
 * `zkmig-agent`: the gRPC host agent.
 *
 * The node flags on the first line are part of the agent: a 1 MB young generation, V8's
 * size-over-speed heuristics and no optimizing compiler take the idle RSS from about 66 MB to
 * about 55 MB (bench/agent.ts; the target is 60 MB) while an edit over TLS stays well under its
 * 20 ms p99, because the agent's work is I/O, not hot loops. The systemd unit, install-agent.sh and
 * the test harness all run the agent with exactly these flags, read from this line. Parses flags, loads and validates the config, starts the
 * server, and turns signals into lifecycle moves. Nothing happens when this file is imported
 * (tests import `main`); errors are caught in one place.
 */
import { Command, CommanderError } from 'commander';
import { fitHelp, helpSettings, helpWidth } from '../shared/help-format';
import { VERSION } from '../shared/version';
import { AuditLog, openAuditSink } from './audit';
import { loadAgentConfig, writableDirectories } from './config';
import { AgentServer } from './server';

const HELP = `
zkmig-agent runs on every Pegasus meta-server host and does, on that host, what the zkmig
coordinator asks through gRPC over mutual TLS:
  - facts: hostname, agent version, managed services with state and main PID, managed files with
    size and sha256, and the meta server's port and ZooKeeper settings read from its config.ini;
  - config.ini edits that keep every other byte (comments, indentation, CRLF), with check mode,
    unified diffs, an expected-sha256 guard, atomic writes and timestamped backups; restores;
  - start / stop / restart / status of the services named in its config (systemd units, or
    commands with pid files), watching each start for an early crash.
It only touches the files and services listed in its config, and runs no other command.

When not to use it: it is not a general remote shell or config manager; do not list files other
than Pegasus configs, and do not run it with --insecure anywhere but a test on loopback.

Permissions: it needs to write the listed config files and their backup directories, and (for
systemd services) to run systemctl, so it usually runs as root under the hardened unit in
deploy/zkmig-agent.service. Read deploy/agent.yaml for every config key.

Signals: SIGTERM/SIGINT drain (no new calls, calls in flight finish, up to drainTimeoutMs) and
exit 0; a second one exits at once with status 1. SIGHUP re-reads the config and applies the TLS certificate files, the bearer token and tls.deniedSerials.

Audit: every mutation, rejection and error goes to journald (when /run/systemd/journal/socket
exists) or as JSON lines to stderr.

Exit codes: 0 clean stop or --check-config passed; 2 bad flags, invalid config, cannot listen.

Examples:
  zkmig-agent --config /etc/zkmig-agent/agent.yaml
  zkmig-agent --config agent.yaml --check-config
  zkmig-agent --config test.yaml --listen 127.0.0.1:0 --insecure
`;

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const width = helpWidth(env, process.stdout.isTTY === true);
  const program = new Command('zkmig-agent')
    .description('gRPC host agent for zkmig: service control, lossless config.ini edits and facts on a Pegasus meta-server host')
    .version(VERSION)
    .option('-c, --config <file>', 'agent config (YAML)', '/etc/zkmig-agent/agent.yaml')
    .option('--listen <host:port>', 'override the config\'s listen address (also ZKMIG_AGENT_LISTEN); port 0 picks a free one')
    .option('--insecure', 'no TLS and no client certificates; refused unless the listen address is loopback')
    .option('--check-config', 'validate the config (files, certificates, commands) and exit')
    .option('--write-paths', 'print the directories the agent and its command services write, one per line (for the unit\'s ReadWritePaths=), and exit')
    .addHelpText('after', HELP)
    .exitOverride()
    .configureHelp(helpSettings(width))
    // Help is all that commander writes to stdout: fit it to the width (shared/help-format.ts).
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(fitHelp(s, width)) });
  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  const opts = program.opts<{ config: string; listen?: string; insecure?: boolean; checkConfig?: boolean; writePaths?: boolean }>();
  const config = loadAgentConfig(opts.config, { listen: opts.listen, insecure: opts.insecure, env });
  if (opts.writePaths) {
    process.stdout.write(writableDirectories(config).map((d) => d + '\n').join(''));
    return 0;
  }
  if (opts.checkConfig) {
    process.stdout.write(`${opts.config}: OK (${config.files.length} file(s), ${config.services.length} service(s), ${config.insecure ? 'insecure' : 'mutual TLS'})\n`);
    return 0;
  }
  const sink = openAuditSink(undefined, config.auditSink);
  const audit = new AuditLog(sink.sink);
  audit.record({ event: 'lifecycle', state: 'starting', msg: `zkmig-agent ${VERSION} starting (pid ${process.pid}); audit to ${sink.kind}${sink.why ? ` (${sink.why})` : ''}`, pid: process.pid });
  if (sink.degraded) audit.record({ event: 'warning', msg: `the native journald binding did not load (${sink.why}): audit records go to stderr as JSON lines, which the unit sends to the journal without ZKMIG_* fields` });
  const server = await AgentServer.start(config, { audit });
  return new Promise<number>((resolve) => {
    let signals = 0;
    const onStop = (sig: NodeJS.Signals): void => {
      if (++signals > 1) {
        audit.record({ event: 'lifecycle', state: server.lifecycle.state, msg: `second ${sig}: exiting without waiting for the drain` });
        process.exit(1);
      }
      void server.stop(`received ${sig}`).then(() => resolve(0));
    };
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
    process.on('SIGHUP', () => {
      try {
        server.reload(loadAgentConfig(opts.config, { listen: opts.listen, insecure: opts.insecure, env }));
      } catch (e) {
        audit.record({ event: 'lifecycle', state: server.lifecycle.state, msg: `SIGHUP: reload failed, keeping the old certificates, token and denied serials: ${(e as Error).message}` });
      }
    });
  });
}

/** Run `main` on this process's arguments: its code becomes the exit code; a throw prints one error line, exit 2. */
export function runMain(): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`Error: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 2;
    },
  );
}

if (require.main === module) runMain();
