import { MetaConfig } from '../common/config';
import { Logger } from '../common/log';
import { call } from '../common/rpc';
import { AppInfo, ReplicaInfo } from '../common/types';
import { AppStore, Crash, LoadedApp } from './app-store';
import { NodeAnswer, RecoveryConflict, badNodeHint, constructApps, constructPartitions } from './recovery';

/**
 * server_state::on_start_recovery (v2.5.0): ask every listed replica server for its app infos and
 * replicas (two RPCs each, in parallel), build the tree, write it with the lock/unlock sequence. A
 * failed write is fatal ("need to manually clear contents from remote storage and restart the
 * service"), as are conflicting app infos.
 */

/** The RPC timeout replica queries get (`[task..default] rpc_timeout_milliseconds` of the template). */
const QUERY_TIMEOUT_MS = 5000;

export interface RecoveryDeps {
  cfg: MetaConfig;
  log: Logger;
  crash: Crash;
  store: AppStore;
}

export async function runRecovery(
  d: RecoveryDeps,
  nodes: string[],
  skipBadNodes: boolean,
  skipLostPartitions: boolean,
): Promise<{ err: string; hint: string; apps?: Map<number, LoadedApp> }> {
  d.log.info('server_state', `start recovery, node_count = ${nodes.length}, skip_bad_nodes = ${skipBadNodes}, skip_lost_partitions = ${skipLostPartitions}`);
  const results = await Promise.all(
    nodes.map(async (node) => {
      d.log.info('server_state', `send query app and replica request to node(${node})`);
      const [a, r] = await Promise.all([
        call(node, 'query_app_info', { meta_server: d.cfg.address }, QUERY_TIMEOUT_MS),
        call(node, 'query_replica_info', { node }, QUERY_TIMEOUT_MS),
      ]);
      // rDSN reports an RPC to a server that is down as ERR_TIMEOUT.
      const err = a.transport !== 'ERR_OK' || r.transport !== 'ERR_OK' ? 'ERR_TIMEOUT' : a.body.err !== 'ERR_OK' ? String(a.body.err) : r.body.err !== 'ERR_OK' ? String(r.body.err) : 'ERR_OK';
      return { node, err, apps: a.body.apps as AppInfo[] | undefined, replicas: r.body.replicas as ReplicaInfo[] | undefined };
    }),
  );
  let hint = '';
  let failed = 0;
  for (const r of results) {
    if (r.err === 'ERR_OK') continue;
    d.log.warn('server_state', `query app/replica info from node(${r.node}) failed, reason: ${r.err}`);
    failed++;
    hint += badNodeHint(r.node, r.err, skipBadNodes);
  }
  d.log.info('server_state', `sync apps and replicas from replica nodes done, succeed_count = ${results.length - failed}, failed_count = ${failed}, skip_bad_nodes = ${skipBadNodes}`);
  if (failed > 0 && !skipBadNodes) return { err: 'ERR_TRY_AGAIN', hint };

  const good = results.filter((r) => r.err === 'ERR_OK');
  const appAnswers: NodeAnswer<AppInfo[]>[] = good.map((r) => ({ node: r.node, value: r.apps ?? [] }));
  const replicaAnswers: NodeAnswer<ReplicaInfo[]>[] = good.map((r) => ({ node: r.node, value: r.replicas ?? [] }));
  let built;
  let parts;
  try {
    built = constructApps(appAnswers, Math.floor(Date.now() / 1000));
    parts = constructPartitions(built.apps, replicaAnswers, skipLostPartitions, d.cfg.maxReservedDroppedReplicas);
  } catch (e) {
    if (e instanceof RecoveryConflict) d.crash('server_state', e.message);
    throw e;
  }
  hint += built.hint + parts.hint;
  if (!parts.ok) {
    d.log.error('server_state', 'construct partitions failed, err = ERR_TRY_AGAIN');
    return { err: 'ERR_TRY_AGAIN', hint };
  }
  const apps = new Map<number, LoadedApp>();
  for (const [id, a] of built.apps) apps.set(id, { info: a.info, partitions: a.partitions });
  const err = await d.store.writeAll(apps);
  if (err !== 'ERR_OK') {
    d.crash('server_state', 'sync apps to remote storage failed when do recovery, need to manually clear contents from remote storage and restart the service');
  }
  d.log.info('server_state', `recovery succeed, ${apps.size} apps written`);
  return { err: 'ERR_OK', hint, apps };
}
