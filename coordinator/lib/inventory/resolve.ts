import * as path from 'node:path';
import { InvalidInputError } from '../../../shared/errors';
import { expandArgv, splitCommandLine } from '../shell/argv';
import { RawGroup, RawInventory, RawVar, SourcePos, where } from './raw';
import { AgentTls, ClusterZkSecurity, Inventory, INVENTORY_DEFAULTS, MetaHost, PegasusCluster, ZkSecurityVars } from './types';

/**
 * Turn a raw inventory into clusters of meta servers with every variable resolved.
 *
 * Which groups are clusters: the children of the group `pegasus_clusters` when the inventory has
 * one (its other groups, e.g. replica servers, collectors or ZooKeeper hosts, are ignored). A
 * cluster's meta servers are the group's hosts, its child groups' included. Without a
 * `pegasus_clusters` group (inventories written for zkmig alone), every group that lists hosts
 * directly, other than `all` and `ungrouped`, is a cluster, as before. A host may be in any
 * number of groups, but in one cluster only: Ansible merges one variable set per host, so one
 * alias cannot serve two clusters (give each meta its own alias and use `ansible_host`).
 *
 * Precedence is Ansible's (`ansible.vars.manager` with the default `VARIABLE_PRECEDENCE`): the
 * inventory's `all` vars, then its other groups' vars from the shallowest to the deepest (same
 * depth by `ansible_group_priority`, then name), then `group_vars/all`, then `group_vars/GROUP`
 * in the same order, then the host's inventory vars, then `host_vars/HOST`.
 *
 * Variables zkmig does not know are ignored (a site inventory carries many), except that a
 * near-miss of one of zkmig's names on a meta host is reported as a warning with "did you mean".
 * Every problem found is collected and reported at once, each naming the host or group, the
 * variable and where it was set.
 */

/** The group whose children are the Pegasus clusters. */
export const CLUSTERS_GROUP = 'pegasus_clusters';

/** Variables zkmig reads. Others are ignored; a near-miss of one of these is warned about. */
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
  ...ZK_VARIABLES('zk_'),
  ...ZK_VARIABLES('zk_new_'),
] as const;

/** The ZooKeeper security variables under one prefix (`zk_` for every ensemble, `zk_new_` for the new one). */
function ZK_VARIABLES<P extends string>(p: P) {
  return [`${p}tls_ca_file`, `${p}tls_cert_file`, `${p}tls_key_file`, `${p}tls_server_name`, `${p}sasl_user`, `${p}sasl_password_file`, `${p}krb_principal`, `${p}krb_keytab`, `${p}krb_service`] as const;
}

/** Placeholders that `pegasus_shell` may use. */
export const SHELL_PLACEHOLDERS = ['meta_servers', 'cluster'] as const;

export interface ResolveOptions {
  /** Used to warn about TLS files that are not there; omitted means no check. */
  fileExists?: (file: string) => boolean;
}

export function resolveInventory(raw: RawInventory, opts: ResolveOptions = {}): Inventory {
  const problems: string[] = [];
  const baseDir = path.dirname(raw.file);

  const depth = groupDepths(raw);
  const parents = parentMap(raw);
  const marked = raw.groups.has(CLUSTERS_GROUP);
  const warnings: string[] = [];

  // Direct groups of each host; `ungrouped` only counts when the host is in no other group.
  const hostGroups = new Map<string, RawGroup[]>();
  for (const g of raw.groups.values()) {
    for (const h of g.hosts) {
      const list = hostGroups.get(h) ?? [];
      list.push(g);
      hostGroups.set(h, list);
    }
  }
  const allHosts = groupHosts(raw);
  const clusterGroups = marked
    ? raw.groups.get(CLUSTERS_GROUP)!.children.map((c) => raw.groups.get(c)!)
    : [...raw.groups.values()].filter((g) => g.name !== 'all' && g.name !== 'ungrouped' && g.hosts.length > 0);
  const clusterOf = new Map<string, string>();
  const clusterHosts = new Map<string, string[]>();
  const reported = new Set<string>();
  for (const g of clusterGroups) {
    const hosts = allHosts.get(g.name) ?? [];
    clusterHosts.set(g.name, hosts);
    for (const host of hosts) {
      const other = clusterOf.get(host);
      if (other === undefined) {
        clusterOf.set(host, g.name);
      } else if (!reported.has(host)) {
        reported.add(host);
        const all = clusterGroups.filter((c) => allHosts.get(c.name)?.includes(host)).map((c) => c.name);
        problems.push(
          `${where(raw.hostPos.get(host)!)}: host "${host}" is listed in several cluster groups (${all.join(', ')}); ` +
            'a host belongs to one cluster (use a separate alias per cluster with ansible_host)',
        );
      }
    }
  }
  if (!marked) {
    for (const [host, groups] of hostGroups) {
      if (groups.every((g) => g.name === 'ungrouped' || g.name === 'all')) {
        problems.push(`${where(raw.hostPos.get(host)!)}: host "${host}" is in no group; list each meta server under the group named after its cluster`);
      }
    }
  }

  const clusters: PegasusCluster[] = [];
  /** "variable path" → hosts that use it, for one warning per missing file. */
  const missingFiles = new Map<string, string[]>();
  // Near-misses of zkmig's names, where they can reach a meta server: on its groups or itself.
  const nearMisses = new Set<string>();
  const check = (owner: string, vars: Map<string, RawVar> | undefined): void => {
    for (const [name, v] of vars ?? []) {
      const w = nearMiss(name);
      if (w !== undefined) nearMisses.add(`${where(v.pos)}: ${owner}: unknown variable "${name}" (did you mean ${w}?); zkmig ignores it`);
    }
  };
  for (const g of raw.groups.values()) {
    if (!(allHosts.get(g.name) ?? []).some((h) => clusterOf.has(h))) continue;
    check(`group "${g.name}"`, g.vars);
    check(`group "${g.name}"`, raw.groupVarFiles.get(g.name));
  }
  for (const h of clusterOf.keys()) {
    check(`host "${h}"`, raw.hostVars.get(h));
    check(`host "${h}"`, raw.hostVarFiles.get(h));
  }
  for (const group of clusterGroups.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const metas: MetaHost[] = [];
    const shells = new Map<string, { template: string; host: string; pos: SourcePos }>();
    const zks = new Map<string, { json: string; value: ClusterZkSecurity }>();
    for (const host of clusterHosts.get(group.name) ?? []) {
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
      const zk = r.zkSecurity(baseDir);
      zks.set(host, { json: JSON.stringify(zk), value: zk });
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
    // One migration, one way to log in: the coordinator cannot use different credentials per meta.
    const zkSets = [...new Set([...zks.values()].map((z) => z.json))];
    if (zkSets.length > 1) {
      problems.push(`cluster ${group.name}: the zk_* / zk_new_* variables must be the same for every meta of a cluster, but ${[...zks].map(([h, z]) => `host "${h}" has ${z.json}`).join(', ')}`);
    }
    const zkSecurity = [...zks.values()][0]?.value ?? {};
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
      clusters.push({ name: group.name, metas, metaServers, shell: { template, argv }, ...(zkSecurity.all || zkSecurity.target ? { zk: zkSecurity } : {}) });
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
    problems.push(
      marked
        ? `${raw.file}: no cluster found (group ${CLUSTERS_GROUP} has no child group with hosts)`
        : `${raw.file}: no cluster found (a cluster is a child group of ${CLUSTERS_GROUP}, or, without that group, any group that lists its meta servers as hosts)`,
    );
  }
  if (problems.length > 0 && !marked && clusterGroups.length > 1) {
    // A site inventory (ZooKeeper, replica or collector groups) read without the marker group.
    problems.push(
      `every group with hosts was taken for a Pegasus cluster (${clusterGroups.map((g) => g.name).join(', ')}) because the inventory has no ` +
        `"${CLUSTERS_GROUP}" group; if it holds other hosts too, list the clusters under [${CLUSTERS_GROUP}:children]`,
    );
  }
  // A refused inventory also names its near-misses: often they are why a variable is missing.
  if (problems.length > 0) problems.push(...nearMisses);
  if (problems.length > 0) {
    throw new InvalidInputError(
      problems.length === 1 ? `inventory: ${problems[0]}` : `inventory has ${problems.length} problems:\n  - ${problems.join('\n  - ')}`,
      { context: { file: raw.file, problems } },
    );
  }
  warnings.push(...nearMisses);
  warnings.push(...[...missingFiles].map(([what, hosts]) => `${what} does not exist on this machine (${hosts.length === 1 ? 'host' : 'hosts'} ${hosts.join(', ')})`));
  const groups: Record<string, string[]> = {};
  for (const [g, hosts] of allHosts) groups[g] = hosts;
  return { file: raw.file, format: raw.format, clusters, groups, hosts: [...raw.hostPos.keys()], warnings };
}

/** The zkmig variable that `name` is probably a misspelling of, if any. */
function nearMiss(name: string): string | undefined {
  if (name.startsWith('ansible_') || (INVENTORY_VARIABLES as readonly string[]).includes(name)) return undefined;
  const lower = name.toLowerCase();
  return INVENTORY_VARIABLES.find((k) => k === lower || (name.length >= 5 && editDistance(k, lower) <= 2));
}

/** Every group's hosts, its descendants' included (Ansible's `Group.get_hosts`), in inventory order. */
function groupHosts(raw: RawInventory): Map<string, string[]> {
  const memo = new Map<string, string[]>();
  const visit = (name: string, seen: Set<string>): string[] => {
    const known = memo.get(name);
    if (known) return known;
    const g = raw.groups.get(name);
    if (!g || seen.has(name)) return [];
    seen.add(name);
    const hosts = [...g.hosts];
    for (const c of g.children) for (const h of visit(c, seen)) if (!hosts.includes(h)) hosts.push(h);
    seen.delete(name);
    memo.set(name, hosts);
    return hosts;
  };
  for (const name of raw.groups.keys()) visit(name, new Set());
  // `all` holds every host, grouped or not.
  const all = memo.get('all')!;
  for (const h of raw.hostPos.keys()) if (!all.includes(h)) all.push(h);
  return memo;
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
  const layer = (m: Map<string, RawVar> | undefined): void => {
    for (const [k, v] of m ?? []) vars.set(k, v);
  };
  const others = ordered.filter((g) => g !== 'all');
  layer(raw.groups.get('all')!.vars);
  for (const g of others) layer(raw.groups.get(g)!.vars);
  layer(raw.groupVarFiles.get('all'));
  for (const g of others) layer(raw.groupVarFiles.get(g));
  layer(raw.hostVars.get(host));
  layer(raw.hostVarFiles.get(host));
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

  /** zk_* and zk_new_*: paths resolved like the agent TLS files; pairs (cert+key, user+password file) checked. */
  zkSecurity(baseDir: string): ClusterZkSecurity {
    const one = (p: string): ZkSecurityVars | undefined => {
      const v: ZkSecurityVars = {};
      const set = <K extends keyof ZkSecurityVars>(k: K, x: string | undefined): void => {
        if (x !== undefined) v[k] = x;
      };
      set('tlsCa', this.localPath(`${p}tls_ca_file`, baseDir));
      set('tlsCert', this.localPath(`${p}tls_cert_file`, baseDir));
      set('tlsKey', this.localPath(`${p}tls_key_file`, baseDir));
      set('tlsServerName', this.hostName(`${p}tls_server_name`));
      set('saslUser', this.string(`${p}sasl_user`));
      set('saslPasswordFile', this.localPath(`${p}sasl_password_file`, baseDir));
      if ((v.tlsCert === undefined) !== (v.tlsKey === undefined)) this.bad(`${p}tls_cert_file`, `and ${p}tls_key_file go together: set both or neither`);
      if ((v.saslUser === undefined) !== (v.saslPasswordFile === undefined)) this.bad(`${p}sasl_user`, `and ${p}sasl_password_file go together: set both or neither`);
      if (v.saslUser !== undefined && /[\s"\\,]/.test(v.saslUser)) this.bad(`${p}sasl_user`, `${JSON.stringify(v.saslUser)} must be a name without blanks, quotes, commas or backslashes`);
      set('krbPrincipal', this.string(`${p}krb_principal`));
      set('krbKeytab', this.localPath(`${p}krb_keytab`, baseDir));
      set('krbService', this.string(`${p}krb_service`));
      if (v.krbService !== undefined && v.krbPrincipal === undefined) this.bad(`${p}krb_service`, `needs ${p}krb_principal and ${p}krb_keytab: it names the service of a Kerberos login`);
      if ((v.krbPrincipal === undefined) !== (v.krbKeytab === undefined)) this.bad(`${p}krb_principal`, `and ${p}krb_keytab go together: set both or neither`);
      if (v.krbPrincipal !== undefined && v.saslUser !== undefined) this.bad(`${p}krb_principal`, `and ${p}sasl_user exclude each other: zkmig logs in with Kerberos or with DIGEST-MD5, not both`);
      return Object.keys(v).length > 0 ? v : undefined;
    };
    const all = one('zk_');
    const target = one('zk_new_');
    return { ...(all ? { all } : {}), ...(target ? { target } : {}) };
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
