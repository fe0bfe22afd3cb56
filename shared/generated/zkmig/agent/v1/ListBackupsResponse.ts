// Original file: proto/zkmig/agent/v1/agent.proto

import type { Backup as _zkmig_agent_v1_Backup, Backup__Output as _zkmig_agent_v1_Backup__Output } from '../../../zkmig/agent/v1/Backup';

export interface ListBackupsResponse {
  'request_id'?: (string);
  'backups'?: (_zkmig_agent_v1_Backup)[];
}

export interface ListBackupsResponse__Output {
  'request_id': (string);
  'backups': (_zkmig_agent_v1_Backup__Output)[];
}
