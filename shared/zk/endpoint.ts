import { InvalidInputError, UsageError } from '../errors';

/** A parsed `host:port[,host:port...]/path` endpoint. */
export interface ZkEndpoint {
  /** `host:port,host:port`, exactly as handed to the client (no chroot). */
  hosts: string;
  /** Absolute, normalised znode path (no trailing slash, `/` for the root). */
  path: string;
}

const HOST_RE = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}))$/;

/** Parse `h1:2181,h2:2181` into a list, rejecting anything a ZooKeeper client would choke on. */
export function parseHosts(hosts: string): string[] {
  if (hosts.trim() === '') throw new InvalidInputError('ZooKeeper host list is empty');
  return hosts.split(',').map((h) => {
    const m = /^(.*):(\d{1,5})$/.exec(h.trim());
    if (!m) throw new InvalidInputError(`ZooKeeper host "${h}" is not host:port`);
    const [, host = '', portText = ''] = m;
    const port = Number(portText);
    if (!HOST_RE.test(host)) throw new InvalidInputError(`ZooKeeper host "${h}" has an invalid host name`);
    if (port < 1 || port > 65535) throw new InvalidInputError(`ZooKeeper host "${h}" has port ${port} out of range 1-65535`);
    return `${host}:${port}`;
  });
}

/**
 * Normalise a znode path the way Pegasus does for cluster_root (docs/pegasus-internals.md §2.1): empty pieces are
 * dropped, so `/pegasus/x/` and `/pegasus/x` are one path. `.`/`..` pieces, NUL and control
 * characters are refused because ZooKeeper refuses them too.
 */
export function normalizePath(path: string): string {
  if (!path.startsWith('/')) throw new InvalidInputError(`znode path "${path}" must start with /`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) throw new InvalidInputError(`znode path ${JSON.stringify(path)} contains a control character`);
  const parts = path.split('/').filter((p) => p !== '');
  for (const p of parts) {
    if (p === '.' || p === '..') throw new InvalidInputError(`znode path "${path}" contains a "${p}" component`);
  }
  return '/' + parts.join('/');
}

/** Parse `host:port[,host:port...][/path]`; the path defaults to `/`. */
export function parseEndpoint(text: string): ZkEndpoint {
  const t = text.trim();
  if (t === '') throw new InvalidInputError('ZooKeeper endpoint is empty (expected host:port[,host:port...]/path)');
  const slash = t.indexOf('/');
  const hostPart = slash < 0 ? t : t.slice(0, slash);
  const pathPart = slash < 0 ? '/' : t.slice(slash);
  let hosts: string[];
  try {
    hosts = parseHosts(hostPart);
  } catch (e) {
    throw new InvalidInputError(`bad ZooKeeper endpoint "${text}": ${(e as Error).message} (expected host:port[,host:port...]/path)`, { cause: e });
  }
  return { hosts: hosts.join(','), path: normalizePath(pathPart) };
}

/** Join a parent path and a child name. */
export function joinPath(parent: string, child: string): string {
  return parent === '/' ? `/${child}` : `${parent}/${child}`;
}

/** The parent of a normalised path (`/` for top-level nodes). */
export function parentPath(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** An endpoint given by the operator (a string) or already parsed; a bad string is a UsageError, prefixed with `what` when given. */
export function endpointArg(e: string | ZkEndpoint, what?: string): ZkEndpoint {
  if (typeof e !== 'string') return e;
  try {
    return parseEndpoint(e);
  } catch (err) {
    throw new UsageError(`${what ? `${what}: ` : ''}${(err as Error).message}`, { cause: err });
  }
}
