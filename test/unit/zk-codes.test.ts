import test from 'ava';
import { zk, wrapZkError } from '../../shared/zk/client';
import { ZK_CODES } from '../../shared/zk/codes';
import { DigestMd5Client, parseDirectives } from '../../shared/zk/digest-md5';
import { failQueued } from '../../shared/zk/client-internals';
import { tlsHint } from '../../shared/zk/secure-connect';

/** The full KeeperException.Code table of ZooKeeper 3.5-3.9, as the server sends it. */
const EXPECTED: Record<number, string> = {
  [-1]: 'SYSTEMERROR', [-2]: 'RUNTIMEINCONSISTENCY', [-3]: 'DATAINCONSISTENCY', [-4]: 'CONNECTIONLOSS', [-5]: 'MARSHALLINGERROR',
  [-6]: 'UNIMPLEMENTED', [-7]: 'OPERATIONTIMEOUT', [-8]: 'BADARGUMENTS', [-12]: 'UNKNOWNSESSION', [-13]: 'NEWCONFIGNOQUORUM',
  [-14]: 'RECONFIGINPROGRESS', [-100]: 'APIERROR', [-101]: 'NONODE', [-102]: 'NOAUTH', [-103]: 'BADVERSION',
  [-108]: 'NOCHILDRENFOREPHEMERALS', [-110]: 'NODEEXISTS', [-111]: 'NOTEMPTY', [-112]: 'SESSIONEXPIRED', [-113]: 'INVALIDCALLBACK',
  [-114]: 'INVALIDACL', [-115]: 'AUTHFAILED', [-118]: 'SESSIONMOVED', [-119]: 'NOTREADONLY', [-120]: 'EPHEMERALONLOCALSESSION',
  [-121]: 'NOWATCHER', [-122]: 'REQUESTTIMEOUT', [-123]: 'RECONFIGDISABLED', [-124]: 'SESSIONCLOSEDREQUIRESASLAUTH',
  [-125]: 'QUOTAEXCEEDED', [-126]: 'THROTTLEDOP',
};

test('every ZooKeeper 3.5-3.9 error code has its ZooKeeper name', (t) => {
  for (const [code, name] of Object.entries(EXPECTED)) t.is(ZK_CODES[Number(code)]?.name, name, code);
});

test('the client no longer throws "Unknown code" for any code, and the error carries the code; wrapZkError names it', (t) => {
  for (const c of [...Object.keys(EXPECTED).map(Number), -999]) {
    const e = (zk.Exception as unknown as { create(c: number): Error & { code: number } }).create(c);
    t.is(e.code, c);
    const w = wrapZkError('read', '/x', e);
    t.is(w.zkCode, c);
    t.regex(w.message, c === -999 ? /UNKNOWN\(-999\)/ : new RegExp(`${EXPECTED[c]} \\(${c}\\)`));
  }
});

test('the fast path fails queued requests with any code without throwing', (t) => {
  const client = zk.createClient('127.0.0.1:1', { retries: 0 });
  const got: number[] = [];
  const cm = (client as unknown as { connectionManager: { pendingQueue: unknown[] } }).connectionManager;
  cm.pendingQueue.push({ request: { header: null }, callback: (e: { code: number }) => got.push(e.code) });
  t.notThrows(() => failQueued(client, -126));
  t.deepEqual(got, [-126]);
});

test('DIGEST-MD5 answers as RFC 2831 says (the RFC\'s own example) and checks rspauth', (t) => {
  // RFC 2831 section 4 example (IMAP, qop=auth): user chris, password secret, realm elwood.innosoft.com.
  const c = new DigestMd5Client('chris', 'secret', 'imap/elwood.innosoft.com', 'OA6MHXh6VqTrRk');
  const out = parseDirectives(
    c.step(Buffer.from('realm="elwood.innosoft.com",nonce="OA6MG9tEQGm2hh",qop="auth",algorithm=md5-sess,charset=utf-8')).toString(),
  );
  t.is(out.get('response'), 'd388dad90d4bbd760a152321f2143af7');
  t.is(out.get('digest-uri'), 'imap/elwood.innosoft.com');
  t.throws(() => c.step(Buffer.from('rspauth=00000000000000000000000000000000')), { message: /rspauth does not match/ });
  const d = new DigestMd5Client('chris', 'secret', 'imap/elwood.innosoft.com', 'OA6MHXh6VqTrRk');
  d.step(Buffer.from('realm="elwood.innosoft.com",nonce="OA6MG9tEQGm2hh",qop="auth",algorithm=md5-sess,charset=utf-8'));
  d.step(Buffer.from('rspauth=ea40f60335c427b5527b84dbabcdfffd'));
  t.true(d.complete);
});

test('TLS alerts get the hint that fits: a missing client certificate, a refused one, nothing in common, an untrusted server', (t) => {
  const e = (code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code });
  t.regex(tlsHint(e('ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE'), false), /requires a client certificate/);
  t.regex(tlsHint(e('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), true), /requires a client certificate/);
  // With a certificate given, handshake_failure is no common version or cipher, not a missing certificate.
  t.regex(tlsHint(e('ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE'), true), /agree on no TLS version or cipher suite/);
  t.regex(tlsHint(e('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION'), true), /agree on no TLS version or cipher suite/);
  t.regex(tlsHint(e('ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE'), true), /refused the client certificate/);
  t.regex(tlsHint(e('SELF_SIGNED_CERT_IN_CHAIN'), true), /not signed by a trusted CA/);
});
