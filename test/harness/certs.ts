/**
 * Certificates for tests, made by deploy/make-certs.sh (so the deployment script is exercised by
 * every TLS test), plus what only negative tests need: a second CA with its own client certificate,
 * and an expired client certificate from the right CA (openssl ca with fixed dates).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from './tmp';

/** Repository root, from dist/test/harness/. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const MAKE_CERTS = path.join(REPO_ROOT, 'deploy', 'make-certs.sh');

export interface CertPair {
  cert: string;
  key: string;
}

export interface TestPki {
  dir: string;
  /** CA of agents and coordinators. */
  ca: string;
  /** Agent certificate for localhost, 127.0.0.1 and ::1. */
  agent: CertPair;
  /** Coordinator client certificate (CN=coordinator). */
  coordinator: CertPair;
  /** A second coordinator certificate from the same CA (CN=auditor), for CN allowlists. */
  auditor: CertPair;
  /** A client certificate from a different CA. */
  otherCa: string;
  intruder: CertPair;
  /** A coordinator certificate from the right CA that expired in 2020. */
  expired: CertPair;
  cleanup: () => void;
}

function run(args: string[]): void {
  execFileSync('bash', [MAKE_CERTS, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeExpired(dir: string, caDir: string): CertPair {
  const key = path.join(dir, 'expired-key.pem');
  const csr = path.join(dir, 'expired.csr');
  const cert = path.join(dir, 'expired.pem');
  const db = path.join(dir, 'ca-db');
  fs.mkdirSync(db, { recursive: true });
  fs.writeFileSync(path.join(db, 'index.txt'), '');
  fs.writeFileSync(path.join(db, 'serial'), '1000\n');
  fs.writeFileSync(
    path.join(db, 'ca.cnf'),
    [
      '[ca]',
      'default_ca = test',
      '[test]',
      `database = ${db}/index.txt`,
      `new_certs_dir = ${db}`,
      `serial = ${db}/serial`,
      'policy = any',
      'default_md = sha256',
      'unique_subject = no',
      '[any]',
      'commonName = supplied',
      'organizationName = optional',
      '[ext]',
      'basicConstraints = critical,CA:FALSE',
      'keyUsage = critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage = clientAuth',
    ].join('\n') + '\n',
  );
  const ossl = (args: string[]): void => {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  };
  ossl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
  ossl(['req', '-new', '-key', key, '-subj', '/O=zkmig/CN=coordinator', '-out', csr]);
  ossl([
    'ca', '-batch', '-notext', '-config', path.join(db, 'ca.cnf'), '-extensions', 'ext',
    '-cert', path.join(caDir, 'ca.pem'), '-keyfile', path.join(caDir, 'ca-key.pem'),
    '-startdate', '20200101000000Z', '-enddate', '20200102000000Z', '-in', csr, '-out', cert,
  ]);
  return { cert, key };
}

/**
 * A fresh PKI in a temporary directory (under `baseDir` when given: a private systemd has its own
 * /tmp, so tests that run an agent inside one keep the certificates elsewhere).
 */
export function makeTestPki(baseDir?: string): TestPki {
  const t = baseDir ? (() => {
    const dir = fs.mkdtempSync(path.join(baseDir, 'zkmig-pki-'));
    return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
  })() : tempDir('zkmig-pki-');
  const main = path.join(t.dir, 'main');
  const other = path.join(t.dir, 'other');
  run(['-d', main, 'ca', 'zkmig test CA']);
  run(['-d', main, 'agent', 'localhost', '127.0.0.1', '::1']);
  run(['-d', main, 'coordinator', 'coordinator']);
  run(['-d', main, 'coordinator', 'auditor']);
  run(['-d', other, 'ca', 'some other CA']);
  run(['-d', other, 'coordinator', 'coordinator']);
  const pair = (dir: string, base: string): CertPair => ({ cert: path.join(dir, `${base}.pem`), key: path.join(dir, `${base}-key.pem`) });
  return {
    dir: t.dir,
    ca: path.join(main, 'ca.pem'),
    agent: pair(main, 'agent-localhost'),
    coordinator: pair(main, 'coordinator-coordinator'),
    auditor: pair(main, 'coordinator-auditor'),
    otherCa: path.join(other, 'ca.pem'),
    intruder: pair(other, 'coordinator-coordinator'),
    expired: makeExpired(t.dir, main),
    cleanup: t.cleanup,
  };
}
