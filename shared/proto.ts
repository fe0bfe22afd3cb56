/**
 * The one place that loads the agent's .proto files. The options are exactly the flags
 * `npm run gen:proto` gives proto-loader-gen-types (keepCase, longs String, enums String, defaults,
 * oneofs), so the generated types in shared/generated/ describe what the loader really produces.
 * Change both together or the types lie.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as path from 'node:path';
import type { ProtoGrpcType as AgentProto } from './generated/agent';
import type { ProtoGrpcType as HealthProto } from './generated/health';

/** proto/ at the package root: dist/shared/proto.js → ../../proto, and the same from shared/ under ts-node. */
export const PROTO_ROOT = path.resolve(__dirname, '..', '..', 'proto');

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

export type AgentV1 = AgentProto['zkmig']['agent']['v1'];
export type HealthV1 = HealthProto['grpc']['health']['v1'];

let cache: { agent: AgentV1; health: HealthV1 } | undefined;

/** The loaded service and message definitions; parsed once per process. */
export function loadProtos(): { agent: AgentV1; health: HealthV1 } {
  if (cache) return cache;
  const def = protoLoader.loadSync(['zkmig/agent/v1/agent.proto', 'grpc/health/v1/health.proto'], LOADER_OPTIONS);
  const pkg = grpc.loadPackageDefinition(def) as unknown as AgentProto & HealthProto;
  cache = { agent: pkg.zkmig.agent.v1, health: pkg.grpc.health.v1 };
  return cache;
}

/** Fully qualified names, as grpc.health.v1 expects them in HealthCheckRequest.service. */
export const SERVICE_NAMES = {
  facts: 'zkmig.agent.v1.FactsService',
  config: 'zkmig.agent.v1.ConfigService',
  serviceControl: 'zkmig.agent.v1.ServiceControlService',
} as const;

export type { ConfigEdit } from './generated/zkmig/agent/v1/ConfigEdit';
export type { RequestHeader } from './generated/zkmig/agent/v1/RequestHeader';
