// Original file: proto/zkmig/agent/v1/agent.proto


export interface Backup {
  'path'?: (string);
  'size'?: (number);
  'sha256'?: (string);
  'created'?: (string);
}

export interface Backup__Output {
  'path': (string);
  'size': (number);
  'sha256': (string);
  'created': (string);
}
