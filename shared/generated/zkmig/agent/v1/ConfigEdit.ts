// Original file: proto/zkmig/agent/v1/agent.proto


export interface ConfigEdit {
  'section'?: (string);
  'key'?: (string);
  'value'?: (string);
  'absent'?: (boolean);
  'occurrence'?: (number);
  'create_section'?: (boolean);
  'change'?: "value"|"absent";
}

export interface ConfigEdit__Output {
  'section': (string);
  'key': (string);
  'value'?: (string);
  'absent'?: (boolean);
  'occurrence': (number);
  'create_section': (boolean);
  'change'?: "value"|"absent";
}
