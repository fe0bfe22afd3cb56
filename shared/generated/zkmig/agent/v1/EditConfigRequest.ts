// Original file: proto/zkmig/agent/v1/agent.proto

import type { RequestHeader as _zkmig_agent_v1_RequestHeader, RequestHeader__Output as _zkmig_agent_v1_RequestHeader__Output } from '../../../zkmig/agent/v1/RequestHeader';
import type { ConfigEdit as _zkmig_agent_v1_ConfigEdit, ConfigEdit__Output as _zkmig_agent_v1_ConfigEdit__Output } from '../../../zkmig/agent/v1/ConfigEdit';

export interface EditConfigRequest {
  'header'?: (_zkmig_agent_v1_RequestHeader | null);
  'path'?: (string);
  'edits'?: (_zkmig_agent_v1_ConfigEdit)[];
  'expected_sha256'?: (string);
}

export interface EditConfigRequest__Output {
  'header': (_zkmig_agent_v1_RequestHeader__Output | null);
  'path': (string);
  'edits': (_zkmig_agent_v1_ConfigEdit__Output)[];
  'expected_sha256': (string);
}
