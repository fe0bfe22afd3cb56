/** Conversions from operation results to the proto's wire shapes (snake_case). */
import type { PegasusFacts } from '../../shared/generated/zkmig/agent/v1/PegasusFacts';
import type { ServiceStatus as WireStatus } from '../../shared/generated/zkmig/agent/v1/ServiceStatus';
import type { PegasusSettings } from '../../shared/ini';
import type { ServiceStatus } from '../ops/service-types';

export function statusToWire(s: ServiceStatus): WireStatus {
  return {
    name: s.name,
    backend: s.backend,
    state: s.state,
    sub_state: s.subState,
    main_pid: s.mainPid,
    n_restarts: s.nRestarts,
    exec_main_status: s.execMainStatus,
    unit: s.unit,
    config_file: s.configFile,
    detail: s.detail,
  };
}

export function pegasusToWire(p: PegasusSettings): PegasusFacts {
  return {
    meta_ports: p.metaPorts,
    meta_port: p.metaPort,
    zk_hosts_list: p.zkHostsList,
    zk_timeout_ms: p.zkTimeoutMs,
    cluster_root: p.clusterRoot,
    lock_service_parameters: p.lockServiceParameters,
    recover_from_replica_server: p.recoverFromReplicaServer,
    meta_server_list: p.metaServerList,
    meta_state_service_type: p.metaStateServiceType,
    warnings: p.warnings,
  };
}
