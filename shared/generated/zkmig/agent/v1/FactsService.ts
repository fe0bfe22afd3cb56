// Original file: proto/zkmig/agent/v1/agent.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { GetFactsRequest as _zkmig_agent_v1_GetFactsRequest, GetFactsRequest__Output as _zkmig_agent_v1_GetFactsRequest__Output } from '../../../zkmig/agent/v1/GetFactsRequest';
import type { GetFactsResponse as _zkmig_agent_v1_GetFactsResponse, GetFactsResponse__Output as _zkmig_agent_v1_GetFactsResponse__Output } from '../../../zkmig/agent/v1/GetFactsResponse';

export interface FactsServiceClient extends grpc.Client {
  GetFacts(argument: _zkmig_agent_v1_GetFactsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_zkmig_agent_v1_GetFactsResponse__Output>): grpc.ClientUnaryCall;
  GetFacts(argument: _zkmig_agent_v1_GetFactsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_zkmig_agent_v1_GetFactsResponse__Output>): grpc.ClientUnaryCall;
  GetFacts(argument: _zkmig_agent_v1_GetFactsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_zkmig_agent_v1_GetFactsResponse__Output>): grpc.ClientUnaryCall;
  GetFacts(argument: _zkmig_agent_v1_GetFactsRequest, callback: grpc.requestCallback<_zkmig_agent_v1_GetFactsResponse__Output>): grpc.ClientUnaryCall;
  getFacts(argument: _zkmig_agent_v1_GetFactsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_zkmig_agent_v1_GetFactsResponse__Output>): grpc.ClientUnaryCall;
  getFacts(argument: _zkmig_agent_v1_GetFactsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_zkmig_agent_v1_GetFactsResponse__Output>): grpc.ClientUnaryCall;
  getFacts(argument: _zkmig_agent_v1_GetFactsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_zkmig_agent_v1_GetFactsResponse__Output>): grpc.ClientUnaryCall;
  getFacts(argument: _zkmig_agent_v1_GetFactsRequest, callback: grpc.requestCallback<_zkmig_agent_v1_GetFactsResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface FactsServiceHandlers extends grpc.UntypedServiceImplementation {
  GetFacts: grpc.handleUnaryCall<_zkmig_agent_v1_GetFactsRequest__Output, _zkmig_agent_v1_GetFactsResponse>;
  
}

export interface FactsServiceDefinition extends grpc.ServiceDefinition {
  GetFacts: MethodDefinition<_zkmig_agent_v1_GetFactsRequest, _zkmig_agent_v1_GetFactsResponse, _zkmig_agent_v1_GetFactsRequest__Output, _zkmig_agent_v1_GetFactsResponse__Output>
}
