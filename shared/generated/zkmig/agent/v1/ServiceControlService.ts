// Original file: proto/zkmig/agent/v1/agent.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ControlServiceRequest as _zkmig_agent_v1_ControlServiceRequest, ControlServiceRequest__Output as _zkmig_agent_v1_ControlServiceRequest__Output } from '../../../zkmig/agent/v1/ControlServiceRequest';
import type { ControlServiceResponse as _zkmig_agent_v1_ControlServiceResponse, ControlServiceResponse__Output as _zkmig_agent_v1_ControlServiceResponse__Output } from '../../../zkmig/agent/v1/ControlServiceResponse';
import type { ServiceStatusRequest as _zkmig_agent_v1_ServiceStatusRequest, ServiceStatusRequest__Output as _zkmig_agent_v1_ServiceStatusRequest__Output } from '../../../zkmig/agent/v1/ServiceStatusRequest';
import type { ServiceStatusResponse as _zkmig_agent_v1_ServiceStatusResponse, ServiceStatusResponse__Output as _zkmig_agent_v1_ServiceStatusResponse__Output } from '../../../zkmig/agent/v1/ServiceStatusResponse';

export interface ServiceControlServiceClient extends grpc.Client {
  ControlService(argument: _zkmig_agent_v1_ControlServiceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_zkmig_agent_v1_ControlServiceResponse__Output>): grpc.ClientUnaryCall;
  ControlService(argument: _zkmig_agent_v1_ControlServiceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_zkmig_agent_v1_ControlServiceResponse__Output>): grpc.ClientUnaryCall;
  ControlService(argument: _zkmig_agent_v1_ControlServiceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_zkmig_agent_v1_ControlServiceResponse__Output>): grpc.ClientUnaryCall;
  ControlService(argument: _zkmig_agent_v1_ControlServiceRequest, callback: grpc.requestCallback<_zkmig_agent_v1_ControlServiceResponse__Output>): grpc.ClientUnaryCall;
  controlService(argument: _zkmig_agent_v1_ControlServiceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_zkmig_agent_v1_ControlServiceResponse__Output>): grpc.ClientUnaryCall;
  controlService(argument: _zkmig_agent_v1_ControlServiceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_zkmig_agent_v1_ControlServiceResponse__Output>): grpc.ClientUnaryCall;
  controlService(argument: _zkmig_agent_v1_ControlServiceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_zkmig_agent_v1_ControlServiceResponse__Output>): grpc.ClientUnaryCall;
  controlService(argument: _zkmig_agent_v1_ControlServiceRequest, callback: grpc.requestCallback<_zkmig_agent_v1_ControlServiceResponse__Output>): grpc.ClientUnaryCall;
  
  GetServiceStatus(argument: _zkmig_agent_v1_ServiceStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_zkmig_agent_v1_ServiceStatusResponse__Output>): grpc.ClientUnaryCall;
  GetServiceStatus(argument: _zkmig_agent_v1_ServiceStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_zkmig_agent_v1_ServiceStatusResponse__Output>): grpc.ClientUnaryCall;
  GetServiceStatus(argument: _zkmig_agent_v1_ServiceStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_zkmig_agent_v1_ServiceStatusResponse__Output>): grpc.ClientUnaryCall;
  GetServiceStatus(argument: _zkmig_agent_v1_ServiceStatusRequest, callback: grpc.requestCallback<_zkmig_agent_v1_ServiceStatusResponse__Output>): grpc.ClientUnaryCall;
  getServiceStatus(argument: _zkmig_agent_v1_ServiceStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_zkmig_agent_v1_ServiceStatusResponse__Output>): grpc.ClientUnaryCall;
  getServiceStatus(argument: _zkmig_agent_v1_ServiceStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_zkmig_agent_v1_ServiceStatusResponse__Output>): grpc.ClientUnaryCall;
  getServiceStatus(argument: _zkmig_agent_v1_ServiceStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_zkmig_agent_v1_ServiceStatusResponse__Output>): grpc.ClientUnaryCall;
  getServiceStatus(argument: _zkmig_agent_v1_ServiceStatusRequest, callback: grpc.requestCallback<_zkmig_agent_v1_ServiceStatusResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface ServiceControlServiceHandlers extends grpc.UntypedServiceImplementation {
  ControlService: grpc.handleUnaryCall<_zkmig_agent_v1_ControlServiceRequest__Output, _zkmig_agent_v1_ControlServiceResponse>;
  
  GetServiceStatus: grpc.handleUnaryCall<_zkmig_agent_v1_ServiceStatusRequest__Output, _zkmig_agent_v1_ServiceStatusResponse>;
  
}

export interface ServiceControlServiceDefinition extends grpc.ServiceDefinition {
  ControlService: MethodDefinition<_zkmig_agent_v1_ControlServiceRequest, _zkmig_agent_v1_ControlServiceResponse, _zkmig_agent_v1_ControlServiceRequest__Output, _zkmig_agent_v1_ControlServiceResponse__Output>
  GetServiceStatus: MethodDefinition<_zkmig_agent_v1_ServiceStatusRequest, _zkmig_agent_v1_ServiceStatusResponse, _zkmig_agent_v1_ServiceStatusRequest__Output, _zkmig_agent_v1_ServiceStatusResponse__Output>
}
