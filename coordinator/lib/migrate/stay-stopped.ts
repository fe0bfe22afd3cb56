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
 * The freeze must not wait for a window: from the followers' stop (after their own window, which
 * runs before the freeze) and the leader's stop on, every stopped meta is watched in the background
 * instead (startStaysStopped), and the steps look at what the watch found:
 *   finalize        checkStaysStopped: a meta back up may be writing the source being proven;
 *   update-configs  settleStaysStopped, after the edits: what the watch found and one more probe of
 *                   every meta; the leader's host then leaves the watch (the agent starts it next);
 *   wait-leader     endStaysStopped, once the leader serves: the followers, watched until then.
 * Why the freeze need not last the whole window since the leader's stop:
 *  - a meta that a supervisor starts after the edits reads the new hosts_list: it joins the new
 *    ensemble, which holds the proven copy, and cannot lead the stale tree;
 *  - on the leader's host a copy started before the edits and the agent's new leader cannot both
 *    run: Pegasus binds its RPC port before it touches ZooKeeper (src/runtime/service_engine.cpp,
 *    service_node::start runs init_rpc_engine before the app is started; src/rpc/
 *    asio_net_provider.cpp, asio_network_provider::start fails on a port already bound), so the
 *    later of the two exits before it can campaign; when that is the agent's leader, start-leader
 *    fails before anything served from the new ensemble;
 *  - a follower started before the edits, on the old config, answers on its own port: the watch
 *    sees it within a poll. Seen only once the leader serves, it ends the run past the point of no
 *    return (its own window before the freeze gave such a supervisor 5 s to show itself first).
 * A resumed run has no watch (it lived in the previous coordinator): settle probes once.
 */
class BackgroundWatch {
  found: { host: MetaHost; why: string } | undefined;
  private hosts: MetaHost[] = [];
  private stopped = false;
  private round: Promise<void> = Promise.resolve();
  private readonly loop: Promise<void>;

  constructor(
    private readonly probe: RunningProbe,
    private readonly pollMs: number,
  ) {
    this.loop = this.run();
  }

  add(hs: readonly MetaHost[]): void {
    for (const h of hs) if (!this.hosts.some((x) => x.name === h.name)) this.hosts.push(h);
  }

  /** Stop watching `name` once the round in flight ended (its findings predate the call). */
  async remove(name: string): Promise<void> {
    await this.round;
    this.hosts = this.hosts.filter((h) => h.name !== name);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  private wake: (() => void) | undefined;

  private async run(): Promise<void> {
    while (!this.stopped && !this.found) {
      const hs = [...this.hosts];
      this.round = Promise.all(hs.map(async (host) => ({ host, why: await this.probe(host).catch(() => undefined) }))).then((r) => {
        const up = r.find((x) => x.why !== undefined);
        if (up && !this.found) this.found = { host: up.host, why: up.why! };
      });
      await this.round;
      if (this.stopped || this.found) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.pollMs);
        this.wake = () => (clearTimeout(t), resolve());
      });
    }
  }
}

const watches = new WeakMap<RunEnv, BackgroundWatch>();

/** Watch `hosts` (those not run as systemd units) in the background from now until endStaysStopped. */
export async function startStaysStopped(env: RunEnv, ctx: StepContext, hosts: readonly MetaHost[], probe: RunningProbe = metaRunningProbe(env), pollMs = 250): Promise<void> {
  if (env.check || !(env.params.stayStoppedMs > 0) || hosts.length === 0) return;
  const hs = await unsupervisedBySystemd(env, hosts);
  if (hs.length === 0) return;
  let w = watches.get(env);
  if (!w) watches.set(env, (w = new BackgroundWatch(probe, pollMs)));
  w.add(hs);
  ctx.progress(`watching ${hs.map((h) => h.name).join(', ')} stay stopped, alongside the next steps`);
}

/** Fail now if the background watch already found a meta running again. */
export function checkStaysStopped(env: RunEnv, ctx: StepContext): void {
  const up = watches.get(env)?.found;
  if (up) restarted(ctx, up);
}

/**
 * After the config edits: what the watch found, then one round of probes of `hosts` (all the
 * run's metas); `leader` leaves the watch, since the agent starts it next.
 */
export async function settleStaysStopped(env: RunEnv, ctx: StepContext, hosts: readonly MetaHost[], leader: string, probe: RunningProbe = metaRunningProbe(env)): Promise<void> {
  if (env.check || !(env.params.stayStoppedMs > 0) || hosts.length === 0) return;
  const w = watches.get(env);
  await w?.remove(leader);
  checkStaysStopped(env, ctx);
  const up = await watchStaysStopped(hosts, 0, probe);
  if (up) restarted(ctx, up);
}

/** Once the leader serves: what the watch of the followers found; the watch ends. */
export async function endStaysStopped(env: RunEnv, ctx: StepContext): Promise<void> {
  const w = watches.get(env);
  if (!w) return;
  watches.delete(env);
  await w.stop();
  if (w.found) restarted(ctx, w.found);
}

/** End the background watch without looking (run end, and before a rollback starts metas itself). */
export async function closeStaysStopped(env: RunEnv): Promise<void> {
  const w = watches.get(env);
  watches.delete(env);
  await w?.stop();
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
