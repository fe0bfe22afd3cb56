import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { Backup as _zkmig_agent_v1_Backup, Backup__Output as _zkmig_agent_v1_Backup__Output } from './zkmig/agent/v1/Backup';
import type { ConfigChangeResponse as _zkmig_agent_v1_ConfigChangeResponse, ConfigChangeResponse__Output as _zkmig_agent_v1_ConfigChangeResponse__Output } from './zkmig/agent/v1/ConfigChangeResponse';
import type { ConfigEdit as _zkmig_agent_v1_ConfigEdit, ConfigEdit__Output as _zkmig_agent_v1_ConfigEdit__Output } from './zkmig/agent/v1/ConfigEdit';
import type { ConfigServiceClient as _zkmig_agent_v1_ConfigServiceClient, ConfigServiceDefinition as _zkmig_agent_v1_ConfigServiceDefinition } from './zkmig/agent/v1/ConfigService';
import type { ControlServiceRequest as _zkmig_agent_v1_ControlServiceRequest, ControlServiceRequest__Output as _zkmig_agent_v1_ControlServiceRequest__Output } from './zkmig/agent/v1/ControlServiceRequest';
import type { ControlServiceResponse as _zkmig_agent_v1_ControlServiceResponse, ControlServiceResponse__Output as _zkmig_agent_v1_ControlServiceResponse__Output } from './zkmig/agent/v1/ControlServiceResponse';
import type { Diff as _zkmig_agent_v1_Diff, Diff__Output as _zkmig_agent_v1_Diff__Output } from './zkmig/agent/v1/Diff';
import type { EditConfigRequest as _zkmig_agent_v1_EditConfigRequest, EditConfigRequest__Output as _zkmig_agent_v1_EditConfigRequest__Output } from './zkmig/agent/v1/EditConfigRequest';
import type { EditOutcome as _zkmig_agent_v1_EditOutcome, EditOutcome__Output as _zkmig_agent_v1_EditOutcome__Output } from './zkmig/agent/v1/EditOutcome';
import type { FactsServiceClient as _zkmig_agent_v1_FactsServiceClient, FactsServiceDefinition as _zkmig_agent_v1_FactsServiceDefinition } from './zkmig/agent/v1/FactsService';
import type { FileFacts as _zkmig_agent_v1_FileFacts, FileFacts__Output as _zkmig_agent_v1_FileFacts__Output } from './zkmig/agent/v1/FileFacts';
import type { GetFactsRequest as _zkmig_agent_v1_GetFactsRequest, GetFactsRequest__Output as _zkmig_agent_v1_GetFactsRequest__Output } from './zkmig/agent/v1/GetFactsRequest';
import type { GetFactsResponse as _zkmig_agent_v1_GetFactsResponse, GetFactsResponse__Output as _zkmig_agent_v1_GetFactsResponse__Output } from './zkmig/agent/v1/GetFactsResponse';
import type { IniDuplicate as _zkmig_agent_v1_IniDuplicate, IniDuplicate__Output as _zkmig_agent_v1_IniDuplicate__Output } from './zkmig/agent/v1/IniDuplicate';
import type { IniEntry as _zkmig_agent_v1_IniEntry, IniEntry__Output as _zkmig_agent_v1_IniEntry__Output } from './zkmig/agent/v1/IniEntry';
import type { IniProblem as _zkmig_agent_v1_IniProblem, IniProblem__Output as _zkmig_agent_v1_IniProblem__Output } from './zkmig/agent/v1/IniProblem';
import type { IniSection as _zkmig_agent_v1_IniSection, IniSection__Output as _zkmig_agent_v1_IniSection__Output } from './zkmig/agent/v1/IniSection';
import type { IniView as _zkmig_agent_v1_IniView, IniView__Output as _zkmig_agent_v1_IniView__Output } from './zkmig/agent/v1/IniView';
import type { KeyRef as _zkmig_agent_v1_KeyRef, KeyRef__Output as _zkmig_agent_v1_KeyRef__Output } from './zkmig/agent/v1/KeyRef';
import type { ListBackupsRequest as _zkmig_agent_v1_ListBackupsRequest, ListBackupsRequest__Output as _zkmig_agent_v1_ListBackupsRequest__Output } from './zkmig/agent/v1/ListBackupsRequest';
import type { ListBackupsResponse as _zkmig_agent_v1_ListBackupsResponse, ListBackupsResponse__Output as _zkmig_agent_v1_ListBackupsResponse__Output } from './zkmig/agent/v1/ListBackupsResponse';
import type { PegasusFacts as _zkmig_agent_v1_PegasusFacts, PegasusFacts__Output as _zkmig_agent_v1_PegasusFacts__Output } from './zkmig/agent/v1/PegasusFacts';
import type { ReadConfigRequest as _zkmig_agent_v1_ReadConfigRequest, ReadConfigRequest__Output as _zkmig_agent_v1_ReadConfigRequest__Output } from './zkmig/agent/v1/ReadConfigRequest';
import type { ReadConfigResponse as _zkmig_agent_v1_ReadConfigResponse, ReadConfigResponse__Output as _zkmig_agent_v1_ReadConfigResponse__Output } from './zkmig/agent/v1/ReadConfigResponse';
import type { RequestHeader as _zkmig_agent_v1_RequestHeader, RequestHeader__Output as _zkmig_agent_v1_RequestHeader__Output } from './zkmig/agent/v1/RequestHeader';
import type { RestoreConfigRequest as _zkmig_agent_v1_RestoreConfigRequest, RestoreConfigRequest__Output as _zkmig_agent_v1_RestoreConfigRequest__Output } from './zkmig/agent/v1/RestoreConfigRequest';
import type { ServiceControlServiceClient as _zkmig_agent_v1_ServiceControlServiceClient, ServiceControlServiceDefinition as _zkmig_agent_v1_ServiceControlServiceDefinition } from './zkmig/agent/v1/ServiceControlService';
import type { ServiceStatus as _zkmig_agent_v1_ServiceStatus, ServiceStatus__Output as _zkmig_agent_v1_ServiceStatus__Output } from './zkmig/agent/v1/ServiceStatus';
import type { ServiceStatusRequest as _zkmig_agent_v1_ServiceStatusRequest, ServiceStatusRequest__Output as _zkmig_agent_v1_ServiceStatusRequest__Output } from './zkmig/agent/v1/ServiceStatusRequest';
import type { ServiceStatusResponse as _zkmig_agent_v1_ServiceStatusResponse, ServiceStatusResponse__Output as _zkmig_agent_v1_ServiceStatusResponse__Output } from './zkmig/agent/v1/ServiceStatusResponse';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  zkmig: {
    agent: {
      v1: {
        Backup: MessageTypeDefinition<_zkmig_agent_v1_Backup, _zkmig_agent_v1_Backup__Output>
        ConfigChangeResponse: MessageTypeDefinition<_zkmig_agent_v1_ConfigChangeResponse, _zkmig_agent_v1_ConfigChangeResponse__Output>
        ConfigEdit: MessageTypeDefinition<_zkmig_agent_v1_ConfigEdit, _zkmig_agent_v1_ConfigEdit__Output>
        ConfigService: SubtypeConstructor<typeof grpc.Client, _zkmig_agent_v1_ConfigServiceClient> & { service: _zkmig_agent_v1_ConfigServiceDefinition }
        ControlServiceRequest: MessageTypeDefinition<_zkmig_agent_v1_ControlServiceRequest, _zkmig_agent_v1_ControlServiceRequest__Output>
        ControlServiceResponse: MessageTypeDefinition<_zkmig_agent_v1_ControlServiceResponse, _zkmig_agent_v1_ControlServiceResponse__Output>
        Diff: MessageTypeDefinition<_zkmig_agent_v1_Diff, _zkmig_agent_v1_Diff__Output>
        EditConfigRequest: MessageTypeDefinition<_zkmig_agent_v1_EditConfigRequest, _zkmig_agent_v1_EditConfigRequest__Output>
        EditOutcome: MessageTypeDefinition<_zkmig_agent_v1_EditOutcome, _zkmig_agent_v1_EditOutcome__Output>
        FactsService: SubtypeConstructor<typeof grpc.Client, _zkmig_agent_v1_FactsServiceClient> & { service: _zkmig_agent_v1_FactsServiceDefinition }
        FileFacts: MessageTypeDefinition<_zkmig_agent_v1_FileFacts, _zkmig_agent_v1_FileFacts__Output>
        GetFactsRequest: MessageTypeDefinition<_zkmig_agent_v1_GetFactsRequest, _zkmig_agent_v1_GetFactsRequest__Output>
        GetFactsResponse: MessageTypeDefinition<_zkmig_agent_v1_GetFactsResponse, _zkmig_agent_v1_GetFactsResponse__Output>
        IniDuplicate: MessageTypeDefinition<_zkmig_agent_v1_IniDuplicate, _zkmig_agent_v1_IniDuplicate__Output>
        IniEntry: MessageTypeDefinition<_zkmig_agent_v1_IniEntry, _zkmig_agent_v1_IniEntry__Output>
        IniProblem: MessageTypeDefinition<_zkmig_agent_v1_IniProblem, _zkmig_agent_v1_IniProblem__Output>
        IniSection: MessageTypeDefinition<_zkmig_agent_v1_IniSection, _zkmig_agent_v1_IniSection__Output>
        IniView: MessageTypeDefinition<_zkmig_agent_v1_IniView, _zkmig_agent_v1_IniView__Output>
        KeyRef: MessageTypeDefinition<_zkmig_agent_v1_KeyRef, _zkmig_agent_v1_KeyRef__Output>
        ListBackupsRequest: MessageTypeDefinition<_zkmig_agent_v1_ListBackupsRequest, _zkmig_agent_v1_ListBackupsRequest__Output>
        ListBackupsResponse: MessageTypeDefinition<_zkmig_agent_v1_ListBackupsResponse, _zkmig_agent_v1_ListBackupsResponse__Output>
        PegasusFacts: MessageTypeDefinition<_zkmig_agent_v1_PegasusFacts, _zkmig_agent_v1_PegasusFacts__Output>
        ReadConfigRequest: MessageTypeDefinition<_zkmig_agent_v1_ReadConfigRequest, _zkmig_agent_v1_ReadConfigRequest__Output>
        ReadConfigResponse: MessageTypeDefinition<_zkmig_agent_v1_ReadConfigResponse, _zkmig_agent_v1_ReadConfigResponse__Output>
        RequestHeader: MessageTypeDefinition<_zkmig_agent_v1_RequestHeader, _zkmig_agent_v1_RequestHeader__Output>
        RestoreConfigRequest: MessageTypeDefinition<_zkmig_agent_v1_RestoreConfigRequest, _zkmig_agent_v1_RestoreConfigRequest__Output>
        ServiceAction: EnumTypeDefinition
        ServiceControlService: SubtypeConstructor<typeof grpc.Client, _zkmig_agent_v1_ServiceControlServiceClient> & { service: _zkmig_agent_v1_ServiceControlServiceDefinition }
        ServiceStatus: MessageTypeDefinition<_zkmig_agent_v1_ServiceStatus, _zkmig_agent_v1_ServiceStatus__Output>
        ServiceStatusRequest: MessageTypeDefinition<_zkmig_agent_v1_ServiceStatusRequest, _zkmig_agent_v1_ServiceStatusRequest__Output>
        ServiceStatusResponse: MessageTypeDefinition<_zkmig_agent_v1_ServiceStatusResponse, _zkmig_agent_v1_ServiceStatusResponse__Output>
      }
    }
  }
}

