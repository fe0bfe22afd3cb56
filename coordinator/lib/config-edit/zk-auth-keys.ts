import type { KeyPath } from './key-path';

/**
 * How a meta authenticates to ZooKeeper, from its config.ini (docs/pegasus-internals.md §3,
 * `[zookeeper]` and `[security]`): v2.5.0 switches on Kerberos with `[security]
 * enable_zookeeper_kerberos` (mechanism GSSAPI, `zookeeper_session::attach`); master configures
 * SASL with `[zookeeper] sasl_*` and SASL is on only when `sasl_mechanisms_type` is non-empty
 * (`src/zookeeper/zookeeper_session.cpp`). Pegasus has no TLS to ZooKeeper: its metas always use
 * the plaintext clientPort named by hosts_list.
 */
export const ZK_AUTH_KEYS: readonly KeyPath[] = [
  { section: 'security', key: 'enable_zookeeper_kerberos' },
  { section: 'security', key: 'zookeeper_kerberos_service_name' },
  { section: 'zookeeper', key: 'sasl_mechanisms_type' },
  { section: 'zookeeper', key: 'sasl_service_name' },
  { section: 'zookeeper', key: 'sasl_user_name' },
  { section: 'zookeeper', key: 'sasl_realm' },
  { section: 'zookeeper', key: 'sasl_password_file' },
];

export type ZkAuthMechanism = 'GSSAPI' | 'DIGEST-MD5';

export interface MetaZkAuth {
  /** SASL mechanisms the meta offers ZooKeeper, sorted; empty = no authentication (plain sessions). */
  mechanisms: ZkAuthMechanism[];
  /** `[zookeeper] sasl_user_name` (the DIGEST-MD5 user; with GSSAPI the principal comes from the keytab). */
  user: string;
  /** The ZooKeeper service principal name the meta asks a ticket for (GSSAPI). */
  serviceName: string;
  realm: string;
  /** Settings Pegasus refuses or that cannot log in, one sentence each. */
  problems: string[];
}

const get = (values: Readonly<Record<string, string | null | undefined>>, k: string): string => (values[k] ?? '').trim();

/** The meta's ZooKeeper authentication from its config values (`section.key` → value). */
export function metaZkAuth(values: Readonly<Record<string, string | null | undefined>>): MetaZkAuth {
  const problems: string[] = [];
  const kerberos = get(values, 'security.enable_zookeeper_kerberos').toLowerCase();
  if (kerberos !== '' && kerberos !== 'true' && kerberos !== 'false') problems.push(`[security] enable_zookeeper_kerberos = "${kerberos}" is not true or false`);
  const typed = get(values, 'zookeeper.sasl_mechanisms_type');
  const mechs = new Set<ZkAuthMechanism>();
  for (const m of typed.split(/[\s,]+/).filter((x) => x !== '')) {
    const u = m.toUpperCase();
    if (u === 'GSSAPI' || u === 'DIGEST-MD5') mechs.add(u);
    else problems.push(`[zookeeper] sasl_mechanisms_type names "${m}": ZooKeeper's SASL provider speaks GSSAPI or DIGEST-MD5 only`);
  }
  if (kerberos === 'true') {
    // master's group validator: enable_zookeeper_kerberos=true requires sasl_mechanisms_type=GSSAPI; v2.5.0 has no sasl_* keys.
    if (typed !== '' && !mechs.has('GSSAPI')) problems.push(`[security] enable_zookeeper_kerberos = true but [zookeeper] sasl_mechanisms_type = "${typed}" lacks GSSAPI (Pegasus refuses this at start)`);
    mechs.add('GSSAPI');
  }
  const user = get(values, 'zookeeper.sasl_user_name');
  const serviceName = get(values, 'zookeeper.sasl_service_name') || get(values, 'security.zookeeper_kerberos_service_name') || 'zookeeper';
  if (mechs.has('DIGEST-MD5')) {
    if (user === '') problems.push('SASL DIGEST-MD5 is on but [zookeeper] sasl_user_name is empty: there is no user to log in as');
    // zookeeper_session.cpp: the password file is required once SASL is on (the meta aborts without it).
    if (get(values, 'zookeeper.sasl_password_file') === '') problems.push('SASL DIGEST-MD5 is on but [zookeeper] sasl_password_file is empty (the meta aborts at start)');
  }
  return { mechanisms: [...mechs].sort(), user, serviceName, realm: get(values, 'zookeeper.sasl_realm'), problems };
}

/** `none`, `DIGEST-MD5 as bob`, `GSSAPI (service zookeeper)`: for messages and drift groups. */
export function describeZkAuth(a: MetaZkAuth): string {
  if (a.mechanisms.length === 0) return 'none (plain sessions)';
  return a.mechanisms
    .map((m) => (m === 'DIGEST-MD5' ? `DIGEST-MD5 as "${a.user}"` : `GSSAPI (service ${a.serviceName}${a.realm ? `, realm ${a.realm}` : ''})`))
    .join(' + ');
}
