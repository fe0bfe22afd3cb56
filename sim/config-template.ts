/**
 * The config.ini the simulator's cluster library writes: a trimmed copy of Pegasus's production
 * template (src/server/config.ini; test/fixtures/pegasus/config.ini) keeping its layout: two-space
 * indented keys, `;` comments, `[apps..default]`-style section names, `%{...}` placeholders rendered
 * the way minos renders them. Only keys Pegasus really has are used; the simulator reads the ones
 * listed in common/config.ts and ignores the rest, as Pegasus ignores keys it does not know.
 */

export const CONFIG_TEMPLATE = `; Licensed to the Apache Software Foundation (ASF) under one
; or more contributor license agreements.  See the NOTICE file
; distributed with this work for additional information
; regarding copyright ownership.  The ASF licenses this file
; to you under the Apache License, Version 2.0.
;
; Rendered by zkmig's Pegasus simulator (sim/cluster.ts) from the production template.
[apps..default]
  run = true
  count = 1

[apps.meta]
  type = meta
  arguments =
  ports = %{meta.port}
  pools = THREAD_POOL_DEFAULT,THREAD_POOL_META_SERVER,THREAD_POOL_META_STATE,THREAD_POOL_FD,THREAD_POOL_DLOCK,THREAD_POOL_BLOCK_SERVICE
  run = true
  count = 1

[apps.replica]
  type = replica
  arguments =
  ports = %{replica.port}
  pools = THREAD_POOL_DEFAULT,THREAD_POOL_REPLICATION_LONG,THREAD_POOL_REPLICATION,THREAD_POOL_FD,THREAD_POOL_LOCAL_APP,THREAD_POOL_BLOCK_SERVICE,THREAD_POOL_COMPACT,THREAD_POOL_INGESTION,THREAD_POOL_PLOG,THREAD_POOL_SCAN
  run = true
  count = 1

[core]
  data_dir = %{app.dir}

  tool = nativerun
  ;toollets = tracer, profiler, fault_injector
  toollets = profiler

  pause_on_start = false
  enable_default_app_mimic = true

  logging_start_level = LOG_LEVEL_INFO
  logging_factory_name = dsn::tools::simple_logger
  logging_flush_on_exit = true

[tools.simple_logger]
  short_header = false
  fast_flush = false
  max_number_of_log_files_on_disk = 20
  stderr_start_level = LOG_LEVEL_WARNING

[network]
  primary_interface =
  ; how many network threads for network library(used by asio)
  io_service_worker_count = 4

[meta_server]
  server_list = %{meta.server.list}
  cluster_root = /pegasus/%{cluster.name}

  distributed_lock_service_type = distributed_lock_service_zookeeper
  distributed_lock_service_parameters = /pegasus/%{cluster.name}/lock

  meta_state_service_type = meta_state_service_zookeeper
  meta_state_service_parameters =

  node_live_percentage_threshold_for_update = 50
  min_live_node_count_for_unfreeze = 3
  meta_function_level_on_start = steady
  recover_from_replica_server = false
  hold_seconds_for_dropped_app = 604800
  add_secondary_enable_flow_control = true
  add_secondary_max_count_for_one_node = 20
  stable_rs_min_running_seconds = 600
  max_succssive_unstable_restart = 5

  server_load_balancer_type = greedy_load_balancer
  # partition guardian is used to keep partitions healthy.
  partition_guardian_type = partition_guardian
  replica_assign_delay_ms_for_dropouts = 600000
  max_replicas_in_group = 3
  max_reserved_dropped_replicas = 0
  balancer_in_turn = false
  only_primary_balancer = false
  only_move_primary = false

  cold_backup_disabled = false

  enable_white_list = false
  replica_white_list =

[replication]
  data_dirs = %{data.dirs}
  data_dirs_black_list_file = %{home.dir}/.pegasus_data_dirs_black_list
  cluster_name = %{cluster.name}

  deny_client_on_start = false
  delay_for_fd_timeout_on_start = false

  fd_disabled = false
  fd_check_interval_seconds = 2
  fd_beacon_interval_seconds = 3
  fd_lease_seconds = 20
  fd_grace_seconds = 22

  config_sync_disabled = false
  config_sync_interval_ms = 30000

  lb_interval_ms = 10000

  ;; the prefix of the path that to save backup-data on cold backup media
  cold_backup_root = %{cluster.name}

[pegasus.clusters]
  %{cluster.name} = %{meta.server.list}

[zookeeper]
  hosts_list = %{zk.server.list}
  timeout_ms = 10000
  logfile = zoo.log

[task..default]
  is_trace = false
  is_profile = false
  allow_inline = false
  rpc_call_channel = RPC_CHANNEL_TCP
  rpc_call_header_format = NET_HDR_DSN
  rpc_message_crc_required = false
  rpc_call_header_format_name = dsn
  rpc_timeout_milliseconds = 5000
`;

/** The shell config run.sh generates (src/shell/config.ini), with its placeholders filled in. */
export const SHELL_CONFIG_TEMPLATE = `[apps..default]
run = true
count = 1

[apps.mimic]
type = dsn.app.mimic
arguments =
pools = THREAD_POOL_DEFAULT,THREAD_POOL_META_SERVER,THREAD_POOL_REPLICATION
run = true
count = 1

[core]
tool = nativerun
pause_on_start = false
logging_start_level = LOG_LEVEL_INFO
logging_factory_name = dsn::tools::simple_logger
enable_default_app_mimic = true
data_dir = ./pegasus_shell.data

[tools.simple_logger]
short_header = false
fast_flush = true
max_number_of_log_files_on_disk = 10
stderr_start_level = LOG_LEVEL_FATAL

[task..default]
is_trace = false
is_profile = false
allow_inline = false
rpc_call_header_format = NET_HDR_DSN
rpc_call_channel = RPC_CHANNEL_TCP
rpc_timeout_milliseconds = %{rpc.timeout.ms}

[pegasus.clusters]
%{cluster.name} = %{meta.server.list}
`;

/** Replace `%{name}` placeholders as minos does; unknown placeholders are left as they are. */
export function renderPlaceholders(text: string, vars: Record<string, string>): string {
  return text.replace(/%\{([^}]+)\}/g, (m, k: string) => vars[k] ?? m);
}

/**
 * Set `key = value` in `[section]` of an INI text, line-based, keeping every other byte: an existing
 * active line is rewritten in place (keeping its indentation), otherwise the key is added after the
 * section's last key with the section's indentation, or a new section is appended. Commented-out
 * `;key = ...` lines are left alone. Only for the simulator's own files.
 */
export function setIniKey(text: string, section: string, key: string, value: string): string {
  const lines = text.split('\n');
  const headerRe = /^\s*\[([^\]]*)\]/;
  let start = -1;
  for (let i = 0; i < lines.length; i++) {
    const m = headerRe.exec(lines[i]!);
    if (m && m[1]!.trim() === section) {
      start = i;
      break;
    }
  }
  if (start < 0) {
    const tail = text.endsWith('\n') ? '' : '\n';
    return `${text}${tail}\n[${section}]\n  ${key} = ${value}\n`;
  }
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    if (headerRe.test(lines[i]!)) {
      end = i;
      break;
    }
  }
  const keyRe = new RegExp(`^(\\s*)${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*=`);
  let lastKey = start;
  let indent = '  ';
  for (let i = start + 1; i < end; i++) {
    const l = lines[i]!;
    const m = keyRe.exec(l);
    if (m) {
      lines[i] = `${m[1]!}${key} = ${value}`;
      return lines.join('\n');
    }
    const k = /^(\s*)[^\s;#][^=]*=/.exec(l);
    if (k) {
      lastKey = i;
      indent = k[1]!;
    }
  }
  lines.splice(lastKey + 1, 0, `${indent}${key} = ${value}`);
  return lines.join('\n');
}
