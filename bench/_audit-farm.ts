/**
 * Helper of bench/audit.ts (not a benchmark: the leading `_` hides it from bench/run.ts): N real
 * agent gRPC servers with mutual TLS in one process, each on its own loopback port and managing
 * one meta config. One process rather than N keeps 100 agents within a 2-core machine; to the
 * coordinator they are still 100 TLS endpoints. Prints `{"ports":[...]}` once all serve, then
 * waits for SIGTERM.
 *
 * Usage: node dist/bench/_audit-farm.js SPEC.json   (SPEC: {pki:{ca,cert,key}, files:[...], stateDir})
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { AuditLog } from '../agent/audit';
import { loadAgentConfig } from '../agent/config';
import { AgentServer } from '../agent/server';

interface Spec {
  pki: { ca: string; cert: string; key: string };
  files: string[];
  stateDir: string;
}

async function main(): Promise<void> {
  const spec = JSON.parse(fs.readFileSync(process.argv[2]!, 'utf8')) as Spec;
  const audit = new AuditLog({ write: () => undefined });
  const servers = await Promise.all(
    spec.files.map(async (file, i) => {
      const cfgFile = path.join(spec.stateDir, `agent${i}.yaml`);
      fs.writeFileSync(cfgFile, YAML.stringify({ listen: '127.0.0.1:0', stateDir: path.join(spec.stateDir, `state${i}`), tls: spec.pki, files: [{ path: file }] }));
      return AgentServer.start(loadAgentConfig(cfgFile), { audit });
    }),
  );
  process.stdout.write(`${JSON.stringify({ ports: servers.map((s) => s.address.port) })}\n`);
  process.on('SIGTERM', () => {
    void Promise.all(servers.map((s) => s.stop('bench done'))).then(() => process.exit(0));
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
