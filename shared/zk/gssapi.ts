import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KerberosClient } from 'kerberos';
import { isAlive } from '../process';

/**
 * The client side of SASL GSSAPI (RFC 4752) as ZooKeeper's server runs it (the JDK's GssKrb5Server
 * behind zookeeper-server's ZooKeeperSaslServer, chosen when the JAAS `Server` login holds a
 * Kerberos principal). The Kerberos work is done by MIT's libgssapi through the `kerberos` package;
 * this file only sequences it:
 *   1. initSecContext tokens (AP-REQ, then the server's AP-REP) until the context is complete;
 *   2. the security-layer negotiation: the server sends a wrapped 4-byte offer (layers bit mask,
 *      max buffer), the client answers with a wrapped 4-byte choice: "no security layer", buffer
 *      0, no authorization id (the server then uses the authenticated principal);
 *   3. the server's last answer (empty, error 0) means the login is accepted.
 *
 * Credentials: a keytab and a principal, never a password. `kinit -k -t KEYTAB PRINCIPAL` (the
 * `kerberos` package has no kinit) puts a ticket into a ccache private to this process: a `DIR:`
 * collection in a fresh 0700 temp dir, so two principals (source and target) live side by side and
 * no ticket of the operator's own cache is used or overwritten. KRB5CCNAME points libgssapi there.
 */

export const ZK_KRB_SERVICE = 'zookeeper';

/** RFC 4752 §3.3: the security layer bit of "no security layer". */
const LAYER_NONE = 1;

/** Why a GSSAPI login failed, for the caller's message (and `reason` in the error's context). */
export class GssapiError extends Error {
  constructor(
    message: string,
    readonly reason: 'kinit' | 'no-library' | 'gss' | 'protocol',
  ) {
    super(message);
    this.name = 'GssapiError';
  }
}

let ccacheDir: string | undefined;

const CCACHE_PREFIX = 'zkmig-krb5cc-';

/**
 * Remove the ticket caches of zkmig processes that are gone. A cache is removed at exit, but a
 * process killed by SIGKILL (or a power cut) leaves its tickets behind until they expire; the next
 * zkmig run sweeps them. Only this user's directories whose owner pid (in the name) is not alive.
 */
export function sweepStaleCcaches(tmp = os.tmpdir()): number {
  let removed = 0;
  let names: string[];
  try {
    names = fs.readdirSync(tmp);
  } catch {
    return 0;
  }
  const owned = new RegExp(`^${CCACHE_PREFIX}(\\d+)-`);
  for (const n of names) {
    const m = owned.exec(n);
    if (!m || isAlive(Number(m[1]))) continue;
    const dir = path.join(tmp, n);
    try {
      const st = fs.lstatSync(dir);
      if (!st.isDirectory() || st.uid !== process.getuid?.()) continue;
      fs.rmSync(dir, { recursive: true, force: true });
      removed++;
    } catch {
      // raced with another sweeper, or not ours to remove: leave it
    }
  }
  return removed;
}

/** This process's private credential cache collection (created on first use, removed at exit). */
export function privateCcache(): string {
  if (!ccacheDir) {
    sweepStaleCcaches();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${CCACHE_PREFIX}${process.pid}-`));
    fs.chmodSync(dir, 0o700);
    ccacheDir = dir;
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  return `DIR:${ccacheDir}`;
}

/** How long a ticket got by kinit is reused before the next login asks for a fresh one. */
const REFRESH_MS = 10 * 60_000;
const KINIT_TIMEOUT_MS = 30_000;
const tickets = new Map<string, { at: number; p: Promise<void> }>();

function kinitOnce(principal: string, keytab: string): Promise<void> {
  const env = { ...process.env, KRB5CCNAME: privateCcache() };
  return new Promise((resolve, reject) => {
    // No -c: with a collection as the default cache, kinit stores each principal in its own cache of it.
    execFile('kinit', ['-k', '-t', keytab, principal], { env, timeout: KINIT_TIMEOUT_MS }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      const code = (err as NodeJS.ErrnoException).code;
      const text = String(stderr).trim().replace(/^kinit: /, '') || err.message;
      const why =
        code === 'ENOENT'
          ? 'kinit not found (install MIT Kerberos: krb5-user)'
          : /Key table entry not found|no suitable keys|Password incorrect|Preauthentication failed|decrypt integrity/i.test(text)
            ? `${text} (the keytab holds no current key for ${principal}: a wrong principal, or its key was changed since the keytab was made)`
            : /expired/i.test(text)
              ? `${text} (the principal or its password has expired on the KDC)`
              : /not found in Kerberos database/i.test(text)
                ? `${text} (no such principal on the KDC)`
                : text;
      reject(new GssapiError(`kinit -k -t ${keytab} ${principal} failed: ${why}`, 'kinit'));
    });
  });
}

/** A fresh enough ticket for `principal` in the private cache (one kinit shared by concurrent logins). */
export function ensureTicket(principal: string, keytab: string): Promise<void> {
  const key = `${principal}\0${keytab}`;
  const have = tickets.get(key);
  if (have && Date.now() - have.at < REFRESH_MS) return have.p;
  const p = kinitOnce(principal, keytab);
  const entry = { at: Date.now(), p };
  tickets.set(key, entry);
  // A failed kinit is not cached: the next login tries again (and fails with the same message).
  p.catch(() => tickets.get(key) === entry && tickets.delete(key));
  return p;
}

type KerberosModule = typeof import('kerberos');
let lib: KerberosModule | undefined;
function kerberosLib(): KerberosModule {
  if (!lib) {
    try {
      // Loaded on first use: a native binding, needed only by Kerberos logins.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      lib = require('kerberos') as KerberosModule;
    } catch (e) {
      throw new GssapiError(`the kerberos package (GSSAPI binding) cannot be loaded: ${(e as Error).message}`, 'no-library');
    }
  }
  return lib;
}

const b64 = (b: Buffer): string => b.toString('base64');
const unb64 = (s: string | null | undefined): Buffer => Buffer.from(s ?? '', 'base64');

/**
 * One GSSAPI login (one per connection). `start` gives the initial token; `step` answers each
 * server token; `complete` once the server has accepted the security-layer choice.
 */
export class GssapiClient {
  private ctx: KerberosClient | undefined;
  private state: 'context' | 'layer' | 'final' | 'done' = 'context';

  constructor(
    readonly principal: string,
    readonly keytab: string,
    /** The server's host name as connected to; libkrb5 canonicalizes it (krb5.conf's rdns, dns_canonicalize_hostname). */
    readonly host: string,
    readonly service = ZK_KRB_SERVICE,
  ) {}

  get complete(): boolean {
    return this.state === 'done';
  }

  async start(): Promise<Buffer> {
    await ensureTicket(this.principal, this.keytab);
    process.env.KRB5CCNAME = privateCcache();
    const k = kerberosLib();
    try {
      this.ctx = await k.initializeClient(`${this.service}@${this.host}`, { principal: this.principal, gssFlag: k.GSS_C_MUTUAL_FLAG | k.GSS_C_SEQUENCE_FLAG });
      return unb64(await this.ctx.step(''));
    } catch (e) {
      throw new GssapiError(`no Kerberos service ticket for ${this.service}/${this.host}: ${(e as Error).message}`, 'gss');
    }
  }

  /** The answer to a server token; `undefined` when nothing is to be sent (the login is complete). */
  async step(token: Buffer): Promise<Buffer | undefined> {
    const ctx = this.ctx;
    if (!ctx) throw new GssapiError('GSSAPI step before start', 'protocol');
    try {
      if (this.state === 'context') {
        const out = unb64(await ctx.step(b64(token)));
        if (ctx.contextComplete) this.state = 'layer';
        // After the AP-REP the JDK's server waits for one (empty) token before it sends its offer.
        return out;
      }
      if (this.state === 'layer') {
        const offer = unb64(await ctx.unwrap(b64(token)));
        if (offer.length !== 4) throw new GssapiError(`the server's security-layer offer has ${offer.length} bytes, not 4`, 'protocol');
        if ((offer[0]! & LAYER_NONE) === 0) throw new GssapiError(`the server requires a SASL security layer (offer 0x${offer[0]!.toString(16)}; zkmig speaks only "none", like ZooKeeper's own client)`, 'protocol');
        this.state = 'final';
        return unb64(await ctx.wrap(b64(Buffer.from([LAYER_NONE, 0, 0, 0])), { protect: false }));
      }
      if (this.state === 'final') {
        this.state = 'done';
        return undefined;
      }
      throw new GssapiError('GSSAPI step after the login completed', 'protocol');
    } catch (e) {
      if (e instanceof GssapiError) throw e;
      throw new GssapiError(`GSSAPI: ${(e as Error).message}`, 'gss');
    }
  }
}
