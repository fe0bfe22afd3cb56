// Original file: proto/zkmig/agent/v1/agent.proto


export interface IniProblem {
  'line'?: (number);
  'message'?: (string);
}

export interface IniProblem__Output {
  'line': (number);
  'message': (string);
}
