/** zkmig.agent.v1.ServiceControlService: status and start/stop/restart of managed services. */
import * as grpc from '@grpc/grpc-js';
import { InvalidInputError, PermissionDeniedError } from '../../shared/errors';
import type { ControlServiceRequest__Output } from '../../shared/generated/zkmig/agent/v1/ControlServiceRequest';
import type { ControlServiceResponse } from '../../shared/generated/zkmig/agent/v1/ControlServiceResponse';
import type { ServiceStatusRequest__Output } from '../../shared/generated/zkmig/agent/v1/ServiceStatusRequest';
import type { ServiceStatusResponse } from '../../shared/generated/zkmig/agent/v1/ServiceStatusResponse';
import { loadProtos } from '../../shared/proto';
import { diffToWire } from '../../shared/result';
import type { AgentContext, ManagedService } from '../context';
import { controlService, ServiceActionName } from '../ops/service-control';
import { unary } from '../rpc';
import { statusToWire } from './wire';

const ACTIONS: Record<string, ServiceActionName> = { START: 'start', STOP: 'stop', RESTART: 'restart' };

export class ServiceControlService {
  constructor(private readonly ctx: AgentContext) {}

  private managed(name: unknown): ManagedService {
    if (typeof name !== 'string' || name === '') throw new InvalidInputError('name is empty');
    const m = this.ctx.services.get(name);
    if (!m) {
      throw new PermissionDeniedError(`service ${JSON.stringify(name)} is not in the agent's allowlist (services: ${[...this.ctx.services.keys()].join(', ') || 'none'})`);
    }
    return m;
  }

  addToServer(server: grpc.Server): void {
    const { rpc } = this.ctx;
    server.addService(loadProtos().agent.ServiceControlService.service, {
      GetServiceStatus: unary<ServiceStatusRequest__Output, ServiceStatusResponse>(rpc, 'GetServiceStatus', 'read', (r) => r.name, async (req, call) => {
        const m = this.managed(req.name);
        return { res: { request_id: call.requestId, status: statusToWire(await m.backend.status()) } };
      }),
      ControlService: unary<ControlServiceRequest__Output, ControlServiceResponse>(rpc, 'ControlService', 'mutation', (r) => r.name, async (req, call) => {
        const m = this.managed(req.name);
        const action = ACTIONS[String(req.action)];
        if (!action) throw new InvalidInputError(`action ${JSON.stringify(req.action)} is not START, STOP or RESTART`);
        const r = await this.ctx.serviceLocks.run(m.svc.name, () =>
          controlService(m.svc, m.backend, action, { checkMode: call.checkMode, timeoutMs: req.timeout_ms, remainingMs: call.remainingMs() }, this.ctx.control),
        );
        return {
          res: {
            request_id: call.requestId,
            changed: r.changed,
            diff: diffToWire(r.diff),
            msg: r.msg,
            warnings: r.warnings,
            check_mode: r.checkMode,
            failed: r.failed,
            before: statusToWire(r.before),
            status: statusToWire(r.status),
            log_tail: r.logTail,
            duration_ms: r.durationMs,
          },
          audit: { target: `${m.svc.name} ${action}`, changed: r.changed, result: r.failed ? 'failed' : 'ok', msg: r.msg },
        };
      }),
    });
  }
}
