/**
 * Every error code a ZooKeeper 3.5-3.9 server can send (org.apache.zookeeper.KeeperException.Code),
 * with the name ZooKeeper gives it and what an operator should make of it.
 *
 * node-zookeeper-client 1.1.3 knows only the codes of ZooKeeper 3.4: `Exception.create(-124)` throws
 * `Unknown code: -124`, and it does so inside the socket's data handler, which crashes the process
 * with a stack trace. `patchClientExceptions()` replaces that factory (every caller in the client
 * looks it up on the module at call time) so that any code becomes an ordinary client Exception
 * with the code and its ZooKeeper name.
 */

export interface ZkCodeInfo {
  name: string;
  /** One line for the operator, appended to the error message. */
  hint?: string;
}

export const ZK_CODES: Readonly<Record<number, ZkCodeInfo>> = {
  0: { name: 'OK' },
  [-1]: { name: 'SYSTEMERROR' },
  [-2]: { name: 'RUNTIMEINCONSISTENCY' },
  [-3]: { name: 'DATAINCONSISTENCY' },
  [-4]: { name: 'CONNECTIONLOSS', hint: 'the connection to the server was lost' },
  [-5]: { name: 'MARSHALLINGERROR' },
  [-6]: { name: 'UNIMPLEMENTED', hint: 'the server does not implement this operation (too old?)' },
  [-7]: { name: 'OPERATIONTIMEOUT' },
  [-8]: { name: 'BADARGUMENTS' },
  [-12]: { name: 'UNKNOWNSESSION' },
  [-13]: { name: 'NEWCONFIGNOQUORUM' },
  [-14]: { name: 'RECONFIGINPROGRESS' },
  [-100]: { name: 'APIERROR' },
  [-101]: { name: 'NONODE', hint: 'the node does not exist' },
  [-102]: { name: 'NOAUTH', hint: 'the node\'s ACL does not allow this session: give credentials that match it (--auth-file, --sasl-*)' },
  [-103]: { name: 'BADVERSION' },
  [-108]: { name: 'NOCHILDRENFOREPHEMERALS' },
  [-110]: { name: 'NODEEXISTS', hint: 'the node already exists' },
  [-111]: { name: 'NOTEMPTY', hint: 'the node has children' },
  [-112]: { name: 'SESSIONEXPIRED' },
  [-113]: { name: 'INVALIDCALLBACK' },
  [-114]: { name: 'INVALIDACL', hint: 'the server refused the ACL (an auth/sasl ACL needs an authenticated session)' },
  [-115]: { name: 'AUTHFAILED', hint: 'the server refused the credentials' },
  [-118]: { name: 'SESSIONMOVED' },
  [-119]: { name: 'NOTREADONLY', hint: 'the server is in read-only mode' },
  [-120]: { name: 'EPHEMERALONLOCALSESSION' },
  [-121]: { name: 'NOWATCHER' },
  [-122]: { name: 'REQUESTTIMEOUT' },
  [-123]: { name: 'RECONFIGDISABLED' },
  [-124]: {
    name: 'SESSIONCLOSEDREQUIRESASLAUTH',
    hint: 'the server requires SASL authentication (enforce.auth.enabled) and closed the session: give --sasl-user and --sasl-password-file (DIGEST-MD5) or --krb-principal and --krb-keytab (Kerberos)',
  },
  [-125]: { name: 'QUOTAEXCEEDED', hint: 'a ZooKeeper quota (zookeeper.enforceQuota) forbids the write' },
  [-126]: { name: 'THROTTLEDOP', hint: 'the server is overloaded and throttled the request; retry later' },
};

/** `NAME` for a known code, `UNKNOWN(<code>)` otherwise (a newer server may add codes). */
export function zkCodeName(code: number): string {
  return ZK_CODES[code]?.name ?? `UNKNOWN(${code})`;
}

/** `NAME (code): hint` for an error message. */
export function describeZkCode(code: number): string {
  const info = ZK_CODES[code];
  return `${zkCodeName(code)} (${code})${info?.hint ? `: ${info.hint}` : ''}`;
}

interface ClientExceptionModule {
  create: (code: number, path?: string) => Error & { code: number };
  zkmigPatched?: boolean;
}

/** A client Exception for any code (see the file comment). Idempotent. */
export function patchClientExceptions(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require('node-zookeeper-client/lib/Exception.js') as ClientExceptionModule;
  if (mod.zkmigPatched) return;
  const original = mod.create;
  mod.create = function create(code: number, path?: string): Error & { code: number } {
    try {
      return original(code, path);
    } catch {
      // Same shape as the client's own Exception: code, name, path, getCode().
      const e = new Error(`Exception: ${zkCodeName(code)}[${code}]${path ? `@${path}` : ''}`) as Error & { code: number; path?: string; getCode?: () => number };
      e.name = zkCodeName(code);
      e.code = code;
      if (path) e.path = path;
      e.getCode = () => code;
      return e;
    }
  };
  mod.zkmigPatched = true;
}
