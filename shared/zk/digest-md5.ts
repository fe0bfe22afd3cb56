import { createHash, randomBytes } from 'node:crypto';

/**
 * The client side of SASL DIGEST-MD5 (RFC 2831), `qop=auth` only, as ZooKeeper's server runs it:
 * `Sasl.createSaslServer("DIGEST-MD5", "zookeeper", "zk-sasl-md5", ...)` in
 * zookeeper-server's ZooKeeperSaslServer, so the digest-uri is `zookeeper/zk-sasl-md5`. Two steps:
 * the server's challenge is answered with a response; the server's `rspauth` is then checked, which
 * proves the server knew the password too.
 */

export const ZK_SASL_PROTOCOL = 'zookeeper';
export const ZK_SASL_SERVER_NAME = 'zk-sasl-md5';

/** Parse `key=value,key="quoted, value"` directives. */
export function parseDirectives(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /\s*([A-Za-z0-9-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,]*))\s*(?:,|$)/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < text.length && (m = re.exec(text)) !== null) {
    const key = m[1]!.toLowerCase();
    const value = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '').trim();
    if (!out.has(key)) out.set(key, value);
    if (m[0] === '') break;
  }
  return out;
}

const md5 = (b: Buffer | string): Buffer => createHash('md5').update(b).digest();
const hex = (b: Buffer): string => b.toString('hex');

export class DigestMd5Client {
  private expectedRspauth: string | undefined;
  private done = false;

  constructor(
    private readonly user: string,
    private readonly password: string,
    private readonly digestUri = `${ZK_SASL_PROTOCOL}/${ZK_SASL_SERVER_NAME}`,
    private readonly cnonce = randomBytes(16).toString('base64'),
  ) {}

  get complete(): boolean {
    return this.done;
  }

  /** True once the server's challenge has been answered. */
  get started(): boolean {
    return this.expectedRspauth !== undefined;
  }

  /** The client's answer to a server token; throws on a challenge it cannot answer or a wrong rspauth. */
  step(challenge: Buffer): Buffer {
    const d = parseDirectives(challenge.toString('utf8'));
    if (this.expectedRspauth !== undefined) {
      if (d.get('rspauth') !== this.expectedRspauth) throw new Error('the server\'s DIGEST-MD5 rspauth does not match: it does not know this password');
      this.done = true;
      return Buffer.alloc(0);
    }
    const nonce = d.get('nonce');
    if (!nonce) throw new Error('DIGEST-MD5 challenge without a nonce');
    const qops = (d.get('qop') ?? 'auth').split(',').map((q) => q.trim());
    if (!qops.includes('auth')) throw new Error(`the server offers DIGEST-MD5 qop ${qops.join(',')}, zkmig speaks only qop=auth`);
    const realm = d.get('realm') ?? '';
    const nc = '00000001';
    const qop = 'auth';
    const a1 = Buffer.concat([md5(`${this.user}:${realm}:${this.password}`), Buffer.from(`:${nonce}:${this.cnonce}`)]);
    const ha1 = hex(md5(a1));
    const kd = (a2: string): string => hex(md5(`${ha1}:${nonce}:${nc}:${this.cnonce}:${qop}:${hex(md5(a2))}`));
    const response = kd(`AUTHENTICATE:${this.digestUri}`);
    this.expectedRspauth = kd(`:${this.digestUri}`);
    const q = (s: string): string => `"${s.replace(/(["\\])/g, '\\$1')}"`;
    const parts = [
      d.get('charset') === 'utf-8' ? 'charset=utf-8' : undefined,
      `username=${q(this.user)}`,
      `realm=${q(realm)}`,
      `nonce=${q(nonce)}`,
      `nc=${nc}`,
      `cnonce=${q(this.cnonce)}`,
      `digest-uri=${q(this.digestUri)}`,
      'maxbuf=65536',
      `response=${response}`,
      `qop=${qop}`,
    ].filter((p): p is string => p !== undefined);
    return Buffer.from(parts.join(','), 'utf8');
  }
}
