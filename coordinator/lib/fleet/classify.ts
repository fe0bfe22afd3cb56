/**
 * Which failures count as `unreachable` and which as `failed`, the same split Ansible makes
 * between "could not talk to the host" and "the host said no".
 */
import * as grpc from '@grpc/grpc-js';
import { AgentRpcError, findCause, toAppError } from '../../../shared/errors';
import { HostError, HostStatus } from './types';

/** gRPC codes meaning the agent never gave an answer about the request itself. */
const UNREACHABLE_GRPC: readonly number[] = [grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED];

/** `unreachable` for transport failures (refused, TLS, deadline, draining), `failed` for everything else. */
export function classifyError(err: unknown): { status: Extract<HostStatus, 'failed' | 'unreachable'>; error: HostError } {
  const e = toAppError(err);
  const grpcCode = findGrpcCode(err);
  const unreachable = grpcCode !== undefined ? UNREACHABLE_GRPC.includes(grpcCode) : e.code === 'UNAVAILABLE' || e.code === 'TIMEOUT';
  const error: HostError = { code: e.code, message: tidy(e.message) };
  if (grpcCode !== undefined) error.grpcStatus = grpc.status[grpcCode];
  return { status: unreachable ? 'unreachable' : 'failed', error };
}

function findGrpcCode(err: unknown): number | undefined {
  return findCause(err, (e): e is AgentRpcError => e instanceof AgentRpcError)?.grpcCode;
}

/**
 * grpc-js wraps a refused connection as "No connection established. Last error: Error: connect
 * ECONNREFUSED 10.0.0.1:7443. Resolution note: " (grpc-js 1.14); keep the part an operator needs.
 */
export function tidy(message: string): string {
  return message
    .replace(/No connection established\. Last error: (?:Error: )?/, '')
    .replace(/\.?\s*Resolution note:\s*$/, '')
    .trim();
}
