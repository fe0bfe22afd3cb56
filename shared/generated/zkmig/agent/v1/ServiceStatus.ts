// Original file: proto/zkmig/agent/v1/agent.proto


export interface ServiceStatus {
  'name'?: (string);
  'backend'?: (string);
  'state'?: (string);
  'sub_state'?: (string);
  'main_pid'?: (number);
  'n_restarts'?: (number);
  'exec_main_status'?: (number);
  'unit'?: (string);
  'config_file'?: (string);
  'detail'?: (string);
}

export interface ServiceStatus__Output {
  'name': (string);
  'backend': (string);
  'state': (string);
  'sub_state': (string);
  'main_pid': (number);
  'n_restarts': (number);
  'exec_main_status': (number);
  'unit': (string);
  'config_file': (string);
  'detail': (string);
}
