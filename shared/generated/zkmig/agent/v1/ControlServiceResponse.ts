// Original file: proto/zkmig/agent/v1/agent.proto

import type { Diff as _zkmig_agent_v1_Diff, Diff__Output as _zkmig_agent_v1_Diff__Output } from '../../../zkmig/agent/v1/Diff';
import type { ServiceStatus as _zkmig_agent_v1_ServiceStatus, ServiceStatus__Output as _zkmig_agent_v1_ServiceStatus__Output } from '../../../zkmig/agent/v1/ServiceStatus';

export interface ControlServiceResponse {
  'request_id'?: (string);
  'changed'?: (boolean);
  'diff'?: (_zkmig_agent_v1_Diff | null);
  'msg'?: (string);
  'warnings'?: (string)[];
  'check_mode'?: (boolean);
  'failed'?: (boolean);
  'before'?: (_zkmig_agent_v1_ServiceStatus | null);
  'status'?: (_zkmig_agent_v1_ServiceStatus | null);
  'log_tail'?: (string);
  'duration_ms'?: (number);
}

export interface ControlServiceResponse__Output {
  'request_id': (string);
  'changed': (boolean);
  'diff': (_zkmig_agent_v1_Diff__Output | null);
  'msg': (string);
  'warnings': (string)[];
  'check_mode': (boolean);
  'failed': (boolean);
  'before': (_zkmig_agent_v1_ServiceStatus__Output | null);
  'status': (_zkmig_agent_v1_ServiceStatus__Output | null);
  'log_tail': (string);
  'duration_ms': (number);
}
