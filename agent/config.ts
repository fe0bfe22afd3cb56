/**
 * The agent's configuration: one YAML file (`--config`), validated once at start with errors that
 * name the key (`services[1].command.start[0]: ...`). Precedence: defaults → file → environment
 * (`ZKMIG_AGENT_LISTEN`) → flags (`--listen`, `--insecure`). deploy/agent.yaml documents every key.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { InvalidInputError } from '../shared/errors';
import { validateAgentConfig } from './config-validate';

/** How a `command` service's start argv behaves. */
export type CommandType = 'simple' | 'forking';

export interface CommandSpec {
  /**
   * `simple`: start is a foreground program; the agent launches it detached (own session, output
   * appended to logFile, pid written to pidFile), so it survives agent restarts.
   * `forking`: start is a script that daemonizes and writes pidFile itself.
   * @default 'simple'
   */
  type?: CommandType;
  /** argv of the start command; argv[0] is resolved to an absolute path at agent start. */
  start: string[];
  /** argv of the stop command. @default SIGTERM to the pid (its process group for `simple`), SIGKILL after stopTimeoutMs */
  stop?: string[];
  /** argv of a status command (exit 0 = running, 3 = stopped, LSB). @default the pid in pidFile is alive */
  status?: string[];
  /** @default `${stateDir}/services/${name}.pid` (required for `forking`) */
  pidFile?: string;
  /** Where a `simple` program's stdout and stderr are appended. @default `${stateDir}/services/${name}.log` */
  logFile?: string;
  /** @default '/' */
  cwd?: string;
  /** Extra environment for the commands (on top of PATH and LC_ALL=C). @default {} */
  env?: Record<string, string>;
  /**
   * User (name or uid) the start, stop and status commands run as, so a Pegasus meta (a network
   * daemon) need not run as root. Checked at agent start: an unknown user is a config error.
   * @default the agent's user (root)
   */
  user?: string;
  /** Group (name or gid). @default the user's primary group, or the agent's group without `user` */
  group?: string;
}

export interface ServiceSpec {
  /** The name the coordinator uses. */
  name: string;
  backend: 'systemd' | 'command';
  /** systemd backend: the unit. @default `${name}.service` */
  unit?: string;
  /** command backend: the commands. */
  command?: CommandSpec;
  /** A managed file (from `files`) this service reads; facts report it next to the service. */
  configFile?: string;
  /** How long a start may take to reach `active`. @default 60000 */
  startTimeoutMs?: number;
  /** How long a stop may take before SIGKILL (command) or failure (systemd). @default 60000 */
  stopTimeoutMs?: number;
  /**
   * After a start reaches `active`, how long to keep watching for an early crash before calling it
   * started (ansible/ansible#24450 is what happens without this).
   * @default 5000
   */
  graceMs?: number;
}

export interface FileSpec {
  /** Absolute, canonical path (no symlinks on the way). */
  path: string;
  /** Where backups of this file go. @default the global backups.dir, else the file's directory */
  backupDir?: string;
}

export interface AgentConfig {
  /** host:port to listen on. @default '0.0.0.0:7443' */
  listen?: string;
  tls?: {
    /** CA that signs client (coordinator) certificates. Required unless --insecure. */
    ca?: string;
    /** This agent's certificate chain and key. Required unless --insecure. */
    cert?: string;
    key?: string;
    /** Client certificate CNs allowed to call; empty = any certificate the CA signed for clientAuth. @default [] */
    allowedClients?: string[];
    /**
     * Serial numbers (hex, as `openssl x509 -noout -serial` prints them) of client certificates to
     * refuse even though the CA signed them: a revoked coordinator certificate. Re-read on SIGHUP
     * and applied to open connections too. @default []
     */
    deniedSerials?: string[];
  };
  auth?: {
    /** File holding a bearer token every call must carry (`authorization: Bearer <token>`). @default none */
    tokenFile?: string;
  };
  /** The agent's own state (pid files of `command` services). @default '/var/lib/zkmig-agent' */
  stateDir?: string;
  backups?: {
    /** @default '' (beside each file) */
    dir?: string;
    /** Backups kept per file; older ones the agent made are pruned. @default 50 */
    keep?: number;
  };
  limits?: {
    /** Largest request accepted (gRPC max receive). @default 1048576 */
    maxRequestBytes?: number;
    /** Largest managed file read or edited. @default 4194304 */
    maxFileBytes?: number;
    /** Concurrent TLS connections. @default 64 */
    maxConnections?: number;
    /** Edits in one EditConfig call. @default 200 */
    maxEditsPerRequest?: number;
  };
  /** On SIGTERM, how long in-flight calls may run before the agent exits anyway. @default 30000 */
  drainTimeoutMs?: number;
  /**
   * Where audit records go: `auto` = journald when /run/systemd/journal/socket exists, else JSON
   * lines on stderr; `journald` or `stderr` to force one (tests read stderr on hosts with a journal).
   * @default 'auto'
   */
  auditSink?: 'auto' | 'journald' | 'stderr';
  /**
   * Prometheus metrics (agent/metrics/): served on `listen` as GET /metrics, HTTPS when `tls` is
   * given. @default off
   */
  metrics?: {
    /** host:port, e.g. 127.0.0.1:9465 or 0.0.0.0:9465. */
    listen?: string;
    tls?: { cert?: string; key?: string };
  };
  files?: FileSpec[];
  services?: ServiceSpec[];
  /**
   * More directories the agent's `command` services must write (their data and log directories).
   * The agent itself does not use this; `zkmig-agent --write-paths` lists it with the agent's own
   * directories, and install-agent.sh turns that list into the unit's ReadWritePaths=.
   * @default []
   */
  writePaths?: string[];
}

export interface ResolvedCommand extends Required<Omit<CommandSpec, 'stop' | 'status' | 'user' | 'group'>> {
  stop: string[] | null;
  status: string[] | null;
  /** null: the agent's own. */
  uid: number | null;
  gid: number | null;
}

export interface ResolvedService extends Required<Omit<ServiceSpec, 'command' | 'configFile' | 'unit'>> {
  unit: string;
  command: ResolvedCommand | null;
  configFile: string | null;
}

export interface ResolvedConfig {
  /** Where the config was read from (for messages). */
  source: string;
  listen: { host: string; port: number };
  insecure: boolean;
  tls: { ca: string; cert: string; key: string; allowedClients: string[]; deniedSerials: string[] } | null;
  tokenFile: string | null;
  stateDir: string;
  backups: { dir: string; keep: number };
  limits: { maxRequestBytes: number; maxFileBytes: number; maxConnections: number; maxEditsPerRequest: number };
  drainTimeoutMs: number;
  auditSink: 'auto' | 'journald' | 'stderr';
  /** null: no metrics endpoint. */
  metrics: { host: string; port: number; tls: { cert: string; key: string } | null } | null;
  files: { path: string; backupDir: string }[];
  services: ResolvedService[];
  /** Absolute path of systemctl when a systemd service is configured. */
  systemctl: string | null;
  writePaths: string[];
}

/**
 * Every directory the agent (and the services it starts) writes: managed files' directories
 * (atomic writes create a temporary file beside the file), backup directories, the state directory,
 * command services' pid and log directories, and `writePaths`. Sorted, without duplicates.
 */
export function writableDirectories(c: ResolvedConfig): string[] {
  const dirs = new Set<string>([c.stateDir, ...c.writePaths]);
  for (const f of c.files) {
    dirs.add(path.dirname(f.path));
    dirs.add(f.backupDir);
  }
  for (const s of c.services) {
    if (!s.command) continue;
    dirs.add(path.dirname(s.command.pidFile));
    dirs.add(path.dirname(s.command.logFile));
  }
  return [...dirs].sort();
}

export interface LoadOptions {
  /** `--listen` */
  listen?: string;
  /** `--insecure` */
  insecure?: boolean;
  /** The process environment, passed in (never read deep inside). */
  env?: NodeJS.ProcessEnv;
}

/** Read, parse and validate the agent config file. Throws InvalidInputError naming the file and key. */
export function loadAgentConfig(file: string, opts: LoadOptions = {}): ResolvedConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new InvalidInputError(`agent config ${file}: cannot read it: ${(e as Error).message}`, { cause: e });
  }
  let raw: unknown;
  try {
    raw = YAML.parse(text) ?? {};
  } catch (e) {
    throw new InvalidInputError(`agent config ${file}: not valid YAML: ${(e as Error).message}`, { cause: e });
  }
  return validateAgentConfig(raw, file, opts);
}
