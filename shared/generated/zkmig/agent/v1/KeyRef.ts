// Original file: proto/zkmig/agent/v1/agent.proto


export interface KeyRef {
  'section'?: (string);
  'key'?: (string);
}

export interface KeyRef__Output {
  'section': (string);
  'key': (string);
}
