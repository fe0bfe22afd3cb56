// Original file: proto/zkmig/agent/v1/agent.proto


export interface PegasusFacts {
  'meta_ports'?: (string);
  'meta_port'?: (number);
  'zk_hosts_list'?: (string);
  'zk_timeout_ms'?: (number);
  'cluster_root'?: (string);
  'lock_service_parameters'?: (string);
  'recover_from_replica_server'?: (string);
  'meta_server_list'?: (string);
  'meta_state_service_type'?: (string);
  'warnings'?: (string)[];
}

export interface PegasusFacts__Output {
  'meta_ports': (string);
  'meta_port': (number);
  'zk_hosts_list': (string);
  'zk_timeout_ms': (number);
  'cluster_root': (string);
  'lock_service_parameters': (string);
  'recover_from_replica_server': (string);
  'meta_server_list': (string);
  'meta_state_service_type': (string);
  'warnings': (string)[];
}
