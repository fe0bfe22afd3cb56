// Original file: proto/zkmig/agent/v1/agent.proto

import type { IniEntry as _zkmig_agent_v1_IniEntry, IniEntry__Output as _zkmig_agent_v1_IniEntry__Output } from '../../../zkmig/agent/v1/IniEntry';

export interface IniSection {
  'name'?: (string);
  'line'?: (number);
  'entries'?: (_zkmig_agent_v1_IniEntry)[];
}

export interface IniSection__Output {
  'name': (string);
  'line': (number);
  'entries': (_zkmig_agent_v1_IniEntry__Output)[];
}
