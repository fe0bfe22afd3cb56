/** zkmig.agent.v1.FactsService: host facts (read-only). */
import * as grpc from '@grpc/grpc-js';
import type { GetFactsRequest__Output } from '../../shared/generated/zkmig/agent/v1/GetFactsRequest';
import type { GetFactsResponse } from '../../shared/generated/zkmig/agent/v1/GetFactsResponse';
import { loadProtos } from '../../shared/proto';
import type { AgentContext } from '../context';
import { fileFacts, serviceFacts } from '../ops/facts';
import { unary } from '../rpc';
import { pegasusToWire, statusToWire } from './wire';

export class FactsService {
  constructor(private readonly ctx: AgentContext) {}

  async facts(requestId: string): Promise<GetFactsResponse> {
    const c = this.ctx;
    const [files, services] = await Promise.all([
      Promise.all(c.config.files.map((f) => fileFacts(f, c.config.limits.maxFileBytes))),
      Promise.all(
        [...c.services.values()].map(({ svc, backend }) =>
          serviceFacts(svc.name, backend, { name: svc.name, backend: svc.backend, unit: svc.unit, configFile: svc.configFile ?? '' }),
        ),
      ),
    ]);
    const warnings = [
      ...files.filter((f) => f.error).map((f) => `${f.path}: ${f.error}`),
      ...files.filter((f) => !f.exists).map((f) => `${f.path} does not exist`),
      ...services.filter((s) => s.state === 'unknown').map((s) => `service ${s.name}: ${s.detail}`),
    ];
    return {
      request_id: requestId,
      hostname: c.hostname,
      agent_version: c.version,
      uptime_seconds: (Date.now() - c.lifecycle.startedAt) / 1000,
      agent_pid: process.pid,
      agent_state: c.lifecycle.state,
      services: services.map(statusToWire),
      files: files.map((f) => ({
        path: f.path,
        exists: f.exists,
        size: f.size,
        sha256: f.sha256,
        mtime: f.mtime,
        mode: f.mode,
        uid: f.uid,
        gid: f.gid,
        pegasus: f.pegasus ? pegasusToWire(f.pegasus) : null,
        error: f.error,
      })),
      warnings,
    };
  }

  addToServer(server: grpc.Server): void {
    server.addService(loadProtos().agent.FactsService.service, {
      GetFacts: unary<GetFactsRequest__Output, GetFactsResponse>(this.ctx.rpc, 'GetFacts', 'read', () => 'facts', async (_req, call) => ({
        res: await this.facts(call.requestId),
      })),
    });
  }
}
