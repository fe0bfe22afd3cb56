import { main } from '../../coordinator/cli';
import type { CliIO } from '../../coordinator/lib/io';
import { ZkSession, zk } from '../../shared/zk/client';
import { multi, RawAcl } from '../../coordinator/lib/zk/wire';
import { OPEN_RAW_ACL } from '../../coordinator/lib/zk/acl';

/** Shared by the zk-*.test.ts integration files. */

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Run `zkmig ARGS` in-process with captured output (as the CLI tests of other commands do). */
export async function zkmig(args: string[], opts: { env?: NodeJS.ProcessEnv; tty?: boolean; confirm?: boolean } = {}): Promise<CliRun> {
  let out = '';
  let err = '';
  const io: CliIO = {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    isTTY: opts.tty ?? false,
    env: opts.env ?? {},
    confirm: async () => opts.confirm ?? false,
  };
  const code = await main(args, io);
  return { code, out, err };
}

export async function withSession<T>(hosts: string, f: (s: ZkSession) => Promise<T>, auth?: string): Promise<T> {
  const s = await ZkSession.connect(hosts, { sessionTimeoutMs: 10000, ...(auth ? { auth } : {}) });
  try {
    return await f(s);
  } finally {
    s.close();
  }
}

/** Create one node with exact bytes (null allowed) and ACL, through a single-op multi (the client's create() refuses data over 1 MB). */
export function createRaw(s: ZkSession, path: string, data: Buffer | null, acl: readonly RawAcl[] = OPEN_RAW_ACL): Promise<void> {
  return new Promise((resolve, reject) => multi(s.client, [{ kind: 'create', path, data, acl }], (err) => (err ? reject(err) : resolve())));
}

/** Data of a node as stored (null when the node holds null). */
export function getRaw(s: ZkSession, path: string): Promise<{ data: Buffer | null; stat: zk.Stat }> {
  return new Promise((resolve, reject) => s.client.getData(path, (err, data, stat) => (err ? reject(err) : resolve({ data: data ?? null, stat }))));
}

export function aclOf(s: ZkSession, path: string): Promise<{ perms: number; scheme: string; id: string }[]> {
  return new Promise((resolve, reject) =>
    s.client.getACL(path, (err, acls) =>
      err ? reject(err) : resolve(acls.map((a) => ({ perms: (a as unknown as { permission: number }).permission, scheme: a.id.scheme, id: a.id.id }))),
    ),
  );
}

/** All paths under `root` (root included), sorted. */
export async function listAll(s: ZkSession, root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (p: string): Promise<void> => {
    out.push(p);
    const kids = await s.getChildren(p);
    await Promise.all(kids.map((k) => walk(p === '/' ? `/${k}` : `${p}/${k}`)));
  };
  await walk(root);
  return out.sort();
}
