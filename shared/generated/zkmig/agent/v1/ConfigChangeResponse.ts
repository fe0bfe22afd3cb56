// Original file: proto/zkmig/agent/v1/agent.proto

import type { Diff as _zkmig_agent_v1_Diff, Diff__Output as _zkmig_agent_v1_Diff__Output } from '../../../zkmig/agent/v1/Diff';
import type { EditOutcome as _zkmig_agent_v1_EditOutcome, EditOutcome__Output as _zkmig_agent_v1_EditOutcome__Output } from '../../../zkmig/agent/v1/EditOutcome';

export interface ConfigChangeResponse {
  'request_id'?: (string);
  'changed'?: (boolean);
  'diff'?: (_zkmig_agent_v1_Diff | null);
  'msg'?: (string);
  'warnings'?: (string)[];
  'check_mode'?: (boolean);
  'path'?: (string);
  'before_sha256'?: (string);
  'after_sha256'?: (string);
  'backup_file'?: (string);
  'outcomes'?: (_zkmig_agent_v1_EditOutcome)[];
}

export interface ConfigChangeResponse__Output {
  'request_id': (string);
  'changed': (boolean);
  'diff': (_zkmig_agent_v1_Diff__Output | null);
  'msg': (string);
  'warnings': (string)[];
  'check_mode': (boolean);
  'path': (string);
  'before_sha256': (string);
  'after_sha256': (string);
  'backup_file': (string);
  'outcomes': (_zkmig_agent_v1_EditOutcome__Output)[];
}
