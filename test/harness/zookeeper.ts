import * as fs from 'node:fs';
import * as path from 'node:path';
import { ZkEnsemble, ZkServerOptions } from '../../coordinator/lib/zk-server';
import { tempDir } from './tmp';

export { ZkEnsemble };

/**
 * Start a real ZooKeeper (Debian package) for a test file. Always pair with `ensemble.stop()` and
 * `cleanup()` in `test.after.always`; a watchdog kills the servers anyway if the worker dies, and
 * `npm test`'s posttest reaper (`reap.ts`) sweeps whatever is left.
 */
export async function startZk(opts: Partial<ZkServerOptions> = {}): Promise<{ zk: ZkEnsemble; cleanup: () => Promise<void> }> {
  const tmp = tempDir('zkmig-zk-');
  const zk = await ZkEnsemble.start({ baseDir: path.join(tmp.dir, 'zk'), marker: `pid-${process.pid}`, ...opts });
  return {
    zk,
    cleanup: async () => {
      await zk.stop();
      tmp.cleanup();
    },
  };
}

export interface SecureZkOptions {
  /** Serve TLS with this server key+certificate and client CA (PEM); client certificates required. */
  tls?: { key: string; cert: string; ca: string };
  /** SASL DIGEST-MD5 users (name → password) and `enforce.auth.enabled=true` with `enforce.auth.schemes=sasl`. */
  saslUsers?: Record<string, string>;
  /**
   * SASL GSSAPI (Kerberos): the JAAS `Server` section logs in with Krb5LoginModule from this keytab
   * as this principal (`zookeeper/localhost@REALM`), against the KDC of `krb5Conf` (see kdc.ts).
   * Exclusive with saslUsers: ZooKeeper's SASL server takes GSSAPI when the login has a Kerberos
   * principal, DIGEST-MD5 otherwise (ZooKeeperSaslServer.createSaslServer).
   */
  kerberos?: { keytab: string; principal: string; krb5Conf: string };
  /** Enforce SASL (default true when saslUsers or kerberos is given). */
  enforce?: boolean;
}

/**
 * A real ZooKeeper 3.8 secured as a site would: TLS on secureClientPort (Netty, PEM stores,
 * ssl.clientAuth=need) and/or SASL DIGEST-MD5 with a server JAAS file (DigestLoginModule) and
 * enforce.auth. `connectString` stays the plaintext port (four-letter words); clients of the TLS
 * port use `secureConnectString`.
 */
export async function startSecureZk(o: SecureZkOptions, extra: Partial<ZkServerOptions> = {}): Promise<{ zk: ZkEnsemble; dir: string; cleanup: () => Promise<void> }> {
  const tmp = tempDir('zkmig-zksec-');
  const opts: ZkServerOptions = { baseDir: path.join(tmp.dir, 'zk'), marker: `pid-${process.pid}`, ...extra };
  if (o.tls) {
    const ks = path.join(tmp.dir, 'server-keystore.pem');
    fs.writeFileSync(ks, fs.readFileSync(o.tls.key, 'utf8') + fs.readFileSync(o.tls.cert, 'utf8'), { mode: 0o600 });
    opts.tls = { keyStore: ks, trustStore: o.tls.ca, clientAuth: 'need' };
  }
  if (o.saslUsers) {
    const jaas = path.join(tmp.dir, 'jaas.conf');
    const users = Object.entries(o.saslUsers).map(([u, p]) => ` user_${u}="${p}"`);
    fs.writeFileSync(jaas, `Server {\n org.apache.zookeeper.server.auth.DigestLoginModule required\n${users.join('\n')};\n};\n`, { mode: 0o600 });
    opts.extraJvmArgs = [...(opts.extraJvmArgs ?? []), `-Djava.security.auth.login.config=${jaas}`];
    opts.extraConfig = [...(opts.extraConfig ?? []), 'authProvider.sasl=org.apache.zookeeper.server.auth.SASLAuthenticationProvider'];
    if (o.enforce ?? true) opts.extraConfig.push('enforce.auth.enabled=true', 'enforce.auth.schemes=sasl');
  }
  if (o.kerberos) {
    if (o.saslUsers) throw new Error('startSecureZk: saslUsers and kerberos exclude each other (one JAAS Server section)');
    const k = o.kerberos;
    const jaas = path.join(tmp.dir, 'jaas.conf');
    fs.writeFileSync(
      jaas,
      `Server {\n com.sun.security.auth.module.Krb5LoginModule required\n useKeyTab=true\n keyTab="${k.keytab}"\n storeKey=true\n useTicketCache=false\n principal="${k.principal}";\n};\n`,
      { mode: 0o600 },
    );
    opts.extraJvmArgs = [...(opts.extraJvmArgs ?? []), `-Djava.security.auth.login.config=${jaas}`, `-Djava.security.krb5.conf=${k.krb5Conf}`];
    // The authenticated id of a client is its whole principal (zkmig@REALM): sasl: ACLs name it so.
    opts.extraConfig = [...(opts.extraConfig ?? []), 'authProvider.sasl=org.apache.zookeeper.server.auth.SASLAuthenticationProvider', 'kerberos.removeHostFromPrincipal=false', 'kerberos.removeRealmFromPrincipal=false'];
    if (o.enforce ?? true) opts.extraConfig.push('enforce.auth.enabled=true', 'enforce.auth.schemes=sasl');
  }
  const zk = await ZkEnsemble.start(opts);
  return {
    zk,
    dir: tmp.dir,
    cleanup: async () => {
      await zk.stop();
      tmp.cleanup();
    },
  };
}
