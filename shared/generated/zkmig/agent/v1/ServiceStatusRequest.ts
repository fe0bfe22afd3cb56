// Original file: proto/zkmig/agent/v1/agent.proto

import type { RequestHeader as _zkmig_agent_v1_RequestHeader, RequestHeader__Output as _zkmig_agent_v1_RequestHeader__Output } from '../../../zkmig/agent/v1/RequestHeader';

export interface ServiceStatusRequest {
  'header'?: (_zkmig_agent_v1_RequestHeader | null);
  'name'?: (string);
}

export interface ServiceStatusRequest__Output {
  'header': (_zkmig_agent_v1_RequestHeader__Output | null);
  'name': (string);
}
