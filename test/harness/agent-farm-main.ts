/**
 * Child process of test/harness/agent-farm.ts: runs several real agent servers (the same
 * AgentServer as zkmig-agent, mutual TLS, each loaded from its own agent.yaml) in one Node process,
 * so that a load test can put 100 agents on a 2-core machine without 100 Node start-ups.
 * Prints one JSON line `{"ports":[...]}` once every server is SERVING; SIGTERM drains and exits.
 *
 * Usage: node dist/test/harness/agent-farm-main.js AGENT.yaml...
 */
import { AuditLog } from '../../agent/audit';
import { loadAgentConfig } from '../../agent/config';
import { AgentServer } from '../../agent/server';

async function main(files: string[]): Promise<void> {
  // The audit log is the agents' business, not the load test's: dropping it keeps stderr for errors.
  const audit = new AuditLog({ write: () => undefined });
  const servers = await Promise.all(files.map((f) => AgentServer.start(loadAgentConfig(f), { audit })));
  process.stdout.write(`${JSON.stringify({ ports: servers.map((s) => s.address.port) })}\n`);
  let stopping = false;
  process.on('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    void Promise.all(servers.map((s) => s.stop('load test done'))).then(() => process.exit(0));
  });
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
