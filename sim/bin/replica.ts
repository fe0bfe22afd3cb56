#!/usr/bin/env node
/**
 * Simulated Pegasus replica server: `replica.js --config /path/config.ini [--port N] [--meta h:p,...]
 * [--data-dir DIR]`. Its address is 127.0.0.1 plus `[apps.replica] ports` (or --port); it finds the
 * metas through `[meta_server] server_list` (or --meta) and keeps its replicas in
 * `<data dir>/sim-replicas.json`, where the data dir is the first of `[replication] data_dirs`, else
 * `[core] data_dir` (or --data-dir). Timing comes from the same config's `[replication] fd_*` and
 * `config_sync_interval_ms`. Exit statuses: 1 when it cannot start, 134 on a crash.
 */
import { isInvalidInput } from '../../shared/errors';
import { loadReplicaConfig } from '../common/config';
import { EXIT, Logger, exitProcess } from '../common/log';
import { crashOnUnhandled, flag, tieToParent } from '../common/process';
import { ReplicaServer } from '../replica/replica-server';

const USAGE = `usage: replica.js --config <config.ini> [--port N] [--meta host:port,...] [--data-dir DIR]

Runs one simulated Pegasus replica server (v2.5.0 behaviour) in the foreground.`;

function main(argv: string[]): void {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const file = flag(argv, '--config', '-c');
  if (!file) {
    process.stderr.write(`ERROR: --config is required\n${USAGE}\n`);
    exitProcess(EXIT.START_FAILED);
  }
  const boot = new Logger('replica');
  const port = flag(argv, '--port');
  let cfg;
  try {
    cfg = loadReplicaConfig(file, { port: port ? Number(port) : undefined, serverList: flag(argv, '--meta'), dataDir: flag(argv, '--data-dir') });
  } catch (e) {
    boot.fatal('main', `${isInvalidInput(e) ? '' : 'unexpected error: '}${(e as Error).message}`);
    exitProcess(EXIT.START_FAILED);
  }
  const log = new Logger(`replica.${cfg.address}`);
  crashOnUnhandled(log);
  tieToParent();
  new ReplicaServer(cfg, log).run().catch((e: unknown) => {
    log.fatal('main', `start app failed: ${(e as Error)?.stack ?? String(e)}`);
    exitProcess(EXIT.START_FAILED);
  });
}

main(process.argv.slice(2));
