import { ChildProcess, execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../shared/net';
import { tempDir, waitFor } from './tmp';

const run = promisify(execFile);

/** Where Debian's krb5-kdc and krb5-admin-server put the KDC tools. */
const SBIN = ['/usr/sbin', '/usr/bin'];
function tool(name: string): string {
  for (const d of SBIN) if (fs.existsSync(path.join(d, name))) return path.join(d, name);
  throw new Error(`${name} not found: install krb5-kdc, krb5-admin-server and krb5-user (scripts/setup.sh does)`);
}

export const TEST_REALM = 'ZKMIG.TEST';

/**
 * A real MIT KDC on loopback for one test file: its own realm, database, kdc.conf and krb5.conf in
 * a temp dir, `krb5kdc -n` on a free port. Nothing outside the temp dir is read or written:
 * every tool (and every child that uses Kerberos: zkmig, the ZooKeeper JVM) gets `env` (KRB5_CONFIG,
 * KRB5_KDC_PROFILE, a ccache in the temp dir) or `-Djava.security.krb5.conf=krb5Conf`.
 */
export class Kdc {
  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly krb5Conf: string,
    readonly env: NodeJS.ProcessEnv,
    private proc: ChildProcess | undefined,
    private readonly cleanupDir: () => void,
  ) {}

  readonly realm = TEST_REALM;

  static async start(): Promise<Kdc> {
    const tmp = tempDir('zkmig-kdc-');
    const dir = tmp.dir;
    const port = await freePort();
    const kdcConf = path.join(dir, 'kdc.conf');
    const krb5Conf = path.join(dir, 'krb5.conf');
    fs.writeFileSync(
      kdcConf,
      [
        '[kdcdefaults]',
        ` kdc_listen = 127.0.0.1:${port}`,
        ` kdc_tcp_listen = 127.0.0.1:${port}`,
        '[realms]',
        ` ${TEST_REALM} = {`,
        `  database_name = ${path.join(dir, 'principal')}`,
        `  key_stash_file = ${path.join(dir, 'stash')}`,
        `  acl_file = ${path.join(dir, 'kadm5.acl')}`,
        '  max_life = 1h',
        '  max_renewable_life = 1h',
        '  supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal',
        ' }',
        '[logging]',
        ` kdc = FILE:${path.join(dir, 'kdc.log')}`,
        ` admin_server = FILE:${path.join(dir, 'kadmin.log')}`,
        '',
      ].join('\n'),
    );
    // Java's Kerberos (the ZooKeeper server) and MIT's (zkmig through libgssapi, kinit) read this.
    // TCP only (udp_preference_limit = 1): one port to find free, and Java then never tries UDP.
    fs.writeFileSync(
      krb5Conf,
      [
        '[libdefaults]',
        ` default_realm = ${TEST_REALM}`,
        ' dns_lookup_realm = false',
        ' dns_lookup_kdc = false',
        ' udp_preference_limit = 1',
        ` default_ccache_name = FILE:${path.join(dir, 'ccache-default')}`,
        ` default_keytab_name = FILE:${path.join(dir, 'default.keytab')}`,
        '[realms]',
        ` ${TEST_REALM} = {`,
        `  kdc = 127.0.0.1:${port}`,
        ' }',
        '[domain_realm]',
        ` localhost = ${TEST_REALM}`,
        ` 127.0.0.1 = ${TEST_REALM}`,
        '',
      ].join('\n'),
    );
    fs.writeFileSync(path.join(dir, 'kadm5.acl'), '');
    const env: NodeJS.ProcessEnv = { ...process.env, KRB5_CONFIG: krb5Conf, KRB5_KDC_PROFILE: kdcConf, KRB5CCNAME: `FILE:${path.join(dir, 'ccache-default')}` };
    const kdc = new Kdc(dir, port, krb5Conf, env, undefined, tmp.cleanup);
    try {
      await run(tool('kdb5_util'), ['create', '-s', '-P', 'zkmig-test-master-key', '-r', TEST_REALM], { env });
      const proc = spawn(tool('krb5kdc'), ['-n', '-r', TEST_REALM], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      proc.on('error', () => undefined);
      let stderr = '';
      proc.stderr?.on('data', (d) => (stderr += d.toString()));
      kdc.proc = proc;
      // The watchdog: no krb5kdc outlives its test worker, whatever kills the worker.
      const wd = spawn('sh', ['-c', 'cat >/dev/null; kill -9 "$0" 2>/dev/null', String(proc.pid)], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
      wd.on('error', () => undefined);
      wd.unref();
      (wd.stdin as NodeJS.WritableStream & { unref?: () => void }).unref?.();
      proc.once('exit', () => wd.stdin?.end());
      await waitFor('the KDC to listen', async () => {
        if (proc.exitCode !== null) throw new Error(`krb5kdc exited with ${proc.exitCode}: ${stderr}`);
        return tcpOpen(port);
      }, 20000);
    } catch (e) {
      await kdc.stop();
      throw e;
    }
    return kdc;
  }

  /** `kadmin.local -q QUERY`; throws with its output when it reports an error. */
  async kadmin(query: string): Promise<string> {
    const { stdout, stderr } = await run(tool('kadmin.local'), ['-r', TEST_REALM, '-q', query], { env: this.env });
    // kadmin.local exits 0 even when the query failed; its errors go to stderr.
    if (/error|not found|No such|Cannot|failed/i.test(stderr)) throw new Error(`kadmin.local -q "${query}": ${stderr.trim()}`);
    return stdout;
  }

  /** The full name of `name` in this realm (`zkmig` → `zkmig@ZKMIG.TEST`). */
  principal(name: string): string {
    return name.includes('@') ? name : `${name}@${TEST_REALM}`;
  }

  /**
   * Add a principal with a random key and write its keys to a new keytab file (in the KDC's dir);
   * returns the keytab's path. `opts` adds kadmin's addprinc options (`-maxlife 5s`, `-expire ...`).
   */
  async addPrincipal(name: string, opts: string[] = []): Promise<string> {
    const p = this.principal(name);
    await this.kadmin(`addprinc -randkey ${opts.join(' ')} ${p}`);
    return this.keytab(p);
  }

  /** Write `principal`'s keys into a new keytab. Note that `ktadd` makes new keys (kvno + 1): older keytabs stop working. */
  async keytab(principal: string, file = path.join(this.dir, `${principal.replace(/[^A-Za-z0-9.-]/g, '_')}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}.keytab`)): Promise<string> {
    await this.kadmin(`ktadd -k ${file} ${this.principal(principal)}`);
    fs.chmodSync(file, 0o600);
    return file;
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (p && p.exitCode === null && p.signalCode === null) {
      const gone = new Promise<void>((r) => p.once('exit', () => r()));
      p.kill('SIGKILL');
      await gone;
    }
  }

  async cleanup(): Promise<void> {
    await this.stop();
    this.cleanupDir();
  }
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
