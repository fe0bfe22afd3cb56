/**
 * A "meta-server host" for the deployment tests: a private systemd (its own PID and mount
 * namespaces, see systemd.ts) with zkmig-agent installed by deploy/install-agent.sh as a hardened
 * unit, and the simulated meta server run by systemd from a template unit `pegasus-meta@.service`.
 * The network namespace is shared, so the coordinator under test reaches the agent on loopback.
 *
 * Files live under /var/lib/zkmig-test/<run>/host<N>/ (not /tmp: the namespace has its own /tmp,
 * and the agent's unit has PrivateTmp=yes).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { SIM_BIN } from '../../sim/cluster';
import { REPO_ROOT, TestPki } from './certs';
import { ExecResult, PrivateSystemd } from './systemd';

export const INSTALL_AGENT = path.join(REPO_ROOT, 'deploy', 'install-agent.sh');

/** The meta server as a systemd template unit: `pegasus-meta@<N>.service` runs host N's config. */
function metaTemplate(runDir: string): string {
  return `[Unit]
Description=Simulated Pegasus meta server (host %i)

[Service]
Type=simple
ExecStart=${process.execPath} ${SIM_BIN.meta} --config ${runDir}/host%i/meta/config.ini
# Pegasus exits 0 on ZooKeeper session expiry and expects a supervisor to start it again.
Restart=no
TimeoutStopSec=10s
`;
}

/** A unit that dies one second after it starts: the agent must report its start as failed. */
const CRASHY = `[Unit]
Description=A service that exits one second after start

[Service]
Type=simple
ExecStart=/bin/sh -c 'sleep 1; exit 3'
`;

export interface HostSpec {
  index: number;
  runDir: string;
  agentPort: number;
  /** The meta's config.ini written by SimCluster; copied into the host's meta dir. */
  metaConfigSource: string;
  pki: TestPki;
}

export class SystemdHost {
  readonly dir: string;
  readonly metaConfig: string;
  readonly agentConfig: string;
  readonly prefix: string;
  /** A file in the host's tree that is not in the agent's allowlist nor its ReadWritePaths. */
  readonly forbidden: string;

  private constructor(
    readonly sd: PrivateSystemd,
    readonly spec: HostSpec,
  ) {
    this.dir = path.join(spec.runDir, `host${spec.index}`);
    this.metaConfig = path.join(this.dir, 'meta', 'config.ini');
    this.agentConfig = path.join(this.dir, 'etc', 'agent.yaml');
    this.prefix = path.join(this.dir, 'opt');
    this.forbidden = path.join(this.dir, 'other', 'config.ini');
  }

  get metaUnit(): string {
    return `pegasus-meta@${this.spec.index}.service`;
  }

  /** Boot the host's systemd and write its files (configs, certificates, unit files). */
  static async boot(spec: HostSpec): Promise<SystemdHost> {
    const sd = await PrivateSystemd.boot();
    const h = new SystemdHost(sd, spec);
    try {
      h.writeFiles();
      const units = [
        ['pegasus-meta@.service', metaTemplate(spec.runDir)],
        ['crashy.service', CRASHY],
      ];
      for (const [name, text] of units) {
        const r = await sd.exec(['sh', '-c', `cat > /run/systemd/system/${name}`], { input: text });
        if (r.code !== 0) throw new Error(`writing ${name}: ${r.stderr}`);
      }
      await sd.systemctl('daemon-reload');
    } catch (e) {
      await sd.shutdown();
      throw e;
    }
    return h;
  }

  private writeFiles(): void {
    const { pki, agentPort } = this.spec;
    for (const d of ['meta', 'etc/pki', 'other', 'state']) fs.mkdirSync(path.join(this.dir, d), { recursive: true });
    fs.copyFileSync(this.spec.metaConfigSource, this.metaConfig);
    fs.writeFileSync(this.forbidden, '[zookeeper]\n  hosts_list = untouchable:2181\n');
    const pkiDir = path.join(this.dir, 'etc', 'pki');
    const copy = (src: string, name: string): string => {
      const dst = path.join(pkiDir, name);
      fs.copyFileSync(src, dst);
      return dst;
    };
    const config = {
      listen: `127.0.0.1:${agentPort}`,
      tls: { ca: copy(pki.ca, 'ca.pem'), cert: copy(pki.agent.cert, 'agent.pem'), key: copy(pki.agent.key, 'agent-key.pem'), allowedClients: ['coordinator'] },
      stateDir: path.join(this.dir, 'state'),
      files: [{ path: this.metaConfig }],
      services: [
        { name: 'pegasus-meta', backend: 'systemd', unit: this.metaUnit, configFile: this.metaConfig, startTimeoutMs: 20000, stopTimeoutMs: 20000, graceMs: 1500 },
        { name: 'crashy', backend: 'systemd', unit: 'crashy.service', startTimeoutMs: 10000, stopTimeoutMs: 10000, graceMs: 3000 },
      ],
      auditSink: 'auto',
    };
    fs.writeFileSync(this.agentConfig, YAML.stringify(config));
  }

  /** Run deploy/install-agent.sh inside the host, as an operator would. */
  install(): Promise<ExecResult> {
    return this.sd.exec(['env', `PREFIX=${this.prefix}`, `CONFIG=${this.agentConfig}`, 'UNIT_DIR=/run/systemd/system', `NODE=${process.execPath}`, 'bash', INSTALL_AGENT], { timeoutMs: 180000 });
  }

  /** MainPID of a unit inside the host's PID namespace. */
  async mainPid(unit: string): Promise<number> {
    return Number((await this.sd.show(unit)).MainPID ?? 0);
  }

  /** Run a shell command in the mount namespace of the agent's process (its hardened view of the file system). */
  async inAgentSandbox(script: string): Promise<ExecResult> {
    const pid = await this.mainPid('zkmig-agent.service');
    return this.sd.exec(['nsenter', '-t', String(pid), '-m', 'sh', '-c', script]);
  }

  /** The agent's structured audit records in this host's journal. */
  async auditRecords(): Promise<Record<string, unknown>[]> {
    return (await this.sd.journal('SYSLOG_IDENTIFIER=zkmig-agent')).filter((e) => e.ZKMIG_EVENT !== undefined);
  }

  shutdown(): Promise<void> {
    return this.sd.shutdown();
  }
}
