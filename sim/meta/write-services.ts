import { ZK_CODE, ZkSession } from '../../shared/zk/client';
import { MetaConfig } from '../common/config';
import { Logger } from '../common/log';
import { isZkTimeout, zkCode } from './app-store';
import { ServerState } from './server-state';

/**
 * The services that write ZooKeeper whatever the function level: duplication
 * (src/meta/duplication/meta_duplication_service.cpp), bulk load (src/meta/meta_bulk_load_service.cpp)
 * and cold backup policies (src/meta/backup_service.cpp). `blind` does not stop any of them, which is
 * what a migration's "the tree is frozen" assumption must account for.
 */
export class WriteServices {
  private dupTimer: NodeJS.Timeout | undefined;
  /** app_id → dupid → per-partition confirmed decree. */
  private readonly dups = new Map<number, Map<number, number[]>>();

  constructor(
    private readonly cfg: MetaConfig,
    private readonly zk: ZkSession,
    private readonly state: ServerState,
    private readonly log: Logger,
    private readonly setSteady: () => void,
  ) {}

  private get root(): string {
    return this.cfg.clusterRoot === '/' ? '' : this.cfg.clusterRoot;
  }

  /** create, or set when it exists. */
  private async put(path: string, data: string): Promise<void> {
    for (;;) {
      try {
        try {
          await this.zk.create(path, Buffer.from(data));
        } catch (e) {
          if (zkCode(e) !== ZK_CODE.NODE_EXISTS) throw e;
          await this.zk.setData(path, Buffer.from(data));
        }
        return;
      } catch (e) {
        if (!isZkTimeout(e)) throw e;
      }
    }
  }

  /**
   * `add_duplication`: `apps/<id>/duplication/<dupid>` (duplication_info::to_json_blob), the app's
   * `duplicating` flag, then progress nodes `<dupid>/<pidx>` written every
   * `duplication_sync_period_second` as the replicas report confirmed decrees (the table takes writes
   * in the simulator's world, so the decrees keep moving). Not level-gated.
   */
  async addDuplication(appName: string, remote: string): Promise<Record<string, unknown>> {
    const info = this.state.appByName(appName);
    if (!info || info.status !== 'AS_AVAILABLE') return { err: 'ERR_APP_NOT_EXIST', hint: `app(${appName}) is not available` };
    if (remote === this.cfg.clusterName) return { err: 'ERR_INVALID_PARAMETERS', hint: 'illegal operation: adding duplication to itself' };
    const dupid = Math.floor(Date.now() / 1000);
    const dupPath = `${this.root}/apps/${info.app_id}/duplication`;
    await this.zk.mkdirp(dupPath);
    await this.put(`${dupPath}/${dupid}`, JSON.stringify({ create_timestamp_ms: Date.now(), remote, status: 'DS_LOG', fail_mode: 'FAIL_SLOW' }));
    info.duplicating = true;
    await this.state.writeAppInfo(info);
    const per = this.dups.get(info.app_id) ?? new Map<number, number[]>();
    per.set(dupid, Array.from({ length: info.partition_count }, () => 0));
    this.dups.set(info.app_id, per);
    this.log.info('meta_duplication_service', `add duplication for app(${appName}) to ${remote} succeed, dupid(${dupid})`);
    this.startProgress();
    return { err: 'ERR_OK', appid: info.app_id, dupid };
  }

  private startProgress(): void {
    if (this.dupTimer) return;
    this.dupTimer = setInterval(() => void this.writeProgress(), Math.max(200, this.cfg.dupSyncPeriodSeconds * 1000));
    this.dupTimer.unref();
  }

  /** `do_update_partition_confirmed`: one write per partition whose confirmed decree moved. */
  private async writeProgress(): Promise<void> {
    for (const [appId, per] of this.dups) {
      for (const [dupid, decrees] of per) {
        for (let i = 0; i < decrees.length; i++) {
          decrees[i] = decrees[i]! + 1;
          try {
            await this.put(`${this.root}/apps/${appId}/duplication/${dupid}/${i}`, String(decrees[i]));
          } catch (e) {
            this.log.warn('meta_duplication_service', `write duplication progress failed: ${String(e)}`);
          }
        }
      }
    }
  }

  /**
   * `start_bulk_load`: sets the function level to steady ("avoid possible load balancing"), marks the
   * app `is_bulk_loading` and writes `bulk_load/<app_id>`.
   */
  async startBulkLoad(p: { app_name: string; cluster_name: string; file_provider_type: string; remote_root_path: string }): Promise<Record<string, unknown>> {
    const info = this.state.appByName(p.app_name);
    if (!info || info.status !== 'AS_AVAILABLE') return { err: 'ERR_APP_NOT_EXIST', hint: `app ${p.app_name} is not existed or not available` };
    if (info.is_bulk_loading) return { err: 'ERR_BUSY', hint: `app(${p.app_name}) is already executing bulk load` };
    this.log.info('meta_bulk_load_service', `app(${p.app_name}) start bulk load, cluster_name = ${p.cluster_name}, provider = ${p.file_provider_type}, remote root path = ${p.remote_root_path}, ingest_behind = false`);
    this.setSteady();
    await this.zk.mkdirp(`${this.root}/bulk_load`);
    await this.put(`${this.root}/bulk_load/${info.app_id}`, JSON.stringify({ app_id: info.app_id, partition_count: info.partition_count, app_status: 'BLS_DOWNLOADING', ...p }));
    info.is_bulk_loading = true;
    await this.state.writeAppInfo(info);
    return { err: 'ERR_OK', hint: '' };
  }

  /** `add_backup_policy`: refused unless `cold_backup_disabled = false`; writes `backup/<policy_name>`. */
  async addBackupPolicy(p: { policy_name: string; backup_provider_type: string; app_ids: number[]; backup_interval_seconds: number; start_time: string; backup_history_count_to_keep: number }): Promise<Record<string, unknown>> {
    if (this.cfg.coldBackupDisabled) return { err: 'ERR_SERVICE_NOT_ACTIVE', hint: 'cold backup is disabled' };
    await this.zk.mkdirp(`${this.root}/backup`);
    try {
      await this.zk.create(`${this.root}/backup/${p.policy_name}`, Buffer.from(JSON.stringify({ ...p, is_disable: false })));
    } catch (e) {
      if (zkCode(e) === ZK_CODE.NODE_EXISTS) return { err: 'ERR_INVALID_PARAMETERS', hint: `policy(${p.policy_name}) already exists` };
      throw e;
    }
    this.log.info('backup_service', `add backup policy ${p.policy_name} succeed`);
    return { err: 'ERR_OK', hint: '' };
  }
}
