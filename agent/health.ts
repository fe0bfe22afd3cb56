/**
 * The standard grpc.health.v1 service (grpc/grpc-node packages/grpc-health-check does the same),
 * so grpc_health_probe, load balancers and the coordinator can ask "is this agent serving?".
 * Status follows the lifecycle: SERVING only in `serving`. It needs a client certificate like every
 * other call, but no bearer token: it reveals nothing but the status.
 */
import * as grpc from '@grpc/grpc-js';
import type { HealthCheckRequest__Output } from '../shared/generated/grpc/health/v1/HealthCheckRequest';
import type { HealthCheckResponse } from '../shared/generated/grpc/health/v1/HealthCheckResponse';
import { loadProtos, SERVICE_NAMES } from '../shared/proto';
import type { AgentState, Lifecycle } from './lifecycle';

type Status = 'SERVING' | 'NOT_SERVING';

export class HealthService {
  private readonly watchers = new Set<{ service: string; call: grpc.ServerWritableStream<HealthCheckRequest__Output, HealthCheckResponse> }>();
  private status: Status = 'NOT_SERVING';
  private readonly known = new Set<string>(['', ...Object.values(SERVICE_NAMES)]);

  constructor(lifecycle: Lifecycle) {
    lifecycle.onChange((s) => this.set(s));
  }

  private set(state: AgentState): void {
    const next: Status = state === 'serving' ? 'SERVING' : 'NOT_SERVING';
    if (next !== this.status) {
      this.status = next;
      for (const w of this.watchers) w.call.write({ status: next });
    }
    if (state === 'stopped') {
      for (const w of this.watchers) w.call.end();
      this.watchers.clear();
    }
  }

  addToServer(server: grpc.Server): void {
    server.addService(loadProtos().health.Health.service, {
      Check: (call: grpc.ServerUnaryCall<HealthCheckRequest__Output, HealthCheckResponse>, cb: grpc.sendUnaryData<HealthCheckResponse>) => {
        if (!this.known.has(call.request.service)) {
          cb({ code: grpc.status.NOT_FOUND, details: `unknown service ${call.request.service}` });
          return;
        }
        cb(null, { status: this.status });
      },
      Watch: (call: grpc.ServerWritableStream<HealthCheckRequest__Output, HealthCheckResponse>) => {
        const w = { service: call.request.service, call };
        call.write({ status: this.known.has(w.service) ? this.status : 'SERVICE_UNKNOWN' });
        if (!this.known.has(w.service)) return;
        this.watchers.add(w);
        call.on('cancelled', () => this.watchers.delete(w));
      },
    });
  }
}
