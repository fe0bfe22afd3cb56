/**
 * A fleet for coordinator tests: real agents (one per meta host, started in parallel, mutual TLS
 * with the test PKI) managing meta configs, and an Ansible inventory (YAML) that points at them,
 * with `pegasus_shell` running the simulated shell. A host can be given a port nobody listens on
 * to play an unreachable agent.
 */
import * as fs from 'node:fs';
import YAML from 'yaml';
import { main } from '../../coordinator/cli';
import { formatArgv } from '../../coordinator/lib/shell/argv';
import { freePort } from '../../coordinator/lib/zk-server';
import { SIM_BIN } from '../../sim/cluster';
import { TestAgent } from './agent';
import type { TestPki } from './certs';

export interface InventoryHost {
  name: string;
  /** @default 127.0.0.1 */
  address?: string;
  metaPort: number;
  agentPort: number;
  metaConfig: string;
  /** @default pegasus-meta */
  metaService?: string;
}

export interface InventoryCluster {
  name: string;
  /** The `pegasus_shell` template. */
  shell: string;
  hosts: InventoryHost[];
}

/** `node <sim shell> --cluster {meta_servers} [--format master]`, as an inventory line. */
export function simShell(format: 'v2.5.0' | 'master' = 'v2.5.0'): string {
  return `${formatArgv([process.execPath, SIM_BIN.shell])} --cluster {meta_servers} --format ${format}`;
}

/**
 * The simulated shell reading its meta list and a short RPC timeout from a shell config
 * (`-n NAME -c FILE`): a cluster whose metas are down fails in about a second instead of the
 * real shell's 10 s.
 */
export function simShellWithConfig(clusterName: string, configFile: string, format: 'v2.5.0' | 'master' = 'v2.5.0'): string {
  return `${formatArgv([process.execPath, SIM_BIN.shell, '-n', clusterName, '-c', configFile])} --format ${format}`;
}

/** A shell config (`[pegasus.clusters] NAME = metas`) with an RPC timeout, for simShellWithConfig. */
export function writeShellConfig(file: string, clusterName: string, metas: string, rpcTimeoutMs: number): string {
  fs.writeFileSync(file, `[pegasus.clusters]\n  ${clusterName} = ${metas}\n\n[task..default]\n  rpc_timeout_milliseconds = ${rpcTimeoutMs}\n`);
  return file;
}

/** Write a YAML inventory for `clusters`, with the PKI's coordinator certificate for every host. */
export function writeInventory(file: string, pki: TestPki, clusters: InventoryCluster[]): string {
  const children: Record<string, unknown> = {};
  for (const c of clusters) {
    const hosts: Record<string, unknown> = {};
    for (const h of c.hosts) {
      hosts[h.name] = {
        ansible_host: h.address ?? '127.0.0.1',
        meta_port: h.metaPort,
        agent_port: h.agentPort,
        meta_config: h.metaConfig,
        ...(h.metaService ? { meta_service: h.metaService } : {}),
      };
    }
    children[c.name] = { hosts, vars: { pegasus_shell: c.shell } };
  }
  const doc = {
    all: {
      vars: { agent_ca_file: pki.ca, agent_cert_file: pki.coordinator.cert, agent_key_file: pki.coordinator.key, agent_server_name: 'localhost' },
      children,
    },
  };
  fs.writeFileSync(file, YAML.stringify(doc));
  return file;
}

export interface MetaAgentSpec {
  /** Working directory of this agent (created). */
  dir: string;
  /** The config files it manages. */
  files: string[];
  /** Name of its command-backend meta service. @default pegasus-meta */
  service?: string;
  /** The meta config the service reads. @default files[0] */
  serviceConfig?: string;
}

/** Start one agent per spec, in parallel; each manages its files and a `pegasus-meta` command service running the simulated meta. */
export async function startMetaAgents(pki: TestPki, specs: MetaAgentSpec[]): Promise<TestAgent[]> {
  return Promise.all(
    specs.map((s) => {
      fs.mkdirSync(s.dir, { recursive: true });
      const config = s.serviceConfig ?? s.files[0];
      return TestAgent.start({
        dir: fs.realpathSync(s.dir),
        pki,
        files: s.files,
        services: config
          ? [{ name: s.service ?? 'pegasus-meta', backend: 'command', configFile: config, graceMs: 300, command: { start: [process.execPath, SIM_BIN.meta, '--config', config] } }]
          : [],
      });
    }),
  );
}

/** A loopback port with nothing listening: an unreachable agent. */
export function deadPort(): Promise<number> {
  return freePort();
}



export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Run `zkmig ARGS` in this process with captured output (no terminal: no progress lines). */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  let out = '';
  let err = '';
  const code = await main(args, {
    out: (s) => void (out += s),
    err: (s) => void (err += s),
    isTTY: false,
    env,
    confirm: async () => false,
  });
  return { code, out, err };
}
