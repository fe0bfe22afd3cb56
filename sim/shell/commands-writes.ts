import { ShellContext } from './context';
import { usageError } from './commands-cluster';
import { getoptLong } from './getopt';

/**
 * add_dup, start_bulk_load, add_backup_policy (src/shell/commands/duplication.cpp, bulk_load.cpp,
 * cold_backup.cpp, v2.5.0): enough of each to start the writes that `blind` does not stop.
 */

export async function addDup(ctx: ShellContext, argv: string[]): Promise<boolean> {
  const pos = argv.slice(1).filter((a) => !a.startsWith('-'));
  if (pos.length < 2) return false;
  const [app, remote] = pos as [string, string];
  const sst = argv.includes('-s') || argv.includes('--sst');
  const r = await ctx.client.request('add_duplication', { app_name: app, remote_cluster_name: remote, is_duplicating_checkpoint: sst });
  if (r.err === 'ERR_OK') {
    ctx.out(`adding duplication succeed [app: ${app}, remote: ${remote}, appid: ${String(r.appid)}, dupid: ${String(r.dupid)}], checkpoint: ${sst}\n`);
  } else {
    ctx.err(`adding duplication failed [app: ${app}, remote: ${remote}, checkpoint: ${sst}, error: ${String(r.err)}]\n`);
    if (r.hint) ctx.err(`detail:\n  ${String(r.hint)}\n`);
  }
  return true;
}

export async function startBulkLoad(ctx: ShellContext, argv: string[]): Promise<boolean> {
  const g = getoptLong(argv, 'a:c:p:r:i', [
    { name: 'app_name', hasArg: true, short: 'a' },
    { name: 'cluster_name', hasArg: true, short: 'c' },
    { name: 'file_provider_type', hasArg: true, short: 'p' },
    { name: 'root_path', hasArg: true, short: 'r' },
    { name: 'ingest_behind', hasArg: false, short: 'i' },
  ]);
  if (g.error) return usageError(ctx, g.error);
  const v: Record<string, string> = {};
  for (const x of g.opts) v[x.opt] = x.arg ?? 'true';
  for (const [k, what] of [['a', 'app_name'], ['c', 'cluster_name'], ['p', 'file_provider_type'], ['r', 'remote_root_path']] as const) {
    if (!v[k]) {
      ctx.err(`${what} should not be empty\n`);
      return false;
    }
  }
  const r = await ctx.client.request('start_bulk_load', { app_name: v.a, cluster_name: v.c, file_provider_type: v.p, remote_root_path: v.r });
  if (r.err === 'ERR_OK') ctx.out('start bulk load succeed\n');
  else ctx.err(`start bulk load failed, error=${String(r.err)} [hint:"${String(r.hint ?? '')}"]\n`);
  return true;
}

export async function addBackupPolicy(ctx: ShellContext, argv: string[]): Promise<boolean> {
  const g = getoptLong(argv, 'p:b:a:i:s:c:', [
    { name: 'policy_name', hasArg: true, short: 'p' },
    { name: 'backup_provider_type', hasArg: true, short: 'b' },
    { name: 'app_ids', hasArg: true, short: 'a' },
    { name: 'backup_interval_seconds', hasArg: true, short: 'i' },
    { name: 'start_time', hasArg: true, short: 's' },
    { name: 'backup_history_cnt', hasArg: true, short: 'c' },
  ]);
  if (g.error) return usageError(ctx, g.error);
  const v: Record<string, string> = {};
  for (const x of g.opts) v[x.opt] = x.arg!;
  if (!v.p || !v.b || !v.a || !v.i || !v.s || !v.c) return false;
  const r = await ctx.client.request('add_backup_policy', {
    policy_name: v.p,
    backup_provider_type: v.b,
    app_ids: v.a.split(',').map(Number),
    backup_interval_seconds: Number(v.i),
    start_time: v.s,
    backup_history_count_to_keep: Number(v.c),
  });
  if (r.err === 'ERR_OK') ctx.out(`add backup policy succeed, policy_name = ${v.p}\n`);
  else ctx.out(`add backup policy failed, err = ${String(r.err)}\nhint: ${String(r.hint ?? '')}\n`);
  return true;
}
