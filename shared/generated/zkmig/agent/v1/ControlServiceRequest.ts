// Original file: proto/zkmig/agent/v1/agent.proto

import type { RequestHeader as _zkmig_agent_v1_RequestHeader, RequestHeader__Output as _zkmig_agent_v1_RequestHeader__Output } from '../../../zkmig/agent/v1/RequestHeader';
import type { ServiceAction as _zkmig_agent_v1_ServiceAction, ServiceAction__Output as _zkmig_agent_v1_ServiceAction__Output } from '../../../zkmig/agent/v1/ServiceAction';

export interface ControlServiceRequest {
  'header'?: (_zkmig_agent_v1_RequestHeader | null);
  'name'?: (string);
  'action'?: (_zkmig_agent_v1_ServiceAction);
  'timeout_ms'?: (number);
}

export interface ControlServiceRequest__Output {
  'header': (_zkmig_agent_v1_RequestHeader__Output | null);
  'name': (string);
  'action': (_zkmig_agent_v1_ServiceAction__Output);
  'timeout_ms': (number);
}
