// Original file: proto/zkmig/agent/v1/agent.proto

import type { ServiceStatus as _zkmig_agent_v1_ServiceStatus, ServiceStatus__Output as _zkmig_agent_v1_ServiceStatus__Output } from '../../../zkmig/agent/v1/ServiceStatus';
import type { FileFacts as _zkmig_agent_v1_FileFacts, FileFacts__Output as _zkmig_agent_v1_FileFacts__Output } from '../../../zkmig/agent/v1/FileFacts';

export interface GetFactsResponse {
  'request_id'?: (string);
  'hostname'?: (string);
  'agent_version'?: (string);
  'uptime_seconds'?: (number | string);
  'agent_pid'?: (number);
  'agent_state'?: (string);
  'services'?: (_zkmig_agent_v1_ServiceStatus)[];
  'files'?: (_zkmig_agent_v1_FileFacts)[];
  'warnings'?: (string)[];
}

export interface GetFactsResponse__Output {
  'request_id': (string);
  'hostname': (string);
  'agent_version': (string);
  'uptime_seconds': (number);
  'agent_pid': (number);
  'agent_state': (string);
  'services': (_zkmig_agent_v1_ServiceStatus__Output)[];
  'files': (_zkmig_agent_v1_FileFacts__Output)[];
  'warnings': (string)[];
}
