#!/usr/bin/env node
/**
 * Simulated Pegasus meta server: `meta.js --config /path/config.ini`.
 *
 * Its address is 127.0.0.1 plus the first port of `[apps.meta] ports` (Pegasus takes the primary
 * interface's IP and the app's port; the simulator only uses loopback). It re-reads the config on
 * every start and writes nothing but its log lines to stdout/stderr. Exit statuses are listed in
 * common/log.ts (EXIT): 0 on session expiry or loss of its lock node, 1 when it cannot start (e.g.
 * ZooKeeper unreachable within `[zookeeper] timeout_ms`), 134 on a crash condition.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isInvalidInput } from '../../shared/errors';
import { loadMetaConfig } from '../common/config';
import { FAIL_NEXT_START_FILE } from '../common/fault-flags';
import { EXIT, Logger, exitProcess } from '../common/log';
import { crashOnUnhandled, flag, tieToParent } from '../common/process';
import { MetaService } from '../meta/meta-service';

const USAGE = `usage: meta.js --config <config.ini>

Runs one simulated Pegasus meta server (v2.5.0 behaviour) in the foreground. See
sim/README.md for the keys it reads and its exit statuses.`;

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
  const boot = new Logger('meta');
  // Fault injection (test/reliability): a file FAIL_NEXT_START_FILE next to the config makes this
  // one start fail as a meta with a broken host would (exit 1 before listening); the file is
  // consumed so that the start after it succeeds.
  const failFlag = path.join(path.dirname(file), FAIL_NEXT_START_FILE);
  if (consume(failFlag)) {
    boot.fatal('main', `start app failed: injected failure (${failFlag} was present)`);
    exitProcess(EXIT.START_FAILED);
  }
  let cfg;
  try {
    cfg = loadMetaConfig(file);
  } catch (e) {
    boot.fatal('main', `${isInvalidInput(e) ? '' : 'unexpected error: '}${(e as Error).message}`);
    exitProcess(EXIT.START_FAILED);
  }
  const log = new Logger(`meta.${cfg.address}`);
  crashOnUnhandled(log);
  tieToParent();
  new MetaService(cfg, log).run().catch((e: unknown) => {
    log.fatal('main', `start app failed: ${(e as Error)?.stack ?? String(e)}`);
    exitProcess(EXIT.START_FAILED);
  });
}

function consume(file: string): boolean {
  try {
    fs.unlinkSync(file);
    return true;
  } catch {
    return false;
  }
}

main(process.argv.slice(2));
