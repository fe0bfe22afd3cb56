// Original file: proto/zkmig/agent/v1/agent.proto

import type { RequestHeader as _zkmig_agent_v1_RequestHeader, RequestHeader__Output as _zkmig_agent_v1_RequestHeader__Output } from '../../../zkmig/agent/v1/RequestHeader';
import type { KeyRef as _zkmig_agent_v1_KeyRef, KeyRef__Output as _zkmig_agent_v1_KeyRef__Output } from '../../../zkmig/agent/v1/KeyRef';

export interface ReadConfigRequest {
  'header'?: (_zkmig_agent_v1_RequestHeader | null);
  'path'?: (string);
  'only_keys'?: (_zkmig_agent_v1_KeyRef)[];
}

export interface ReadConfigRequest__Output {
  'header': (_zkmig_agent_v1_RequestHeader__Output | null);
  'path': (string);
  'only_keys': (_zkmig_agent_v1_KeyRef__Output)[];
}
