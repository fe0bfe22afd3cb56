// Original file: proto/zkmig/agent/v1/agent.proto

import type { RequestHeader as _zkmig_agent_v1_RequestHeader, RequestHeader__Output as _zkmig_agent_v1_RequestHeader__Output } from '../../../zkmig/agent/v1/RequestHeader';

export interface ListBackupsRequest {
  'header'?: (_zkmig_agent_v1_RequestHeader | null);
  'path'?: (string);
}

export interface ListBackupsRequest__Output {
  'header': (_zkmig_agent_v1_RequestHeader__Output | null);
  'path': (string);
}
