// Original file: proto/zkmig/agent/v1/agent.proto

import type { ServiceStatus as _zkmig_agent_v1_ServiceStatus, ServiceStatus__Output as _zkmig_agent_v1_ServiceStatus__Output } from '../../../zkmig/agent/v1/ServiceStatus';

export interface ServiceStatusResponse {
  'request_id'?: (string);
  'status'?: (_zkmig_agent_v1_ServiceStatus | null);
}

export interface ServiceStatusResponse__Output {
  'request_id': (string);
  'status': (_zkmig_agent_v1_ServiceStatus__Output | null);
}
