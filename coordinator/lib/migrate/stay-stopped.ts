import * as net from 'node:net';
import { RestartedBySupervisorError } from '../../../shared/errors';
import type { MetaHost } from '../inventory';
import type { RunEnv } from './env';
import type { StepContext } from './runner';
import { sleep as realSleep } from '../../../shared/process';

/**
 * After the run stops a meta, make sure it stays stopped. The agent's stop returns once the process
 * is gone, but a supervisor the agent does not know about (supervisord `autorestart`, runit, a
 * shell loop around a `command` backend's process) brings it back a moment later: during the copy
 * method's freeze a follower restarted that way campaigns and serves from the old ensemble while
 * its tree is being copied (a split, or writes the copy misses). systemd's `Restart=` never undoes
 * `systemctl stop`, so the agent's systemd backend is safe; this watch is for everything else.
 *
 * For a short window each stopped meta is polled two ways: the agent's service status (a
 * supervisor that the backend can see, e.g. a status command) and a TCP connect to the meta port
 * (a restarted process the agent cannot see: the command backend reports it stopped, or a
 * conflict, since it was not started by the agent). Either one answering ends the run with a
 * RestartedBySupervisorError, before the point of no return, so the normal rollback applies.
 */

/** Why a stopped meta counts as running again, or undefined while it is still down. */
export type RunningProbe = (host: MetaHost) => Promise<string | undefined>;

export interface WatchOptions {
  /** Between two rounds of probes. @default 250 */
  pollMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Poll `probe` on every host until `windowMs` has passed since the call; the first host found
 * running again (with why), or undefined when all stayed down. At least one round of probes runs.
 */
export async function watchStaysStopped(hosts: readonly MetaHost[], windowMs: number, probe: RunningProbe, o: WatchOptions = {}): Promise<{ host: MetaHost; why: string } | undefined> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? realSleep;
  const pollMs = o.pollMs ?? 250;
  const until = now() + windowMs;
  for (;;) {
    const round = await Promise.all(hosts.map(async (host) => ({ host, why: await probe(host) })));
    const up = round.find((r) => r.why !== undefined);
    if (up) return { host: up.host, why: up.why! };
    const left = until - now();
    if (!(left > 0)) return undefined;
    await sleep(Math.min(pollMs, left));
  }
}

/** Does something accept TCP connections on host:port (within timeoutMs)? */
export function portAnswers(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean): void => {
      s.removeAllListeners();
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** The agent's view and the meta port; an agent that does not answer proves nothing either way. */
export function metaRunningProbe(env: RunEnv): RunningProbe {
  return async (host) => {
    try {
      const st = await env.pool.client(host).serviceStatus(host.metaService);
      if (['active', 'activating', 'reloading'].includes(st.state)) return `the agent reports ${host.metaService} ${st.state}${st.main_pid ? ` (pid ${st.main_pid})` : ''}`;
    } catch {
      /* unreachable for a moment: the port probe below still tells */
    }
    if (await portAnswers(host.address, host.metaPort)) return `its meta port ${host.address}:${host.metaPort} answers`;
    return undefined;
  };
}

/**
 * The stays-stopped window of a step that just stopped `hosts` (nothing in check mode or with a
 * window of 0). Throws RestartedBySupervisorError naming the host and the service.
 */
export async function requireStaysStopped(env: RunEnv, ctx: StepContext, hosts: readonly MetaHost[], probe: RunningProbe = metaRunningProbe(env)): Promise<void> {
  const windowMs = env.params.stayStoppedMs;
  if (env.check || !(windowMs > 0) || hosts.length === 0) return;
  const hs = await unsupervisedBySystemd(env, hosts);
  if (hs.length === 0) return;
  ctx.progress(`checking that ${hs.map((h) => h.name).join(', ')} stay(s) stopped for ${windowMs / 1000} s`);
  const up = await watchStaysStopped(hs, windowMs, probe);
  if (up) restarted(ctx, up);
}

/**
 * The hosts worth a window: all but those whose agent runs the meta as a systemd unit
 * (`systemctl stop` is final whatever `Restart=` says, so no supervisor can bring it back within
 * the window). An agent that does not answer keeps its host in the watch.
 */
export async function unsupervisedBySystemd(env: RunEnv, hosts: readonly MetaHost[]): Promise<MetaHost[]> {
  const backends = await Promise.all(hosts.map((h) => backendOf(env, h)));
  return hosts.filter((_, i) => backends[i] !== 'systemd');
}

/** The agent's backend for the host's meta service ('systemd', 'command'), or undefined when its agent does not answer. */
async function backendOf(env: RunEnv, h: MetaHost): Promise<string | undefined> {
  try {
    return (await env.pool.client(h).serviceStatus(h.metaService)).backend;
  } catch {
    return undefined;
  }
}

/**
 * The leader's stop is inside the write freeze, and a window there would add its length to the
 * freeze: `startStaysStopped` starts it without waiting (stop-leader) and `finishStaysStopped`
 * (update-configs, after the edits: a meta a supervisor restarts from then on reads the new
 * hosts_list) waits for what is left of it, then probes once more. The danger it closes: a meta
 * restarted on the old config while the leader starts on the new ensemble is a second leader.
 * A resumed run that did not start the window here only gets the final probe.
 */
const pending = new WeakMap<RunEnv, Promise<{ host: MetaHost; why: string } | undefined>>();

export function startStaysStopped(env: RunEnv, ctx: StepContext, hosts: readonly MetaHost[], probe: RunningProbe = metaRunningProbe(env)): void {
  const windowMs = env.params.stayStoppedMs;
  if (env.check || !(windowMs > 0) || hosts.length === 0) return;
  ctx.progress(`watching ${hosts.map((h) => h.name).join(', ')} stay stopped for ${windowMs / 1000} s (unless run by systemd), alongside the next steps`);
  const watch = unsupervisedBySystemd(env, hosts).then((hs) => (hs.length === 0 ? undefined : watchStaysStopped(hs, windowMs, probe)));
  watch.catch(() => undefined); // awaited (and its error seen) in finishStaysStopped
  void watch.then((up) => up && found.set(env, up), () => undefined);
  pending.set(env, watch);
}

/** What a running window found already, without waiting for it (found: the watch ended early). */
const found = new WeakMap<RunEnv, { host: MetaHost; why: string }>();

/**
 * Fail now if the window started by startStaysStopped has already found a restarted meta: a step
 * between the stop and update-configs (the pre-copy's finalize) need not work on a source that
 * such a meta may be writing.
 */
export function checkStaysStopped(env: RunEnv, ctx: StepContext): void {
  const up = found.get(env);
  if (up) restarted(ctx, up);
}

export async function finishStaysStopped(env: RunEnv, ctx: StepContext, hosts: readonly MetaHost[], probe: RunningProbe = metaRunningProbe(env)): Promise<void> {
  if (env.check || !(env.params.stayStoppedMs > 0) || hosts.length === 0) return;
  const watch = pending.get(env);
  pending.delete(env);
  const up = (watch ? await watch : undefined) ?? (await watchStaysStopped(hosts, 0, probe));
  if (up) restarted(ctx, up);
}

function restarted(ctx: StepContext, up: { host: MetaHost; why: string }): never {
  const msg = `${up.host.name}: ${up.host.metaService} runs again after the agent stopped it (${up.why}): a supervisor restarted it: stop it through the supervisor, or let the agent own the process (systemd backend)`;
  ctx.hostResult(up.host.name, 'failed', msg);
  throw new RestartedBySupervisorError(up.host.name, up.host.metaService, msg, { context: { why: up.why } });
}

/**
 * Preflight: metas run by a `command` backend, where the agent cannot see a supervisor (a systemd
 * backend needs nothing: `systemctl stop` is final whatever `Restart=` says).
 */
export async function commandBackendWarnings(env: RunEnv): Promise<string[]> {
  const out: string[] = [];
  await Promise.all(
    env.cluster.metas.map(async (h) => {
      // An agent that does not answer: the preflight's own agent checks report it.
      if ((await backendOf(env, h)) === 'command') {
        out.push(`${h.name}: ${h.metaService} is a "command" backend service: the agent cannot see a supervisor (supervisord, runit, a shell loop) that would restart it while the run keeps it stopped; the run watches each stopped meta for ${env.params.stayStoppedMs / 1000} s (--stay-stopped) and stops if one comes back`);
      }
    }),
  );
  return out.sort();
}
