/**
 * Everything the services share, built once by the server from the resolved config. Operations get
 * only the parts they need (and tests can build the parts with fakes).
 */
import * as os from 'node:os';
import { VERSION } from '../shared/version';
import type { ResolvedConfig, ResolvedService } from './config';
import { resolveBinary } from './config-validate';
import { Exec, execArgv } from './exec';
import type { Lifecycle } from './lifecycle';
import { CommandBackend } from './ops/command-backend';
import type { IniFileDeps } from './ops/ini-file';
import { KeyedMutex } from './ops/mutex';
import { FileAllowlist } from './ops/paths';
import type { ControlDeps } from './ops/service-control';
import type { ServiceBackend } from './ops/service-types';
import { SystemdBackend } from './ops/systemd';
import type { RpcDeps } from './rpc';
import { sleep } from '../shared/process';

export interface ManagedService {
  svc: ResolvedService;
  backend: ServiceBackend;
}

export interface AgentContext {
  config: ResolvedConfig;
  rpc: RpcDeps;
  lifecycle: Lifecycle;
  allow: FileAllowlist;
  ini: IniFileDeps;
  services: Map<string, ManagedService>;
  serviceLocks: KeyedMutex;
  control: ControlDeps;
  hostname: string;
  version: string;
}

export { sleep };

export function buildContext(config: ResolvedConfig, rpc: RpcDeps, lifecycle: Lifecycle, exec: Exec = execArgv): AgentContext {
  const allow = new FileAllowlist(config.files);
  const services = new Map<string, ManagedService>();
  for (const svc of config.services) {
    const backend: ServiceBackend =
      svc.backend === 'systemd'
        ? new SystemdBackend(config.systemctl as string, svc.name, svc.unit, svc.configFile ?? '', exec, resolveBinary('journalctl', '/usr/bin:/bin') ?? null)
        : new CommandBackend(svc.name, svc.command as NonNullable<ResolvedService['command']>, svc.configFile ?? '', { exec, sleep, stateDir: config.stateDir });
    services.set(svc.name, { svc, backend });
  }
  return {
    config,
    rpc,
    lifecycle,
    allow,
    ini: {
      allow,
      locks: new KeyedMutex(),
      maxFileBytes: config.limits.maxFileBytes,
      keepBackups: config.backups.keep,
      maxEdits: config.limits.maxEditsPerRequest,
      now: () => new Date(),
    },
    services,
    serviceLocks: new KeyedMutex(),
    control: { sleep, now: () => Date.now() },
    hostname: os.hostname(),
    version: VERSION,
  };
}
