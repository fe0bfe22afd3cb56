/**
 * The resolved inventory: what zkmig knows about each Pegasus cluster after reading an Ansible
 * inventory. One Ansible group per cluster (the group name is the cluster name); its hosts are the
 * cluster's meta servers. Every variable is resolved per host with Ansible's precedence
 * (all < parent group < child group < host) and checked; see README "zkmig inventory".
 */

/** Defaults for the variables that have one. Kept in one place so help text and docs agree. */
export const INVENTORY_DEFAULTS = {
  /** Pegasus meta server port: the port of the shell's default meta list (`run.sh shell`, docs/pegasus-internals.md §4.1). */
  metaPort: 34601,
  /** Port of zkmig-agent's gRPC listener on every meta host (the agent's default `listen`, agent/config.ts). */
  agentPort: 7443,
  /** Service name of the meta server in the agent's configuration. */
  metaService: 'pegasus-meta',
} as const;

/**
 * How the coordinator reaches one agent: mutual TLS (agents always ask for a client certificate
 * signed by their CA, agent/config.ts), plus an optional bearer token. Paths are absolute, on the
 * coordinator host (deploy/make-certs.sh makes ca.pem and coordinator-NAME{,-key}.pem).
 */
export interface AgentTls {
  /** CA bundle that signed the agents' server certificates (`agent_ca_file`). Required. */
  caFile: string;
  /** Client certificate (`agent_cert_file`). Required. */
  certFile: string;
  /** Client private key (`agent_key_file`). Required. */
  keyFile: string;
  /** File holding a bearer token sent with every call (`agent_token_file`); optional. */
  tokenFile?: string;
  /**
   * Name to verify in the agent's certificate (`agent_server_name`).
   * @default the host's address (`ansible_host`, else the inventory host name)
   */
  serverName: string;
}

/** One meta server, with every variable resolved. */
export interface MetaHost {
  /** Inventory host name (the Ansible alias). */
  name: string;
  /** Address to connect to (`ansible_host`). @default the inventory host name */
  address: string;
  /** Meta server port (`meta_port`). @default 34601 */
  metaPort: number;
  /** `address:metaPort`, as it appears in the cluster's meta list. */
  metaAddress: string;
  /** zkmig-agent port (`agent_port`). @default 7443 */
  agentPort: number;
  /** `address:agentPort`, the agent's gRPC target. */
  agentAddress: string;
  /** Absolute path of the meta server's config.ini on the host (`meta_config`). Required. */
  metaConfig: string;
  /** The meta server's service name in the agent's configuration (`meta_service`). @default "pegasus-meta" */
  metaService: string;
  tls: AgentTls;
}

/** How to run the Pegasus shell for one cluster. */
export interface ShellCommand {
  /** `pegasus_shell` as written in the inventory, before expansion. */
  template: string;
  /** The command as argv, with `{meta_servers}` and `{cluster}` expanded. Run without a shell. */
  argv: string[];
}

/**
 * How the coordinator's own ZooKeeper sessions authenticate during a migration (zk_* inventory
 * variables, the same on every meta of a cluster). Paths are absolute, on this machine. Pegasus's
 * metas reach ZooKeeper through `[zookeeper] hosts_list`, which is a plaintext port for them (they
 * speak no TLS); TLS here is for ensembles that also take TLS on that port
 * (`client.portUnification=true`).
 */
export interface ZkSecurityVars {
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsServerName?: string;
  saslUser?: string;
  saslPasswordFile?: string;
  /** Kerberos (SASL GSSAPI): principal name@REALM and the keytab with its key. */
  krbPrincipal?: string;
  krbKeytab?: string;
  /** The servers' Kerberos service name (default `zookeeper`). */
  krbService?: string;
}

export interface ClusterZkSecurity {
  /** `zk_*`: every ensemble of the cluster (the old one, and the new one unless `target` is set). */
  all?: ZkSecurityVars;
  /** `zk_new_*`: the new ensemble (`--to`); replaces `all` there when any is set. */
  target?: ZkSecurityVars;
}

export interface PegasusCluster {
  /** The Ansible group name. */
  name: string;
  /** Meta servers in inventory order. */
  metas: MetaHost[];
  /** `host:port,host:port` of every meta, what `{meta_servers}` expands to. */
  metaServers: string;
  /** Required (`pegasus_shell`), and the same on every meta of the cluster. */
  shell: ShellCommand;
  /** zk_* / zk_new_* variables (optional; the same on every meta of the cluster). */
  zk?: ClusterZkSecurity;
}

export interface Inventory {
  /** Absolute path of the file read. */
  file: string;
  format: 'ini' | 'yaml' | 'ansible-json';
  /** Clusters sorted by name. */
  clusters: PegasusCluster[];
  /**
   * Every group of the inventory (clusters or not) with all its hosts, its descendants' included,
   * in inventory order: what `--limit` patterns match against.
   */
  groups: Record<string, string[]>;
  /** Every host of the inventory, in order of first appearance. */
  hosts: string[];
  /** Things worth telling an operator that do not stop zkmig (e.g. a TLS file that is not there). */
  warnings: string[];
}
