// Original file: proto/zkmig/agent/v1/agent.proto


export interface EditOutcome {
  'action'?: (string);
  'section'?: (string);
  'key'?: (string);
  'lines'?: (number)[];
}

export interface EditOutcome__Output {
  'action': (string);
  'section': (string);
  'key': (string);
  'lines': (number)[];
}
