// Original file: proto/zkmig/agent/v1/agent.proto

import type { IniSection as _zkmig_agent_v1_IniSection, IniSection__Output as _zkmig_agent_v1_IniSection__Output } from '../../../zkmig/agent/v1/IniSection';
import type { IniDuplicate as _zkmig_agent_v1_IniDuplicate, IniDuplicate__Output as _zkmig_agent_v1_IniDuplicate__Output } from '../../../zkmig/agent/v1/IniDuplicate';
import type { IniEntry as _zkmig_agent_v1_IniEntry, IniEntry__Output as _zkmig_agent_v1_IniEntry__Output } from '../../../zkmig/agent/v1/IniEntry';
import type { IniProblem as _zkmig_agent_v1_IniProblem, IniProblem__Output as _zkmig_agent_v1_IniProblem__Output } from '../../../zkmig/agent/v1/IniProblem';

export interface IniView {
  'sections'?: (_zkmig_agent_v1_IniSection)[];
  'duplicates'?: (_zkmig_agent_v1_IniDuplicate)[];
  'commented'?: (_zkmig_agent_v1_IniEntry)[];
  'problems'?: (_zkmig_agent_v1_IniProblem)[];
  'placeholders'?: (string)[];
  'eol'?: (string);
}

export interface IniView__Output {
  'sections': (_zkmig_agent_v1_IniSection__Output)[];
  'duplicates': (_zkmig_agent_v1_IniDuplicate__Output)[];
  'commented': (_zkmig_agent_v1_IniEntry__Output)[];
  'problems': (_zkmig_agent_v1_IniProblem__Output)[];
  'placeholders': (string)[];
  'eol': (string);
}
