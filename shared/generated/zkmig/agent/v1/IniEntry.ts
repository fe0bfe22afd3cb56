// Original file: proto/zkmig/agent/v1/agent.proto


export interface IniEntry {
  'section'?: (string);
  'key'?: (string);
  'value'?: (string);
  'line'?: (number);
  'occurrence'?: (number);
  'raw'?: (string);
}

export interface IniEntry__Output {
  'section': (string);
  'key': (string);
  'value': (string);
  'line': (number);
  'occurrence': (number);
  'raw': (string);
}
