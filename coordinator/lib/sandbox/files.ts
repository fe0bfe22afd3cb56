import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { AppError } from '../../../shared/errors';
import { SIM_BIN } from '../../../sim/cluster';

/**
 * The files a sandbox writes besides the simulator's configs: certificates (made by the real
 * deploy/make-certs.sh, so the demo exercises it), one agent.yaml per meta host, and the Ansible
 * inventory every other zkmig command reads.
 */

/** Repository root, from dist/coordinator/lib/sandbox/ (or coordinator/lib/sandbox/ under ts-node). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', ...(path.basename(path.resolve(__dirname, '..', '..', '..')) === 'dist' ? ['..'] : []));
export const MAKE_CERTS = path.join(REPO_ROOT, 'deploy', 'make-certs.sh');
export const AGENT_MAIN = path.join(REPO_ROOT, 'dist', 'agent', 'main.js');

export interface Pki {
  dir: string;
  ca: string;
  cert: string;
  key: string;
  agentCert: string;
  agentKey: string;
}

/** A CA, one agent certificate for 127.0.0.1/localhost (all sandbox agents share it) and a coordinator certificate. */
export function makePki(dir: string): Pki {
  const run = (args: string[]): void => {
    try {
      execFileSync('bash', [MAKE_CERTS, '-d', dir, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      const stderr = String((e as { stderr?: Buffer }).stderr ?? '');
      throw new AppError('INTERNAL', `deploy/make-certs.sh ${args.join(' ')} failed: ${stderr.trim() || (e as Error).message}`, { cause: e });
    }
  };
  run(['ca', 'zkmig sandbox CA']);
  run(['agent', 'localhost', '127.0.0.1']);
  run(['coordinator', 'coordinator']);
  return {
    dir,
    ca: path.join(dir, 'ca.pem'),
    cert: path.join(dir, 'coordinator-coordinator.pem'),
    key: path.join(dir, 'coordinator-coordinator-key.pem'),
    agentCert: path.join(dir, 'agent-localhost.pem'),
    agentKey: path.join(dir, 'agent-localhost-key.pem'),
  };
}

export const META_SERVICE = 'pegasus-meta';

export interface AgentFiles {
  dir: string;
  config: string;
  log: string;
  pidFile: string;
}

/**
 * agent.yaml for one meta host: mutual TLS, the meta's config.ini as the only managed file, and the
 * meta as a `command` service running the simulator. A 1 s start grace period keeps the demo fast
 * while still catching a meta that dies at once (for example when its ZooKeeper is gone).
 */
export function writeAgentConfig(o: {
  dir: string;
  listen: string;
  pki: Pki;
  metaConfig: string;
  metaLog: string;
  metaDir: string;
  env: Record<string, string>;
}): AgentFiles {
  fs.mkdirSync(o.dir, { recursive: true });
  const stateDir = path.join(o.dir, 'state');
  const cfg = {
    listen: o.listen,
    tls: { ca: o.pki.ca, cert: o.pki.agentCert, key: o.pki.agentKey },
    stateDir,
    files: [{ path: o.metaConfig }],
    services: [
      {
        name: META_SERVICE,
        backend: 'command',
        configFile: o.metaConfig,
        startTimeoutMs: 20000,
        stopTimeoutMs: 10000,
        graceMs: 1000,
        command: {
          start: [process.execPath, SIM_BIN.meta, '--config', o.metaConfig],
          logFile: o.metaLog,
          cwd: o.metaDir,
          env: o.env,
        },
      },
    ],
    drainTimeoutMs: 5000,
  };
  const config = path.join(o.dir, 'agent.yaml');
  fs.writeFileSync(config, `# zkmig sandbox agent (written by "zkmig sandbox up")\n${YAML.stringify(cfg)}`);
  return { dir: o.dir, config, log: path.join(o.dir, 'agent.log'), pidFile: path.join(stateDir, 'services', `${META_SERVICE}.pid`) };
}

export interface InventoryMeta {
  name: string;
  metaPort: number;
  agentPort: number;
  metaConfig: string;
}

/** The Ansible inventory (YAML) of the sandbox cluster; `pegasus_shell` runs the simulated shell. */
export function writeInventory(file: string, cluster: string, metas: InventoryMeta[], pki: Pki, extraVars: Record<string, string> = {}): void {
  const hosts: Record<string, Record<string, unknown>> = {};
  for (const m of metas) hosts[m.name] = { ansible_host: '127.0.0.1', meta_port: m.metaPort, agent_port: m.agentPort, meta_config: m.metaConfig };
  const doc = {
    all: {
      // The agents' certificate is for localhost (and 127.0.0.1): verify the name, not the IP (RFC 6066 SNI).
      vars: { agent_ca_file: pki.ca, agent_cert_file: pki.cert, agent_key_file: pki.key, agent_server_name: 'localhost', ...extraVars },
      children: {
        [cluster]: {
          vars: { meta_service: META_SERVICE, pegasus_shell: `${process.execPath} ${SIM_BIN.shell} --cluster {meta_servers}` },
          hosts,
        },
      },
    },
  };
  fs.writeFileSync(file, `# zkmig sandbox inventory (written by "zkmig sandbox up"); use it with -i ${file}\n${YAML.stringify(doc)}`);
}
