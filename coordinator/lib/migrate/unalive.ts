import { UsageError } from '../../../shared/errors';
import type { MigrateParams } from './params';
import type { PreflightFacts } from './preflight';

/**
 * `--allow-unalive` (recover) is not only a data loss. A replica server left out of `recover`
 * that held the only replicas of a table leaves that table missing from the recovered tree (or a
 * `__drop_holder__`); when the server comes back and reports those replicas, every leader hits
 * the CHECK "gpid(...) on node(...) is not exist on meta server" in
 * `src/meta/server_state.cpp, server_state::on_config_sync` and aborts: a crash loop of the whole
 * meta group, not a lost table (docs/pegasus-internals.md §8.19). So the flag takes a second,
 * separate confirmation: a typed "yes" on a terminal, or `--yes-unalive` where nobody can type.
 */

export const UNALIVE_RISK =
  'a replica server left out of the recovery that comes back later holding replicas of a table missing from the recovered tree makes every meta abort ' +
  '(CHECK "gpid(...) on node(...) is not exist on meta server", src/meta/server_state.cpp, server_state::on_config_sync): the whole meta group crash-loops until that server is wiped or kept away';

export function unaliveApplies(p: Pick<MigrateParams, 'method' | 'allowUnalive' | 'dryRun'>): boolean {
  return p.method === 'recover' && p.allowUnalive && !p.dryRun;
}

/**
 * Up front, before anything is read or journaled: without someone at a terminal to type the
 * second "yes" (no terminal, --yes or --json), only --yes-unalive confirms.
 */
export function requireUnaliveConfirmable(o: { method: string; allowUnalive?: boolean; dryRun?: boolean; yes?: boolean; json?: boolean; yesUnalive?: boolean }, interactive: boolean): void {
  if (o.method !== 'recover' || !o.allowUnalive || o.dryRun || o.yesUnalive) return;
  if (interactive && !o.yes && !o.json) return;
  throw new UsageError(`--allow-unalive needs a second confirmation: ${UNALIVE_RISK}. Type "yes" when asked on a terminal (without --yes), or pass --yes-unalive as well; nothing was changed`);
}

/** The plan's lines about it: which servers are left out, and the risk. */
export function unalivePlanLines(params: MigrateParams, f: PreflightFacts): string[] {
  if (params.method !== 'recover' || !params.allowUnalive) return [];
  const out = f.nodes.filter((n) => n.status !== 'ALIVE').map((n) => n.address);
  return [`  --allow-unalive: recovering without ${out.length ? out.join(', ') : 'any UNALIVE server (none now)'}; RISK: ${UNALIVE_RISK}`];
}
