import * as path from 'node:path';
import { InvalidInputError } from '../../../shared/errors';
import { expandArgv, splitCommandLine } from '../shell/argv';
import { RawGroup, RawInventory, RawVar, SourcePos, where } from './raw';
import { AgentTls, Inventory, INVENTORY_DEFAULTS, MetaHost, PegasusCluster } from './types';

/**
 * Turn a raw inventory into clusters of meta servers with every variable resolved.
 *
 * Which groups are clusters: every group that lists hosts directly, other than `all` and
 * `ungrouped`. Groups that only hold children (`[pegasus:children]`) carry shared variables. A
 * host must be in exactly one cluster group: Ansible merges one variable set per host, so one
 * alias cannot serve two clusters (give each meta its own alias and use `ansible_host`).
 *
 * Precedence is Ansible's (`ansible.vars.manager` / `sort_groups`): groups are merged from the
 * shallowest to the deepest (`all` first, then parents, then children; same depth by
 * `ansible_group_priority`, then name), and host variables override every group.
 *
 * Every problem found is collected and reported at once, each naming the host or group, the
 * variable and where it was set.
 */

/** Variables zkmig reads. Any other variable that does not start with `ansible_` is refused. */
export const INVENTORY_VARIABLES = [
  'meta_port',
  'agent_port',
  'meta_config',
  'meta_service',
  'pegasus_shell',
  'agent_ca_file',
  'agent_cert_file',
  'agent_key_file',
  'agent_token_file',
  'agent_server_name',
] as const;

/** Placeholders that `pegasus_shell` may use. */
export const SHELL_PLACEHOLDERS = ['meta_servers', 'cluster'] as const;

export interface ResolveOptions {
  /** Used to warn about TLS files that are not there; omitted means no check. */
  fileExists?: (file: string) => boolean;
}

export function resolveInventory(raw: RawInventory, opts: ResolveOptions = {}): Inventory {
  const problems: string[] = [];
  const baseDir = path.dirname(raw.file);

  checkVariableNames(raw, problems);
  const depth = groupDepths(raw);
  const parents = parentMap(raw);

  // Direct groups of each host; `ungrouped` only counts when the host is in no other group.
  const hostGroups = new Map<string, RawGroup[]>();
  for (const g of raw.groups.values()) {
    for (const h of g.hosts) {
      const list = hostGroups.get(h) ?? [];
      list.push(g);
      hostGroups.set(h, list);
    }
  }
  const clusterOf = new Map<string, string>();
  for (const [host, groups] of hostGroups) {
    const clusters = groups.filter((g) => g.name !== 'ungrouped' && g.name !== 'all');
    if (clusters.length === 0) {
      problems.push(`${where(raw.hostPos.get(host)!)}: host "${host}" is in no group; list each meta server under the group named after its cluster`);
    } else if (clusters.length > 1) {
      problems.push(
        `${where(raw.hostPos.get(host)!)}: host "${host}" is listed in several cluster groups (${clusters.map((g) => g.name).join(', ')}); ` +
          'a host belongs to one cluster (use a separate alias per cluster with ansible_host)',
      );
    } else {
      clusterOf.set(host, clusters[0]!.name);
    }
  }

  const clusters: PegasusCluster[] = [];
  /** "variable path" → hosts that use it, for one warning per missing file. */
  const missingFiles = new Map<string, string[]>();
  const clusterGroups = [...raw.groups.values()].filter((g) => g.name !== 'all' && g.name !== 'ungrouped' && g.hosts.length > 0);
  for (const group of clusterGroups.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const metas: MetaHost[] = [];
    const shells = new Map<string, { template: string; host: string; pos: SourcePos }>();
    for (const host of group.hosts) {
      if (clusterOf.get(host) !== group.name) continue;
      const vars = hostVariables(raw, host, hostGroups.get(host) ?? [], parents, depth);
      const r = new HostResolver(host, group.name, vars, problems);
      const address = r.hostName('ansible_host') ?? r.ownName(raw.hostPos.get(host));
      const metaPort = r.port('meta_port') ?? INVENTORY_DEFAULTS.metaPort;
      const agentPort = r.port('agent_port') ?? INVENTORY_DEFAULTS.agentPort;
      const metaConfig = r.remotePath('meta_config');
      const metaService = r.serviceName('meta_service') ?? INVENTORY_DEFAULTS.metaService;
      const shell = r.string('pegasus_shell');
      const tls = r.tls(baseDir, address);
      if (metaConfig === undefined) r.missing('meta_config', 'absolute path of the meta server\'s config.ini on the host');
      if (shell === undefined) r.missing('pegasus_shell', 'e.g. "/opt/pegasus/run.sh shell --cluster {meta_servers}"');
      else shells.set(host, { template: shell, host, pos: vars.get('pegasus_shell')!.pos });
      if (tls && metaConfig !== undefined) {
        metas.push({
          name: host,
          address,
          metaPort,
          metaAddress: hostPort(address, metaPort),
          agentPort,
          agentAddress: hostPort(address, agentPort),
          metaConfig,
          metaService,
          tls,
        });
        if (opts.fileExists) {
          for (const [v, f] of [['agent_ca_file', tls.caFile], ['agent_cert_file', tls.certFile], ['agent_key_file', tls.keyFile], ['agent_token_file', tls.tokenFile]] as const) {
            if (f !== undefined && !opts.fileExists(f)) {
              const key = `${v} ${f}`;
              missingFiles.set(key, [...(missingFiles.get(key) ?? []), host]);
            }
          }
        }
      }
    }
    const metaServers = metas.map((m) => m.metaAddress).join(',');
    const seen = new Map<string, string>();
    for (const m of metas) {
      const other = seen.get(m.metaAddress);
      if (other !== undefined) problems.push(`cluster ${group.name}: hosts "${other}" and "${m.name}" both resolve to meta server ${m.metaAddress}`);
      seen.set(m.metaAddress, m.name);
    }
    const templates = [...new Set([...shells.values()].map((s) => s.template))];
    if (templates.length > 1) {
      problems.push(
        `cluster ${group.name}: pegasus_shell must be the same for every meta of a cluster, but ` +
          [...shells.values()].map((s) => `host "${s.host}" has ${JSON.stringify(s.template)} (${where(s.pos)})`).join(', '),
      );
    }
    const template = templates[0];
    let argv: string[] | undefined;
    if (template !== undefined && templates.length === 1) {
      try {
        argv = expandArgv(splitCommandLine(template), { meta_servers: metaServers, cluster: group.name });
      } catch (e) {
        const s = [...shells.values()][0]!;
        problems.push(`${where(s.pos)}: cluster ${group.name}: pegasus_shell: ${(e as Error).message}`);
      }
    }
    // Incomplete clusters are dropped here; the problems recorded above are thrown below.
    if (argv !== undefined && template !== undefined) {
      clusters.push({ name: group.name, metas, metaServers, shell: { template, argv } });
    }
  }

  // A meta server endpoint belongs to one cluster.
  const owner = new Map<string, string>();
  for (const c of clusters) {
    for (const m of c.metas) {
      const o = owner.get(m.metaAddress);
      if (o !== undefined && o !== c.name) problems.push(`meta server ${m.metaAddress} appears in clusters ${o} and ${c.name}`);
      owner.set(m.metaAddress, c.name);
    }
  }
  if (problems.length === 0 && clusters.length === 0) {
    problems.push(`${raw.file}: no cluster found (a cluster is a group that lists its meta servers as hosts)`);
  }
  if (problems.length > 0) {
    throw new InvalidInputError(
      problems.length === 1 ? `inventory: ${problems[0]}` : `inventory has ${problems.length} problems:\n  - ${problems.join('\n  - ')}`,
      { context: { file: raw.file, problems } },
    );
  }
  const warnings = [...missingFiles].map(([what, hosts]) => `${what} does not exist on this machine (${hosts.length === 1 ? 'host' : 'hosts'} ${hosts.join(', ')})`);
  return { file: raw.file, format: raw.format, clusters, warnings };
}

/** Refuse variables that are neither zkmig's nor Ansible's, where they are defined. */
function checkVariableNames(raw: RawInventory, problems: string[]): void {
  const check = (owner: string, vars: Map<string, RawVar>): void => {
    for (const [name, v] of vars) {
      if (name.startsWith('ansible_') || (INVENTORY_VARIABLES as readonly string[]).includes(name)) continue;
      const near = INVENTORY_VARIABLES.find((k) => editDistance(k, name) <= 2);
      problems.push(`${where(v.pos)}: ${owner}: unknown variable "${name}"${near ? ` (did you mean ${near}?)` : ''}`);
    }
  };
  for (const g of raw.groups.values()) check(`group "${g.name}"`, g.vars);
  for (const [h, vars] of raw.hostVars) check(`host "${h}"`, vars);
}

/** Parents of every group; a group nobody lists as a child is a child of `all`. */
function parentMap(raw: RawInventory): Map<string, string[]> {
  const parents = new Map<string, string[]>();
  for (const g of raw.groups.values()) {
    for (const c of g.children) parents.set(c, [...(parents.get(c) ?? []), g.name]);
  }
  for (const g of raw.groups.keys()) {
    if (g !== 'all' && !(parents.get(g)?.length)) parents.set(g, ['all']);
  }
  return parents;
}

/** Ansible's group depth: the longest path from `all`. A cycle is an error naming it. */
function groupDepths(raw: RawInventory): Map<string, number> {
  const parents = parentMap(raw);
  const depth = new Map<string, number>([['all', 0]]);
  const visiting: string[] = [];
  const visit = (g: string): number => {
    const known = depth.get(g);
    if (known !== undefined) return known;
    if (visiting.includes(g)) {
      const cycle = [...visiting.slice(visiting.indexOf(g)), g].reverse().join(' → ');
      throw new InvalidInputError(`${where(raw.groups.get(g)!.pos)}: group children form a loop: ${cycle}`, { context: { file: raw.file } });
    }
    visiting.push(g);
    const d = 1 + Math.max(...(parents.get(g) ?? ['all']).map(visit));
    visiting.pop();
    depth.set(g, d);
    return d;
  };
  for (const g of raw.groups.keys()) visit(g);
  return depth;
}

/** Every variable of a host, merged with Ansible's precedence. */
function hostVariables(raw: RawInventory, host: string, direct: RawGroup[], parents: Map<string, string[]>, depth: Map<string, number>): Map<string, RawVar> {
  const groups = new Set<string>(['all']);
  const climb = (g: string): void => {
    if (groups.has(g)) return;
    groups.add(g);
    for (const p of parents.get(g) ?? []) climb(p);
  };
  for (const g of direct) if (g.name !== 'ungrouped' || direct.length === 1) climb(g.name);
  const priority = (g: string): number => {
    const p = raw.groups.get(g)?.vars.get('ansible_group_priority')?.value;
    return typeof p === 'number' ? p : Number(p ?? 1) || 1;
  };
  const ordered = [...groups].sort((a, b) => depth.get(a)! - depth.get(b)! || priority(a) - priority(b) || (a < b ? -1 : a > b ? 1 : 0));
  const vars = new Map<string, RawVar>();
  for (const g of ordered) for (const [k, v] of raw.groups.get(g)!.vars) vars.set(k, v);
  for (const [k, v] of raw.hostVars.get(host) ?? []) vars.set(k, v);
  return vars;
}

/** A host name, an IPv4 address, or an IPv6 address with or without brackets. */
const HOST_NAME = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|[0-9a-fA-F:]+)$/;

/** Typed access to one host's merged variables; problems are collected, never thrown. */
class HostResolver {
  constructor(
    private readonly host: string,
    private readonly cluster: string,
    private readonly vars: Map<string, RawVar>,
    private readonly problems: string[],
  ) {}

  private bad(name: string, message: string): undefined {
    const v = this.vars.get(name);
    this.problems.push(`${v ? `${where(v.pos)}: ` : ''}host "${this.host}" (cluster ${this.cluster}): ${name} ${message}`);
    return undefined;
  }

  missing(name: string, hint: string): void {
    this.problems.push(`host "${this.host}" (cluster ${this.cluster}): missing required variable ${name} (${hint}); set it on the host or one of its groups`);
  }

  string(name: string): string | undefined {
    const v = this.vars.get(name);
    if (v === undefined) return undefined;
    // YAML `meta_port:` with nothing after it: an error rather than a quiet fall back to the default.
    if (v.value === null || v.value === undefined) return this.bad(name, 'is set but has no value');
    if (typeof v.value !== 'string' && typeof v.value !== 'number') return this.bad(name, `must be a string, found ${JSON.stringify(v.value)}`);
    const s = String(v.value);
    if (s.trim() === '') return this.bad(name, 'is empty');
    if (/\{\{|\{%/.test(s)) return this.bad(name, `is a Jinja2 template (${JSON.stringify(s)}); zkmig does not evaluate templates, write the value itself`);
    if (/[\r\n\0]/.test(s)) return this.bad(name, 'contains a line break or NUL');
    return s;
  }

  port(name: string): number | undefined {
    const v = this.vars.get(name);
    if (v === undefined) return undefined;
    if (v.value === null) return this.bad(name, 'is set but has no value');
    const text = String(v.value).trim();
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < 1 || n > 65535) return this.bad(name, `${JSON.stringify(v.value)} is not a port number (1-65535)`);
    return n;
  }

  hostName(name: string): string | undefined {
    const s = this.string(name);
    if (s === undefined) return undefined;
    if (!HOST_NAME.test(s)) return this.bad(name, `${JSON.stringify(s)} is not a host name or IP address`);
    return s;
  }

  /**
   * The inventory name as the address (no ansible_host): it must be a host name too, else a typo
   * such as `meta1:34601:x` or a mis-encoded name becomes an address zkmig would dial.
   */
  ownName(pos: SourcePos | undefined): string {
    // Underscores are allowed here (not in ansible_host): aliases like meta_1 resolve through /etc/hosts.
    if (!/^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?|[0-9a-fA-F:]+)$/.test(this.host)) {
      this.problems.push(
        `${pos ? `${where(pos)}: ` : ''}host ${JSON.stringify(this.host)} (cluster ${this.cluster}): the inventory name is its address (no ansible_host), and it is not a host name or IP address; fix the name or set ansible_host`,
      );
    }
    return this.host;
  }

  serviceName(name: string): string | undefined {
    const s = this.string(name);
    if (s !== undefined && !/^[A-Za-z0-9@._:-]+$/.test(s)) return this.bad(name, `${JSON.stringify(s)} is not a service name (letters, digits, @ . _ : -)`);
    return s;
  }

  /** A path on the meta host: must be absolute, since no working directory applies there. */
  remotePath(name: string): string | undefined {
    const s = this.string(name);
    if (s !== undefined && !s.startsWith('/')) return this.bad(name, `${JSON.stringify(s)} must be an absolute path on the meta host`);
    return s;
  }

  /** A path on this machine; relative paths are resolved against the inventory's directory. */
  localPath(name: string, baseDir: string): string | undefined {
    const s = this.string(name);
    if (s === undefined) return undefined;
    if (s.startsWith('~')) return this.bad(name, `${JSON.stringify(s)}: "~" is not expanded; use an absolute path or one relative to the inventory file`);
    return path.resolve(baseDir, s);
  }

  tls(baseDir: string, address: string): AgentTls | undefined {
    const before = this.problems.length;
    const caFile = this.localPath('agent_ca_file', baseDir);
    const certFile = this.localPath('agent_cert_file', baseDir);
    const keyFile = this.localPath('agent_key_file', baseDir);
    const tokenFile = this.localPath('agent_token_file', baseDir);
    const serverName = this.hostName('agent_server_name') ?? address.replace(/^\[(.*)\]$/, '$1');
    if (this.problems.length > before) return undefined;
    if (caFile === undefined) this.missing('agent_ca_file', 'CA that signed the agents\' certificates');
    if (certFile === undefined) this.missing('agent_cert_file', 'client certificate: agents always require mutual TLS');
    if (keyFile === undefined) this.missing('agent_key_file', 'private key of agent_cert_file');
    if (this.problems.length > before || caFile === undefined || certFile === undefined || keyFile === undefined) return undefined;
    return { caFile, certFile, keyFile, ...(tokenFile !== undefined ? { tokenFile } : {}), serverName };
  }
}

/** `host:port`, with an IPv6 address in brackets. */
function hostPort(address: string, port: number): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]:${port}` : `${address}:${port}`;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}
