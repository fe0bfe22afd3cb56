/** The ZooKeeper a cluster is expected to run on, and how the running leader's view is compared with it. */
import { UsageError } from '../../../shared/errors';
import { parseEndpoint } from '../../../shared/zk/endpoint';
import { listItems, normalizeRoot } from '../config-edit';
import type { ZkView } from './types';

/** Parse `--expect-zk HOSTS/ROOT` (`zk1:2181,zk2:2181/pegasus/mycluster`); the root is required. */
export function parseExpectZk(text: string): ZkView {
  const t = text.trim();
  if (!t.includes('/')) {
    throw new UsageError(`--expect-zk "${text}" has no root: expected HOSTS/ROOT, e.g. zk1:2181,zk2:2181/pegasus/mycluster`);
  }
  try {
    const e = parseEndpoint(t);
    return { hosts: e.hosts, root: e.path };
  } catch (err) {
    throw new UsageError(`--expect-zk: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Same ensemble and root? Hosts compare as sets (order and case do not matter to a ZooKeeper
 * client); roots as Pegasus normalises them (`/a//b/` is `/a/b`).
 */
export function sameZk(a: ZkView, b: ZkView): boolean {
  return listItems(a.hosts).join(',') === listItems(b.hosts).join(',') && normalizeRoot(a.root) === normalizeRoot(b.root);
}

export function formatZk(z: ZkView): string {
  return `${z.hosts}${z.root.startsWith('/') ? '' : ' '}${z.root}`;
}
