/**
 * A real zkmig-agent process for tests: writes a config, starts `node dist/agent/main.js` listening
 * on 127.0.0.1 (port 0 the first time, the same port on restart), waits for the `serving` audit
 * record and a SERVING health check over mutual TLS, and stops or SIGKILLs it. The agent's stderr
 * (its JSON audit lines, since tests have no journald socket) is kept in a file for assertions.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { AgentClient, AgentClientOptions } from '../../coordinator/lib/agent-client';
import type { CertPair, TestPki } from './certs';
import { REPO_ROOT } from './certs';
import { waitFor } from './tmp';

export const AGENT_MAIN = path.join(REPO_ROOT, 'dist', 'agent', 'main.js');

/** The node flags the agent runs with in production: those on the first line of main.js. */
export function agentNodeFlags(): string[] {
  const first = fs.readFileSync(AGENT_MAIN, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\/usr\/bin\/env -S node(.*)$/.exec(first);
  return m ? (m[1] ?? '').trim().split(/\s+/).filter(Boolean) : [];
}

export interface AgentSpec {
  /** Working directory for the config, state and logs (the caller owns and removes it). */
  dir: string;
  /** Required unless insecure. */
  pki?: TestPki;
  insecure?: boolean;
  files?: (string | { path: string; backupDir?: string })[];
  /** Service entries exactly as in agent.yaml. */
  services?: Record<string, unknown>[];
  token?: string;
  allowedClients?: string[];
  /** CA file the agent trusts for client certificates. @default pki.ca */
  clientCa?: string;
  /** More top-level config keys (limits, backups, drainTimeoutMs...). */
  extra?: Record<string, unknown>;
}

export type AuditRecord = Record<string, unknown> & { event: string; msg: string };

const running = new Set<TestAgent>();

export class TestAgent {
  proc: ChildProcess | undefined;
  port = 0;
  readonly configPath: string;
  readonly stderrPath: string;
  private exited: Promise<number | null> = Promise.resolve(null);

  private constructor(readonly spec: AgentSpec) {
    this.configPath = path.join(spec.dir, 'agent.yaml');
    this.stderrPath = path.join(spec.dir, 'agent.stderr');
  }

  /** Write the config and start the agent; resolves once it serves. */
  static async start(spec: AgentSpec): Promise<TestAgent> {
    const a = new TestAgent(spec);
    a.writeConfig();
    await a.launch();
    return a;
  }

  writeConfig(): void {
    const s = this.spec;
    const cfg: Record<string, unknown> = {
      listen: '127.0.0.1:0',
      stateDir: path.join(s.dir, 'state'),
      files: (s.files ?? []).map((f) => (typeof f === 'string' ? { path: f } : f)),
      services: s.services ?? [],
      drainTimeoutMs: 10000,
      // Tests read the audit from stderr, also on hosts that run systemd-journald.
      auditSink: 'stderr',
      ...s.extra,
    };
    if (s.pki) cfg.tls = { ca: s.clientCa ?? s.pki.ca, cert: s.pki.agent.cert, key: s.pki.agent.key, ...(s.allowedClients ? { allowedClients: s.allowedClients } : {}) };
    if (s.token !== undefined) {
      const tf = path.join(s.dir, 'token');
      fs.writeFileSync(tf, s.token + '\n', { mode: 0o600 });
      cfg.auth = { tokenFile: tf };
    }
    fs.writeFileSync(this.configPath, YAML.stringify(cfg));
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  private async launch(): Promise<void> {
    this.termSent = false;
    const args = [...agentNodeFlags(), AGENT_MAIN, '--config', this.configPath];
    if (this.port) args.push('--listen', this.address);
    if (this.spec.insecure) args.push('--insecure');
    const from = fs.existsSync(this.stderrPath) ? fs.statSync(this.stderrPath).size : 0;
    const err = fs.openSync(this.stderrPath, 'a');
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', err], env: { ...process.env, ZKMIG_AGENT_LISTEN: undefined } });
    fs.closeSync(err);
    this.proc = proc;
    this.exited = new Promise((r) => proc.once('exit', (code, sig) => r(code ?? (sig ? -1 : null))));
    running.add(this);
    const rec = await waitFor(
      'the agent to log that it is serving',
      () => {
        if (proc.exitCode !== null) throw new Error(`agent exited with ${proc.exitCode}: ${fs.readFileSync(this.stderrPath, 'utf8').slice(from).slice(-2000)}`);
        return this.records(from).find((r) => r.event === 'lifecycle' && r.state === 'serving');
      },
      20000,
      25,
    );
    this.port = Number(String(rec.address).split(':').pop());
    const c = this.client();
    try {
      await waitFor('a SERVING health check', async () => (await c.health()) === 'SERVING', 10000, 50);
    } finally {
      c.close();
    }
  }

  /** Parsed JSON audit lines from the agent's stderr (optionally from a byte offset). */
  records(fromByte = 0): AuditRecord[] {
    let text = '';
    try {
      text = fs.readFileSync(this.stderrPath, 'utf8').slice(fromByte);
    } catch {
      return [];
    }
    const out: AuditRecord[] = [];
    for (const line of text.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line) as AuditRecord);
      } catch {
        /* a line cut by SIGKILL */
      }
    }
    return out;
  }

  /** A client with the coordinator certificate (or another pair), the agent's token, fast retries. */
  client(o: { cert?: CertPair; ca?: string; token?: string | null; retry?: AgentClientOptions['retry']; deadlines?: AgentClientOptions['deadlines'] } = {}): AgentClient {
    const pki = this.spec.pki;
    const pair = o.cert === undefined ? pki?.coordinator : o.cert;
    const token = o.token === undefined ? this.spec.token : (o.token ?? undefined);
    const retry = o.retry ?? { maxAttempts: 2, initialBackoffMs: 20, maxBackoffMs: 50 };
    if (this.spec.insecure || !pki) return new AgentClient({ address: this.address, insecure: true, token, retry, deadlines: o.deadlines });
    if (!pair) throw new Error('TestAgent.client: a client certificate is required (use a raw grpc client to test without one)');
    return new AgentClient({
      address: this.address,
      tls: { ca: o.ca ?? pki.ca, cert: pair.cert, key: pair.key, serverName: 'localhost' },
      token,
      retry,
      deadlines: o.deadlines,
      coordinator: 'ava-test',
    });
  }

  private termSent = false;

  /** Send SIGTERM once (a second one makes the agent exit without draining). */
  sigterm(): void {
    if (this.termSent || !this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.termSent = true;
    this.proc.kill('SIGTERM');
  }

  /** SIGTERM (once) and wait for the exit code. */
  async stop(): Promise<number | null> {
    this.sigterm();
    const code = await this.exited;
    running.delete(this);
    return code;
  }

  /** SIGKILL (no drain) and wait until gone. */
  async kill(): Promise<void> {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    await this.exited;
    running.delete(this);
  }

  /** Start again with the same config and port. */
  async restart(): Promise<void> {
    await this.launch();
  }
}

/** For test.after.always: kill every agent a test file started and did not stop. */
export async function stopAllAgents(): Promise<void> {
  await Promise.all([...running].map((a) => a.kill()));
}
