/**
 * The standard grpc.health.v1 service (grpc/grpc-node packages/grpc-health-check does the same),
 * so grpc_health_probe, load balancers and the coordinator can ask "is this agent serving?".
 * Status follows the lifecycle: SERVING only in `serving`.
 *
 * Who may ask (security finding 10 in docs/reliability.md; decided): any client with a certificate the agent's CA
 * signed, whether or not its CN is in tls.allowedClients, and without the bearer token, so a
 * monitoring probe needs a certificate but no rights on the agent. It answers nothing but
 * SERVING / NOT_SERVING (or NOT_FOUND / SERVICE_UNKNOWN for a name that is not one of the agent's
 * public gRPC service names): no host facts, versions, files or managed services. A client without
 * a CA-signed certificate gets no TLS session at all. For an unlisted CN it is served by the
 * denying server (denier.ts), whose limits bound its Watch streams (4 connections × 8 streams).
 * A certificate in tls.deniedSerials gets PERMISSION_DENIED, on connections already open too.
 */
import * as grpc from '@grpc/grpc-js';
import type { HealthCheckRequest__Output } from '../shared/generated/grpc/health/v1/HealthCheckRequest';
import type { HealthCheckResponse } from '../shared/generated/grpc/health/v1/HealthCheckResponse';
import { loadProtos, SERVICE_NAMES } from '../shared/proto';
import { peerIdentity } from '../shared/tls';
import type { AgentState, Lifecycle } from './lifecycle';

type Status = 'SERVING' | 'NOT_SERVING';

export class HealthService {
  private readonly watchers = new Set<{ service: string; call: grpc.ServerWritableStream<HealthCheckRequest__Output, HealthCheckResponse> }>();
  private status: Status = 'NOT_SERVING';
  private readonly known = new Set<string>(['', ...Object.values(SERVICE_NAMES)]);

  /** `deniedSerials`: tls.deniedSerials, normalised, shared with rpc.ts (refilled on SIGHUP). */
  constructor(
    lifecycle: Lifecycle,
    private readonly deniedSerials: ReadonlySet<string> = new Set(),
  ) {
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
    server.addService(loadProtos().health.Health.service, this.handlers());
  }

  /** The Check and Watch handlers, also mounted on the denying server (denier.ts). */
  handlers(): grpc.UntypedServiceImplementation {
    return {
      Check: (call: grpc.ServerUnaryCall<HealthCheckRequest__Output, HealthCheckResponse>, cb: grpc.sendUnaryData<HealthCheckResponse>) => {
        if (this.revoked(call)) {
          cb({ code: grpc.status.PERMISSION_DENIED, details: 'client certificate serial is in tls.deniedSerials (revoked)' });
          return;
        }
        if (!this.known.has(call.request.service)) {
          cb({ code: grpc.status.NOT_FOUND, details: `unknown service ${call.request.service}` });
          return;
        }
        cb(null, { status: this.status });
      },
      Watch: (call: grpc.ServerWritableStream<HealthCheckRequest__Output, HealthCheckResponse>) => {
        if (this.revoked(call)) {
          call.emit('error', { code: grpc.status.PERMISSION_DENIED, details: 'client certificate serial is in tls.deniedSerials (revoked)' });
          return;
        }
        const w = { service: call.request.service, call };
        call.write({ status: this.known.has(w.service) ? this.status : 'SERVICE_UNKNOWN' });
        if (!this.known.has(w.service)) return;
        this.watchers.add(w);
        call.on('cancelled', () => this.watchers.delete(w));
      },
    };
  }

  private revoked(call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>): boolean {
    if (this.deniedSerials.size === 0) return false;
    const id = peerIdentity(call.getAuthContext()?.sslPeerCertificate);
    return id !== null && this.deniedSerials.has(id.serial);
  }
}
