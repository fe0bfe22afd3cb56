// Original file: proto/zkmig/agent/v1/agent.proto

import type { RequestHeader as _zkmig_agent_v1_RequestHeader, RequestHeader__Output as _zkmig_agent_v1_RequestHeader__Output } from '../../../zkmig/agent/v1/RequestHeader';

export interface RestoreConfigRequest {
  'header'?: (_zkmig_agent_v1_RequestHeader | null);
  'path'?: (string);
  'backup_file'?: (string);
  'expected_sha256'?: (string);
}

export interface RestoreConfigRequest__Output {
  'header': (_zkmig_agent_v1_RequestHeader__Output | null);
  'path': (string);
  'backup_file': (string);
  'expected_sha256': (string);
}
