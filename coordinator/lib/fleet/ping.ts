/**
 * `zkmig agents`: ask every agent of the selected clusters for its health and facts, and check
 * that it manages what the inventory says it should (the meta's config.ini and its service), so
 * that a later audit, config edit or migration does not discover it halfway through.
 */
import type { MetaHost, PegasusCluster } from '../inventory';
import { AgentPool, targetsOf } from './agent-pool';
import { makeRecap, Recap, renderRecap } from './recap';
import { HostOutcome } from './types';

export interface AgentServiceInfo {
  name: string;
  backend: string;
  unit: string;
  state: string;
  subState: string;
  mainPid: number;
  configFile: string;
}

export interface AgentFileInfo {
  path: string;
  exists: boolean;
  size: number;
  sha256: string;
  /** From the file's `[zookeeper] hosts_list` and `[meta_server] cluster_root`, when it is a Pegasus config. */
  zookeeper?: { hosts: string; root: string };
  error: string;
}

export interface AgentInfo {
  /** grpc.health.v1 status, `SERVING` when the agent takes calls. */
  health: string;
  hostname: string;
  version: string;
  /** starting | serving | draining | stopped */
  state: string;
  uptimeSeconds: number;
  pid: number;
  services: AgentServiceInfo[];
  files: AgentFileInfo[];
  /** The agent's own warnings, then mismatches with the inventory (meta_config or meta_service not managed). */
  warnings: string[];
}

export interface PingResult {
  hosts: HostOutcome<AgentInfo>[];
  recap: Recap;
  /** Hosts that answered but have warnings. */
  warned: number;
}

/** What an agent that answered lacks compared with the inventory. */
export function inventoryMismatches(host: MetaHost, info: Pick<AgentInfo, 'services' | 'files'>): string[] {
  const out: string[] = [];
  const file = info.files.find((f) => f.path === host.metaConfig);
  if (!file) out.push(`the agent does not manage meta_config ${host.metaConfig} (add it to the agent's files)`);
  else if (!file.exists) out.push(`meta_config ${host.metaConfig} does not exist on the host`);
  else if (file.error) out.push(`meta_config ${host.metaConfig}: ${file.error}`);
  if (!info.services.some((s) => s.name === host.metaService)) out.push(`the agent manages no service "${host.metaService}" (meta_service)`);
  return out;
}

export async function pingAgents(o: { pool: AgentPool; clusters: readonly PegasusCluster[]; onProgress?: (done: number, total: number) => void }): Promise<PingResult> {
  const hosts = await o.pool.run(
    targetsOf(o.clusters),
    async (client, t): Promise<AgentInfo> => {
      const [health, f] = await Promise.all([client.health(), client.facts()]);
      const info: AgentInfo = {
        health,
        hostname: f.hostname,
        version: f.agent_version,
        state: f.agent_state,
        uptimeSeconds: f.uptime_seconds,
        pid: f.agent_pid,
        services: f.services.map((s) => ({ name: s.name, backend: s.backend, unit: s.unit, state: s.state, subState: s.sub_state, mainPid: s.main_pid, configFile: s.config_file })),
        files: f.files.map((x) => ({
          path: x.path,
          exists: x.exists,
          size: x.size,
          sha256: x.sha256,
          ...(x.pegasus ? { zookeeper: { hosts: x.pegasus.zk_hosts_list, root: x.pegasus.cluster_root } } : {}),
          error: x.error,
        })),
        warnings: [...f.warnings],
      };
      info.warnings.push(...inventoryMismatches(t.host, info));
      return info;
    },
    o.onProgress ? { onProgress: o.onProgress } : {},
  );
  return { hosts, recap: makeRecap(hosts), warned: hosts.filter((h) => (h.value?.warnings.length ?? 0) > 0).length };
}

/** `zkmig agents` as text: one block per host, then the recap. */
export function renderPing(r: PingResult): string {
  const lines: string[] = [];
  for (const h of r.hosts) {
    const who = `[${h.cluster}/${h.host}] ${h.agent}`;
    if (!h.value) {
      lines.push(`${h.status}: ${who}: ${h.error?.message ?? ''}`);
      continue;
    }
    const a = h.value;
    lines.push(`ok: ${who}: zkmig-agent ${a.version} on ${a.hostname} (pid ${a.pid}), ${a.state}, up ${formatUptime(a.uptimeSeconds)}`);
    for (const s of a.services) {
      lines.push(`    service ${s.name} (${s.backend}${s.unit ? ` ${s.unit}` : ''}): ${s.state}${s.subState ? `/${s.subState}` : ''}${s.mainPid ? ` pid ${s.mainPid}` : ''}`);
    }
    for (const f of a.files) {
      const what = !f.exists ? 'missing' : f.error ? f.error : `${f.size} bytes, sha256 ${f.sha256.slice(0, 12)}`;
      const zk = f.zookeeper ? `, zookeeper ${f.zookeeper.hosts || '(none)'} root ${f.zookeeper.root || '/'}` : '';
      lines.push(`    file ${f.path}: ${what}${zk}`);
    }
    for (const w of a.warnings) lines.push(`    warning: ${w}`);
  }
  return `${lines.join('\n')}\n\n${renderRecap(r.recap)}`;
}

function formatUptime(s: number): string {
  const t = Math.floor(s);
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m${t % 60}s`;
  if (t < 86400) return `${Math.floor(t / 3600)}h${Math.floor((t % 3600) / 60)}m`;
  return `${Math.floor(t / 86400)}d${Math.floor((t % 86400) / 3600)}h`;
}
