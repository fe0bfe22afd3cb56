// Original file: proto/zkmig/agent/v1/agent.proto


export interface Diff {
  'before_header'?: (string);
  'after_header'?: (string);
  'before'?: (string);
  'after'?: (string);
  'unified'?: (string);
}

export interface Diff__Output {
  'before_header': (string);
  'after_header': (string);
  'before': (string);
  'after': (string);
  'unified': (string);
}
