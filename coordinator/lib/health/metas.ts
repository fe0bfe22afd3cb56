import * as net from 'node:net';
import type { MetaHost } from '../inventory';
import type { HealthCheck } from './types';

/**
 * "The metas are all there": every meta the inventory configures accepts a connection on its
 * RPC port. A cluster with followers stopped serves, but one more failure leaves it without a
 * leader; a migration interrupted with the followers stopped must not read HEALTHY.
 */

export const META_PROBE_MS = 3000;

function probe(address: string, timeoutMs: number): Promise<string | undefined> {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(colon + 1));
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (why: string | undefined): void => {
      s.destroy();
      resolve(why);
    };
    s.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs} ms`));
    s.once('connect', () => done(undefined));
    s.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
  });
}

export async function metasCheck(metas: readonly MetaHost[], timeoutMs = META_PROBE_MS): Promise<HealthCheck> {
  const r = await Promise.all(metas.map(async (m) => ({ m, why: await probe(m.metaAddress, timeoutMs) })));
  const down = r.filter((x) => x.why !== undefined);
  if (down.length === 0) return { name: 'metas', status: 'pass', message: `${metas.length} of ${metas.length} configured metas answer` };
  // None answers: the network or the inventory may be wrong as much as the cluster; the shell's checks say "could not tell" too.
  const status = down.length === metas.length ? 'unknown' : 'fail';
  return { name: 'metas', status, message: `${down.length} of ${metas.length} configured metas do not answer: ${down.map((d) => `${d.m.name} ${d.m.metaAddress} (${d.why})`).join(', ')}` };
}
