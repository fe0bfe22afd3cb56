// Original file: proto/zkmig/agent/v1/agent.proto

import type { RequestHeader as _zkmig_agent_v1_RequestHeader, RequestHeader__Output as _zkmig_agent_v1_RequestHeader__Output } from '../../../zkmig/agent/v1/RequestHeader';

export interface GetFactsRequest {
  'header'?: (_zkmig_agent_v1_RequestHeader | null);
}

export interface GetFactsRequest__Output {
  'header': (_zkmig_agent_v1_RequestHeader__Output | null);
}
