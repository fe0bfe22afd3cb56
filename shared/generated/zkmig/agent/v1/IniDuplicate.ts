// Original file: proto/zkmig/agent/v1/agent.proto


export interface IniDuplicate {
  'section'?: (string);
  'key'?: (string);
  'lines'?: (number)[];
}

export interface IniDuplicate__Output {
  'section': (string);
  'key': (string);
  'lines': (number)[];
}
