/** zkmig.agent.v1.ConfigService: read, edit, restore and list backups of managed config files. */
import * as grpc from '@grpc/grpc-js';
import type { ConfigChangeResponse } from '../../shared/generated/zkmig/agent/v1/ConfigChangeResponse';
import type { EditConfigRequest__Output } from '../../shared/generated/zkmig/agent/v1/EditConfigRequest';
import type { ListBackupsRequest__Output } from '../../shared/generated/zkmig/agent/v1/ListBackupsRequest';
import type { ListBackupsResponse } from '../../shared/generated/zkmig/agent/v1/ListBackupsResponse';
import type { ReadConfigRequest__Output } from '../../shared/generated/zkmig/agent/v1/ReadConfigRequest';
import type { ReadConfigResponse } from '../../shared/generated/zkmig/agent/v1/ReadConfigResponse';
import type { RestoreConfigRequest__Output } from '../../shared/generated/zkmig/agent/v1/RestoreConfigRequest';
import type { IniEdit } from '../../shared/ini';
import { loadProtos } from '../../shared/proto';
import { diffToWire } from '../../shared/result';
import type { AgentContext } from '../context';
import { listBackups } from '../ops/backups';
import { ConfigChangeResult, editConfig, readConfig, restoreConfig } from '../ops/ini-file';
import { Handled, unary } from '../rpc';

function toWire(r: ConfigChangeResult, requestId: string): ConfigChangeResponse {
  return {
    request_id: requestId,
    changed: r.changed,
    diff: diffToWire(r.diff),
    msg: r.msg,
    warnings: r.warnings,
    check_mode: r.checkMode,
    path: r.path,
    before_sha256: r.beforeSha256,
    after_sha256: r.afterSha256,
    backup_file: r.backupFile,
    outcomes: r.outcomes.map((o) => ({ action: o.action, section: o.section, key: o.key, lines: o.lines })),
  };
}

function handled(r: ConfigChangeResult, requestId: string): Handled<ConfigChangeResponse> {
  return {
    res: toWire(r, requestId),
    audit: { target: r.path, changed: r.changed, beforeSha256: r.beforeSha256, afterSha256: r.afterSha256, backupFile: r.backupFile || undefined, msg: r.msg },
  };
}

export class ConfigService {
  constructor(private readonly ctx: AgentContext) {}

  addToServer(server: grpc.Server): void {
    const { rpc, ini } = this.ctx;
    server.addService(loadProtos().agent.ConfigService.service, {
      ReadConfig: unary<ReadConfigRequest__Output, ReadConfigResponse>(rpc, 'ReadConfig', 'read', (r) => r.path, async (req, call) => {
        const r = await readConfig(ini, req.path, req.only_keys.map((k) => ({ section: k.section, key: k.key })));
        return { res: { request_id: call.requestId, path: r.path, content: r.content, size: r.size, sha256: r.sha256, parsed: r.view } };
      }),
      EditConfig: unary<EditConfigRequest__Output, ConfigChangeResponse>(rpc, 'EditConfig', 'mutation', (r) => r.path, async (req, call) => {
        const edits: IniEdit[] = req.edits.map((e) => ({
          section: e.section,
          key: e.key,
          // oneof: only the field that was set is present.
          ...(e.change === 'value' ? { value: e.value ?? '' } : {}),
          ...(e.change === 'absent' ? { absent: e.absent === true } : {}),
          occurrence: e.occurrence,
          createSection: e.create_section,
        }));
        const r = await editConfig(ini, { path: req.path, edits, expectedSha256: req.expected_sha256 || undefined, checkMode: call.checkMode, remainingMs: call.remainingMs });
        return handled(r, call.requestId);
      }),
      RestoreConfig: unary<RestoreConfigRequest__Output, ConfigChangeResponse>(rpc, 'RestoreConfig', 'mutation', (r) => `${r.path} <- ${r.backup_file}`, async (req, call) => {
        const r = await restoreConfig(ini, { path: req.path, backupFile: req.backup_file, expectedSha256: req.expected_sha256 || undefined, checkMode: call.checkMode, remainingMs: call.remainingMs });
        return handled(r, call.requestId);
      }),
      ListBackups: unary<ListBackupsRequest__Output, ListBackupsResponse>(rpc, 'ListBackups', 'read', (r) => r.path, async (req, call) => {
        const file = this.ctx.allow.resolve(req.path);
        return { res: { request_id: call.requestId, backups: listBackups(file, true, this.ctx.config.limits.maxFileBytes) } };
      }),
    });
  }
}
