/**
 * Validation of the agent's YAML config into a ResolvedConfig: every default applied, every path
 * checked, unknown keys rejected, argv[0] resolved to an absolute path. Each error names the key.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidInputError } from '../shared/errors';
import { isLoopback, normalizeSerial, parseHostPort } from '../shared/tls';
import type { AgentConfig, LoadOptions, ResolvedCommand, ResolvedConfig, ResolvedService } from './config';

type Obj = Record<string, unknown>;

const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$/;
const UNIT_NAME = /^[A-Za-z0-9:_.\\@][A-Za-z0-9:_.\\@-]*\.(service|target|scope)$/;

class Checker {
  constructor(readonly source: string) {}

  fail(key: string, msg: string): never {
    // key '' is the document itself (a file that is a YAML scalar or list, e.g. binary garbage).
    throw new InvalidInputError(`agent config ${this.source}: ${key || 'the top level'}: ${msg}`, { context: { key } });
  }

  obj(v: unknown, key: string, allowed: string[]): Obj {
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v)) this.fail(key, 'must be a mapping');
    for (const k of Object.keys(v as Obj)) {
      if (!allowed.includes(k)) this.fail(key ? `${key}.${k}` : k, `unknown key (allowed: ${allowed.join(', ')})`);
    }
    return v as Obj;
  }

  str(v: unknown, key: string, def?: string): string {
    if (v === undefined || v === null) {
      if (def === undefined) this.fail(key, 'is required');
      return def;
    }
    if (typeof v !== 'string') this.fail(key, 'must be a string');
    return v;
  }

  absPath(v: unknown, key: string, def?: string): string {
    const p = this.str(v, key, def);
    if (!path.isAbsolute(p)) this.fail(key, `"${p}" must be an absolute path`);
    if (p !== '/' && (p.split('/').includes('..') || path.normalize(p) !== p || p.endsWith('/') || p.includes('\0'))) {
      this.fail(key, `"${p}" must be normalised (no "..", ".", "//" or trailing "/")`);
    }
    return p;
  }

  int(v: unknown, key: string, def: number, min = 1, max = 2 ** 31 - 1): number {
    if (v === undefined || v === null) return def;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) this.fail(key, `must be an integer from ${min} to ${max}`);
    return v;
  }

  bool(v: unknown, key: string, def: boolean): boolean {
    if (v === undefined || v === null) return def;
    if (typeof v !== 'boolean') this.fail(key, 'must be true or false');
    return v;
  }

  argv(v: unknown, key: string): string[] {
    if (!Array.isArray(v) || v.length === 0 || !v.every((a) => typeof a === 'string')) {
      this.fail(key, 'must be a non-empty list of strings (an argv list, never a shell string)');
    }
    if ((v as string[]).some((a) => a.includes('\0'))) this.fail(key, 'contains a NUL byte');
    return v as string[];
  }
}

/** The absolute path of `bin`, searched in PATH when it has no slash; undefined when not executable. */
export function resolveBinary(bin: string, envPath: string | undefined): string | undefined {
  const candidates = bin.includes('/') ? [path.resolve(bin)] : (envPath ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':').filter(Boolean).map((d) => path.join(d, bin));
  for (const c of candidates) {
    try {
      fs.accessSync(c, fs.constants.X_OK);
      if (fs.statSync(c).isFile()) return c;
    } catch {
      /* next */
    }
  }
  return undefined;
}

export function validateAgentConfig(raw: unknown, source: string, opts: LoadOptions = {}): ResolvedConfig {
  const c = new Checker(source);
  const env = opts.env ?? {};
  const top = c.obj(raw, '', ['listen', 'tls', 'auth', 'stateDir', 'backups', 'limits', 'drainTimeoutMs', 'auditSink', 'metrics', 'files', 'services', 'writePaths']) as AgentConfig & Obj;

  const listenText = opts.listen ?? env.ZKMIG_AGENT_LISTEN ?? c.str(top.listen, 'listen', '0.0.0.0:7443');
  const listenKey = opts.listen !== undefined ? '--listen' : env.ZKMIG_AGENT_LISTEN !== undefined ? 'ZKMIG_AGENT_LISTEN' : 'listen';
  const listen = ((): { host: string; port: number } => {
    try {
      return parseHostPort(listenText, listenKey);
    } catch (e) {
      return c.fail(listenKey, (e as Error).message.replace(/^[^:]*: /, ''));
    }
  })();
  const insecure = opts.insecure === true;
  if (insecure && !isLoopback(listen.host)) {
    c.fail(listenKey, `--insecure is only allowed on a loopback address, not ${listen.host}: without TLS anyone who can reach the port could edit configs and stop services`);
  }

  const tlsObj = c.obj(top.tls, 'tls', ['ca', 'cert', 'key', 'allowedClients', 'deniedSerials']);
  let tls: ResolvedConfig['tls'] = null;
  if (!insecure) {
    const allowed = tlsObj.allowedClients ?? [];
    if (!Array.isArray(allowed) || !allowed.every((a) => typeof a === 'string' && a !== '')) c.fail('tls.allowedClients', 'must be a list of certificate CNs');
    const denied = tlsObj.deniedSerials ?? [];
    if (!Array.isArray(denied) || !denied.every((d) => typeof d === 'string' && /^[0-9A-Fa-f:\s]+$/.test(d) && /[0-9A-Fa-f]/.test(d))) {
      c.fail('tls.deniedSerials', 'must be a list of certificate serial numbers in hex (as `openssl x509 -noout -serial` prints them)');
    }
    tls = {
      deniedSerials: (denied as string[]).map(normalizeSerial),
      ca: c.absPath(tlsObj.ca, 'tls.ca'),
      cert: c.absPath(tlsObj.cert, 'tls.cert'),
      key: c.absPath(tlsObj.key, 'tls.key'),
      allowedClients: allowed as string[],
    };
    for (const k of ['ca', 'cert', 'key'] as const) {
      if (!fs.existsSync(tls[k])) c.fail(`tls.${k}`, `${tls[k]} does not exist (make it with deploy/make-certs.sh, or run with --insecure on loopback for a test)`);
    }
  }

  const authObj = c.obj(top.auth, 'auth', ['tokenFile']);
  const tokenFile = authObj.tokenFile === undefined ? null : c.absPath(authObj.tokenFile, 'auth.tokenFile');
  if (tokenFile !== null && !fs.existsSync(tokenFile)) c.fail('auth.tokenFile', `${tokenFile} does not exist`);

  const stateDir = c.absPath(top.stateDir, 'stateDir', '/var/lib/zkmig-agent');
  const backupsObj = c.obj(top.backups, 'backups', ['dir', 'keep']);
  const backupsDir = backupsObj.dir === undefined || backupsObj.dir === '' ? '' : c.absPath(backupsObj.dir, 'backups.dir');
  const limitsObj = c.obj(top.limits, 'limits', ['maxRequestBytes', 'maxFileBytes', 'maxConnections', 'maxEditsPerRequest']);

  const files = resolveFiles(c, top.files, backupsDir);
  const services = resolveServices(c, top.services, stateDir, files.map((f) => f.path), env);
  let systemctl: string | null = null;
  if (services.some((s) => s.backend === 'systemd')) {
    systemctl = resolveBinary('systemctl', '/usr/bin:/bin:/usr/sbin:/sbin') ?? null;
    if (!systemctl) c.fail('services', 'a systemd service is configured but systemctl was not found in /usr/bin, /bin, /usr/sbin or /sbin');
  }
  const metrics = resolveMetrics(c, top.metrics);
  const wp = top.writePaths ?? [];
  if (!Array.isArray(wp)) c.fail('writePaths', 'must be a list of absolute directories');
  const writePaths = (wp as unknown[]).map((p, i) => c.absPath(p, `writePaths[${i}]`));
  return {
    source,
    writePaths,
    listen,
    insecure,
    tls,
    tokenFile,
    stateDir,
    backups: { dir: backupsDir, keep: c.int(backupsObj.keep, 'backups.keep', 50, 1, 100000) },
    limits: {
      maxRequestBytes: c.int(limitsObj.maxRequestBytes, 'limits.maxRequestBytes', 1 << 20, 1024, 64 << 20),
      maxFileBytes: c.int(limitsObj.maxFileBytes, 'limits.maxFileBytes', 4 << 20, 1024, 64 << 20),
      maxConnections: c.int(limitsObj.maxConnections, 'limits.maxConnections', 64, 1, 10000),
      maxEditsPerRequest: c.int(limitsObj.maxEditsPerRequest, 'limits.maxEditsPerRequest', 200, 1, 10000),
    },
    drainTimeoutMs: c.int(top.drainTimeoutMs, 'drainTimeoutMs', 30000, 0, 3600000),
    auditSink: ((): ResolvedConfig['auditSink'] => {
      const v = c.str(top.auditSink, 'auditSink', 'auto');
      if (v !== 'auto' && v !== 'journald' && v !== 'stderr') return c.fail('auditSink', `"${v}" must be auto, journald or stderr`);
      return v;
    })(),
    metrics,
    files,
    services,
    systemctl,
  };
}

function resolveMetrics(c: Checker, raw: unknown): ResolvedConfig['metrics'] {
  const m = c.obj(raw, 'metrics', ['listen', 'tls']);
  if (m.listen === undefined || m.listen === null || m.listen === '') {
    if (m.tls !== undefined) c.fail('metrics.tls', 'set metrics.listen too (metrics are off without it)');
    return null;
  }
  let at: { host: string; port: number };
  try {
    at = parseHostPort(c.str(m.listen, 'metrics.listen', ''), 'metrics.listen');
  } catch (e) {
    return c.fail('metrics.listen', (e as Error).message.replace(/^[^:]*: /, ''));
  }
  if (m.tls === undefined || m.tls === null) return { ...at, tls: null };
  const t = c.obj(m.tls, 'metrics.tls', ['cert', 'key']);
  const tls = { cert: c.absPath(t.cert, 'metrics.tls.cert'), key: c.absPath(t.key, 'metrics.tls.key') };
  for (const k of ['cert', 'key'] as const) if (!fs.existsSync(tls[k])) c.fail(`metrics.tls.${k}`, `${tls[k]} does not exist`);
  return { ...at, tls };
}

function resolveFiles(c: Checker, raw: unknown, backupsDir: string): ResolvedConfig['files'] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) c.fail('files', 'must be a list');
  const out: ResolvedConfig['files'] = [];
  raw.forEach((f, i) => {
    const key = `files[${i}]`;
    const o = c.obj(f, key, ['path', 'backupDir']);
    const p = c.absPath(o.path, `${key}.path`);
    if (out.some((x) => x.path === p)) c.fail(`${key}.path`, `${p} is listed twice`);
    // The allowlist is compared with the file's real path at every request; a configured path that
    // goes through a symlink would never match, so say it now rather than deny every call later.
    if (fs.existsSync(p)) {
      const real = fs.realpathSync(p);
      if (real !== p) c.fail(`${key}.path`, `${p} is or goes through a symlink (real path ${real}); list the real path`);
      if (!fs.statSync(p).isFile()) c.fail(`${key}.path`, `${p} is not a regular file`);
    }
    const backupDir = o.backupDir === undefined ? backupsDir || path.dirname(p) : c.absPath(o.backupDir, `${key}.backupDir`);
    out.push({ path: p, backupDir });
  });
  return out;
}

function resolveServices(c: Checker, raw: unknown, stateDir: string, files: string[], env: NodeJS.ProcessEnv): ResolvedService[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) c.fail('services', 'must be a list');
  const out: ResolvedService[] = [];
  raw.forEach((s, i) => {
    const key = `services[${i}]`;
    const o = c.obj(s, key, ['name', 'backend', 'unit', 'command', 'configFile', 'startTimeoutMs', 'stopTimeoutMs', 'graceMs']);
    const name = c.str(o.name, `${key}.name`);
    if (!SERVICE_NAME.test(name)) c.fail(`${key}.name`, `"${name}" must be letters, digits, _ . @ - (at most 100)`);
    if (out.some((x) => x.name === name)) c.fail(`${key}.name`, `"${name}" is listed twice`);
    const backend = c.str(o.backend, `${key}.backend`);
    if (backend !== 'systemd' && backend !== 'command') c.fail(`${key}.backend`, `"${backend}" must be systemd or command`);
    const configFile = o.configFile === undefined ? null : c.absPath(o.configFile, `${key}.configFile`);
    if (configFile !== null && !files.includes(configFile)) c.fail(`${key}.configFile`, `${configFile} is not one of the managed files`);
    let unit = '';
    let command: ResolvedCommand | null = null;
    if (backend === 'systemd') {
      if (o.command !== undefined) c.fail(`${key}.command`, 'only for backend: command');
      unit = c.str(o.unit, `${key}.unit`, `${name}.service`);
      if (!UNIT_NAME.test(unit)) c.fail(`${key}.unit`, `"${unit}" is not a unit name (name.service)`);
    } else {
      if (o.unit !== undefined) c.fail(`${key}.unit`, 'only for backend: systemd');
      command = resolveCommand(c, o.command, `${key}.command`, name, stateDir, env);
      unit = command.start.join(' ');
    }
    out.push({
      name,
      backend,
      unit,
      command,
      configFile,
      startTimeoutMs: c.int(o.startTimeoutMs, `${key}.startTimeoutMs`, 60000, 1, 3600000),
      stopTimeoutMs: c.int(o.stopTimeoutMs, `${key}.stopTimeoutMs`, 60000, 1, 3600000),
      graceMs: c.int(o.graceMs, `${key}.graceMs`, 5000, 0, 600000),
    });
  });
  return out;
}

function resolveCommand(c: Checker, raw: unknown, key: string, name: string, stateDir: string, env: NodeJS.ProcessEnv): ResolvedCommand {
  if (raw === undefined) c.fail(key, 'is required for backend: command');
  const o = c.obj(raw, key, ['type', 'start', 'stop', 'status', 'pidFile', 'logFile', 'cwd', 'env', 'user', 'group']);
  const type = c.str(o.type, `${key}.type`, 'simple');
  if (type !== 'simple' && type !== 'forking') c.fail(`${key}.type`, `"${type}" must be simple or forking`);
  const envObj = c.obj(o.env, `${key}.env`, Object.keys((o.env as Obj | undefined) ?? {}));
  for (const [k, v] of Object.entries(envObj)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) c.fail(`${key}.env.${k}`, 'is not a valid variable name');
    if (typeof v !== 'string') c.fail(`${key}.env.${k}`, 'must be a string (quote numbers)');
  }
  const resolve = (argvRaw: unknown, k: string): string[] => {
    const argv = c.argv(argvRaw, k);
    const bin = resolveBinary(argv[0] as string, (envObj.PATH as string | undefined) ?? env.PATH);
    if (!bin) c.fail(`${k}[0]`, `"${argv[0]}" is not an executable file${(argv[0] as string).includes('/') ? '' : ' in PATH'}`);
    return [bin, ...argv.slice(1)];
  };
  if (type === 'forking' && o.pidFile === undefined) c.fail(`${key}.pidFile`, 'is required for type: forking (the script writes it)');
  return {
    type,
    start: resolve(o.start, `${key}.start`),
    stop: o.stop === undefined ? null : resolve(o.stop, `${key}.stop`),
    status: o.status === undefined ? null : resolve(o.status, `${key}.status`),
    pidFile: c.absPath(o.pidFile, `${key}.pidFile`, path.join(stateDir, 'services', `${name}.pid`)),
    logFile: c.absPath(o.logFile, `${key}.logFile`, path.join(stateDir, 'services', `${name}.log`)),
    cwd: c.absPath(o.cwd, `${key}.cwd`, '/'),
    env: envObj as Record<string, string>,
    ...resolveIds(c, o.user, o.group, key),
  };
}

/** One entry of the user or group database (NSS through getent, else the files), or undefined. */
function lookupId(db: 'passwd' | 'group', name: string): { id: number; gid: number } | undefined {
  let line: string | undefined;
  const r = spawnSync('getent', [db, name], { encoding: 'utf8', timeout: 5000 });
  if (r.error) {
    const f = fs.readFileSync(`/etc/${db}`, 'utf8').split('\n');
    line = f.find((l) => l.split(':')[0] === name) ?? f.find((l) => /^\d+$/.test(name) && l.split(':')[2] === name);
  } else if (r.status === 0) line = r.stdout.split('\n')[0];
  if (!line) return undefined;
  const parts = line.split(':');
  return { id: Number(parts[2]), gid: Number(parts[3] ?? parts[2]) };
}

/** `user:` and `group:` of a command service as numeric ids, checked against the host's databases. */
function resolveIds(c: Checker, user: unknown, group: unknown, key: string): { uid: number | null; gid: number | null } {
  let uid: number | null = null;
  let gid: number | null = null;
  if (user !== undefined) {
    const name = c.str(user, `${key}.user`, '');
    const u = name === '' ? undefined : lookupId('passwd', name);
    if (!u) c.fail(`${key}.user`, `"${name}" is not a user on this host`);
    uid = u.id;
    gid = u.gid;
  }
  if (group !== undefined) {
    const name = c.str(group, `${key}.group`, '');
    const g = name === '' ? undefined : lookupId('group', name);
    if (!g) c.fail(`${key}.group`, `"${name}" is not a group on this host`);
    gid = g.id;
  }
  // The unit leaves CAP_SETUID/CAP_SETGID out of its bounding set (each costs exposure in
  // `systemd-analyze security`); a service that needs them says so at load, not at its first start.
  const needUid = uid !== null && uid !== process.getuid?.();
  const needGid = gid !== null && gid !== process.getgid?.();
  if ((needUid && !hasCapability(CAP_SETUID)) || (needGid && !hasCapability(CAP_SETGID))) {
    c.fail(
      `${key}.${needUid ? 'user' : 'group'}`,
      'needs CAP_SETUID and CAP_SETGID, which the agent does not have: add them in a drop-in ' +
        '(systemctl edit zkmig-agent: [Service] CapabilityBoundingSet=CAP_SETUID CAP_SETGID)',
    );
  }
  return { uid, gid };
}

const CAP_SETGID = 6;
const CAP_SETUID = 7;

/** Whether this process holds capability `bit` in its effective set (/proc/self/status CapEff). */
function hasCapability(bit: number): boolean {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return m !== null && (BigInt(`0x${m[1]}`) & (1n << BigInt(bit))) !== 0n;
  } catch {
    return false;
  }
}
