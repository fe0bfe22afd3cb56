/**
 * The gRPC server that connections from a certificate the CA signed but whose CN is not in
 * tls.allowedClients are handed to (listener.ts). Every method of the agent's services answers
 * PERMISSION_DENIED; only the health service answers, with the status alone (health.ts says why),
 * so such a client learns nothing else (security finding 10 in docs/reliability.md).
 * It is a separate server so that its limits can be tiny: a request body over 16 KiB is refused
 * from its length prefix, before the agent buffers or parses it, and a connection may hold only a
 * few streams and little memory (finding 6: 400 × 1 MB requests from such a client took
 * the agent from 61 MB to 737 MB).
 */
import * as grpc from '@grpc/grpc-js';
import { loadProtos } from '../shared/proto';
import { peerIdentity } from '../shared/tls';
import type { AuditLog } from './audit';
import { AuditThrottle } from './audit-throttle';

/** `onDenied` counts each refusal (the agent's rpc metrics, by method and PERMISSION_DENIED). */
export function createDenier(audit: AuditLog, allowedClients: string[], health: grpc.UntypedServiceImplementation, onDenied?: (method: string) => void): grpc.Server {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': 16 * 1024,
    'grpc.max_send_message_length': 16 * 1024,
    'grpc.max_concurrent_streams': 8,
    'grpc-node.max_session_memory': 1,
    'grpc.max_connection_idle_ms': 30 * 1000,
    'grpc.max_connection_age_ms': 60 * 1000,
    'grpc.max_connection_age_grace_ms': 5 * 1000,
  });
  const throttle = new AuditThrottle(audit, 1000, 20);
  const protos = loadProtos();
  const { agent } = protos;
  server.addService(protos.health.Health.service, health);
  const defs = [agent.FactsService.service, agent.ConfigService.service, agent.ServiceControlService.service];
  for (const def of defs) {
    const handlers: grpc.UntypedServiceImplementation = {};
    for (const [name, m] of Object.entries(def)) {
      const deny = (call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>): grpc.StatusObject => {
        const id = peerIdentity(call.getAuthContext()?.sslPeerCertificate);
        const msg = `client certificate CN "${(id?.cn ?? '?').slice(0, 64)}" is not in tls.allowedClients`;
        throttle.record('denied', {
          event: 'denied',
          method: m.path,
          requestId: '',
          client: (id?.subject ?? 'unknown').slice(0, 128),
          clientFingerprint: id?.fingerprint,
          coordinator: '',
          peer: call.getPeer(),
          checkMode: false,
          target: '',
          result: 'PERMISSION_DENIED',
          msg: `${msg} (allowed: ${allowedClients.join(', ')})`,
          durationMs: 0,
        });
        onDenied?.(name);
        const md = new grpc.Metadata();
        md.set('zkmig-error-code', 'PERMISSION_DENIED');
        return { code: grpc.status.PERMISSION_DENIED, details: msg, metadata: md };
      };
      handlers[name] = m.responseStream
        ? (call: grpc.ServerWritableStream<unknown, unknown>) => call.emit('error', deny(call))
        : (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => cb(deny(call));
    }
    server.addService(def, handlers);
  }
  return server;
}
