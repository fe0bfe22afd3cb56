// Original file: proto/zkmig/agent/v1/agent.proto

import type { IniView as _zkmig_agent_v1_IniView, IniView__Output as _zkmig_agent_v1_IniView__Output } from '../../../zkmig/agent/v1/IniView';

export interface ReadConfigResponse {
  'request_id'?: (string);
  'path'?: (string);
  'content'?: (Buffer | Uint8Array | string);
  'sha256'?: (string);
  'parsed'?: (_zkmig_agent_v1_IniView | null);
  'size'?: (number);
}

export interface ReadConfigResponse__Output {
  'request_id': (string);
  'path': (string);
  'content': (Buffer);
  'sha256': (string);
  'parsed': (_zkmig_agent_v1_IniView__Output | null);
  'size': (number);
}
