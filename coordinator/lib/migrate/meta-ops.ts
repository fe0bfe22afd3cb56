import { AppError, PreconditionError, ServiceFailedError, toAppError } from '../../../shared/errors';
import type { MetaHost } from '../inventory';
import type { StepContext } from './runner';
import type { RunEnv } from './env';

/**
 * Meta-server service control through the agents, as the migration steps use it: every call
 * reports a host result, reads the state back and fails loudly when the state was not reached.
 * All of them are idempotent (starting a running meta changes nothing), which is what lets a
 * resumed run simply do the step again.
 */

export type MetaAction = 'start' | 'stop' | 'restart';

/** start / stop / restart one meta and check the result (in check mode: report what would happen). */
export async function controlMeta(env: RunEnv, ctx: StepContext, host: MetaHost, action: MetaAction): Promise<{ changed: boolean }> {
  const client = env.pool.client(host);
  let r;
  try {
    r = await client.controlService(host.metaService, action, { checkMode: env.check });
  } catch (e) {
    const err = toAppError(e);
    const tail = e instanceof ServiceFailedError ? logTail(e.result) : '';
    ctx.hostResult(host.name, err.code === 'UNAVAILABLE' || err.code === 'TIMEOUT' ? 'unreachable' : 'failed', `${action} ${host.metaService}: ${err.message}${tail ? `\n${tail}` : ''}`);
    throw new AppError(err.code, `${host.name}: ${action} ${host.metaService} failed: ${err.message}${tail ? `; its log ends with:\n${tail}` : ''}`, { cause: e });
  }
  const state = r.status?.state ?? 'unknown';
  if (!env.check) {
    const want = action === 'stop' ? 'inactive' : 'active';
    if (state !== want && !(action === 'stop' && state === 'failed')) {
      ctx.hostResult(host.name, 'failed', `${action}: ${host.metaService} is ${state}, expected ${want}`);
      throw new AppError('VERIFY_FAILED', `${host.name}: after ${action}, ${host.metaService} is ${state} (expected ${want}): ${r.msg}`);
    }
  }
  ctx.hostResult(host.name, r.changed ? 'changed' : 'ok', `${env.check ? '(check mode) ' : ''}${r.msg || `${action} ${host.metaService}: ${state}`}`);
  return { changed: r.changed };
}

function logTail(result: unknown): string {
  const t = (result as { log_tail?: string } | undefined)?.log_tail ?? '';
  return t.split('\n').slice(-8).join('\n');
}

/** The meta service's state on one host ('active', 'inactive', 'failed', ...). */
export async function metaState(env: RunEnv, host: MetaHost): Promise<string> {
  return (await env.pool.client(host).serviceStatus(host.metaService)).state;
}

/** Throws PreconditionError unless every listed meta is in `want`. */
export async function expectMetaStates(env: RunEnv, hosts: readonly MetaHost[], want: string): Promise<void> {
  const states = await Promise.all(hosts.map(async (h) => ({ h, s: await metaState(env, h) })));
  const bad = states.filter((x) => x.s !== want);
  if (bad.length > 0) throw new PreconditionError(`expected ${want}: ${bad.map((b) => `${b.h.name} is ${b.s}`).join(', ')}`);
}
