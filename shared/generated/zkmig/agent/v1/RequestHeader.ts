// Original file: proto/zkmig/agent/v1/agent.proto


export interface RequestHeader {
  'request_id'?: (string);
  'check_mode'?: (boolean);
  'coordinator'?: (string);
}

export interface RequestHeader__Output {
  'request_id': (string);
  'check_mode': (boolean);
  'coordinator': (string);
}
