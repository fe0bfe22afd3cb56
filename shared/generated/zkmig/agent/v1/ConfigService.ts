// Original file: proto/zkmig/agent/v1/agent.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ConfigChangeResponse as _zkmig_agent_v1_ConfigChangeResponse, ConfigChangeResponse__Output as _zkmig_agent_v1_ConfigChangeResponse__Output } from '../../../zkmig/agent/v1/ConfigChangeResponse';
import type { EditConfigRequest as _zkmig_agent_v1_EditConfigRequest, EditConfigRequest__Output as _zkmig_agent_v1_EditConfigRequest__Output } from '../../../zkmig/agent/v1/EditConfigRequest';
import type { ListBackupsRequest as _zkmig_agent_v1_ListBackupsRequest, ListBackupsRequest__Output as _zkmig_agent_v1_ListBackupsRequest__Output } from '../../../zkmig/agent/v1/ListBackupsRequest';
import type { ListBackupsResponse as _zkmig_agent_v1_ListBackupsResponse, ListBackupsResponse__Output as _zkmig_agent_v1_ListBackupsResponse__Output } from '../../../zkmig/agent/v1/ListBackupsResponse';
import type { ReadConfigRequest as _zkmig_agent_v1_ReadConfigRequest, ReadConfigRequest__Output as _zkmig_agent_v1_ReadConfigRequest__Output } from '../../../zkmig/agent/v1/ReadConfigRequest';
import type { ReadConfigResponse as _zkmig_agent_v1_ReadConfigResponse, ReadConfigResponse__Output as _zkmig_agent_v1_ReadConfigResponse__Output } from '../../../zkmig/agent/v1/ReadConfigResponse';
import type { RestoreConfigRequest as _zkmig_agent_v1_RestoreConfigRequest, RestoreConfigRequest__Output as _zkmig_agent_v1_RestoreConfigRequest__Output } from '../../../zkmig/agent/v1/RestoreConfigRequest';

export interface ConfigServiceClient extends grpc.Client {
  EditConfig(argument: _zkmig_agent_v1_EditConfigRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_zkmig_agent_v1_ConfigChangeResponse__Output>): grpc.ClientUnaryCall;
  EditConfig(argument: _zkmig_agent_v1_EditConfigRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_zkmig_agent_v1_ConfigChangeResponse__Output>): grpc.ClientUnaryCall;
  EditConfig(argument: _zkmig_agent_v1_EditConfigRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_zkmig_agent_v1_ConfigChangeResponse__Output>): grpc.ClientUnaryCall;
  EditConfig(argument: _zkmig_agent_v1_EditConfigRequest, callback: grpc.requestCallback<_zkmig_agent_v1_ConfigChangeResponse__Output>): grpc.ClientUnaryCall;
  editConfig(argument: _zkmig_agent_v1_EditConfigRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_zkmig_agent_v1_ConfigChangeResponse__Output>): grpc.ClientUnaryCall;
  editConfig(argument: _zkmig_agent_v1_EditConfigRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_zkmig_agent_v1_ConfigChangeResponse__Output>): grpc.ClientUnaryCall;
  editConfig(argument: _zkmig_agent_v1_EditConfigRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_zkmig_agent_v1_ConfigChangeResponse__Output>): grpc.ClientUnaryCall;
  editConfig(argument: _zkmig_agent_v1_EditConfigRequest, callback: grpc.requestCallback<_zkmig_agent_v1_ConfigChangeResponse__Output>): grpc.ClientUnaryCall;
  
  ListBackups(argument: _zkmig_agent_v1_ListBackupsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_zkmig_agent_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  ListBackups(argument: _zkmig_agent_v1_ListBackupsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_zkmig_agent_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  ListBackups(argument: _zkmig_agent_v1_ListBackupsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_zkmig_agent_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  ListBackups(argument: _zkmig_agent_v1_ListBackupsRequest, callback: grpc.requestCallback<_zkmig_agent_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  listBackups(argument: _zkmig_agent_v1_ListBackupsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_zkmig_agent_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  listBackups(argument: _zkmig_agent_v1_ListBackupsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_zkmig_agent_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  listBackups(argument: _zkmig_agent_v1_ListBackupsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_zkmig_agent_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  listBackups(argument: _zkmig_agent_v1_ListBackupsRequest, callback: grpc.requestCallback<_zkmig_agent_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  
  ReadConfig(argument: _zkmig_agent_v1_ReadConfigRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_zkmig_agent_v1_ReadConfigResponse__Output>): grpc.ClientUnaryCall;
  ReadConfig(argument: _zkmig_agent_v1_ReadConfigRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_zkmig_agent_v1_ReadConfigResponse__Output>): grpc.ClientUnaryCall;
  ReadConfig(argument: _zkmig_agent_v1_ReadConfigRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_zkmig_agent_v1_ReadConfigResponse__Output>): grpc.ClientUnaryCall;
  ReadConfig(argument: _zkmig_agent_v1_ReadConfigRequest, callback: grpc.requestCallback<_zkmig_agent_v1_ReadConfigResponse__Output>): grpc.ClientUnaryCall;
  readConfig(argument: _zkmig_agent_v1_ReadConfigRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_zkmig_agent_v1_ReadConfigResponse__Output>): grpc.ClientUnaryCall;
  readConfig(argument: _zkmig_agent_v1_ReadConfigRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_zkmig_agent_v1_ReadConfigResponse__Output>): grpc.ClientUnaryCall;
  readConfig(argument: _zkmig_agent_v1_ReadConfigRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_zkmig_agent_v1_ReadConfigResponse__Output>): grpc.ClientUnaryCall;
  readConfig(argument: _zkmig_agent_v1_ReadConfigRequest, callback: grpc.requestCallback<_zkmig_agent_v1_ReadConfigResponse__Output>): grpc.ClientUnaryCall;
  
  RestoreConfig(argument: _zkmig_agent_v1_RestoreConfigRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_zkmig_agent_v1_ConfigChangeResponse__Output>): grpc.ClientUnaryCall;
  RestoreConfig(argument: _zkmig_agent_v1_RestoreConfigRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_zkmig_agent_v1_ConfigChangeResponse__Output>): grpc.ClientUnaryCall;
  RestoreConfig(argument: _zkmig_agent_v1_RestoreConfigRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_zkmig_agent_v1_ConfigChangeResponse__Output>): grpc.ClientUnaryCall;
  RestoreConfig(argument: _zkmig_agent_v1_RestoreConfigRequest, callback: grpc.requestCallback<_zkmig_agent_v1_ConfigChangeResponse__Output>): grpc.ClientUnaryCall;
  restoreConfig(argument: _zkmig_agent_v1_RestoreConfigRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_zkmig_agent_v1_ConfigChangeResponse__Output>): grpc.ClientUnaryCall;
  restoreConfig(argument: _zkmig_agent_v1_RestoreConfigRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_zkmig_agent_v1_ConfigChangeResponse__Output>): grpc.ClientUnaryCall;
  restoreConfig(argument: _zkmig_agent_v1_RestoreConfigRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_zkmig_agent_v1_ConfigChangeResponse__Output>): grpc.ClientUnaryCall;
  restoreConfig(argument: _zkmig_agent_v1_RestoreConfigRequest, callback: grpc.requestCallback<_zkmig_agent_v1_ConfigChangeResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface ConfigServiceHandlers extends grpc.UntypedServiceImplementation {
  EditConfig: grpc.handleUnaryCall<_zkmig_agent_v1_EditConfigRequest__Output, _zkmig_agent_v1_ConfigChangeResponse>;
  
  ListBackups: grpc.handleUnaryCall<_zkmig_agent_v1_ListBackupsRequest__Output, _zkmig_agent_v1_ListBackupsResponse>;
  
  ReadConfig: grpc.handleUnaryCall<_zkmig_agent_v1_ReadConfigRequest__Output, _zkmig_agent_v1_ReadConfigResponse>;
  
  RestoreConfig: grpc.handleUnaryCall<_zkmig_agent_v1_RestoreConfigRequest__Output, _zkmig_agent_v1_ConfigChangeResponse>;
  
}

export interface ConfigServiceDefinition extends grpc.ServiceDefinition {
  EditConfig: MethodDefinition<_zkmig_agent_v1_EditConfigRequest, _zkmig_agent_v1_ConfigChangeResponse, _zkmig_agent_v1_EditConfigRequest__Output, _zkmig_agent_v1_ConfigChangeResponse__Output>
  ListBackups: MethodDefinition<_zkmig_agent_v1_ListBackupsRequest, _zkmig_agent_v1_ListBackupsResponse, _zkmig_agent_v1_ListBackupsRequest__Output, _zkmig_agent_v1_ListBackupsResponse__Output>
  ReadConfig: MethodDefinition<_zkmig_agent_v1_ReadConfigRequest, _zkmig_agent_v1_ReadConfigResponse, _zkmig_agent_v1_ReadConfigRequest__Output, _zkmig_agent_v1_ReadConfigResponse__Output>
  RestoreConfig: MethodDefinition<_zkmig_agent_v1_RestoreConfigRequest, _zkmig_agent_v1_ConfigChangeResponse, _zkmig_agent_v1_RestoreConfigRequest__Output, _zkmig_agent_v1_ConfigChangeResponse__Output>
}
