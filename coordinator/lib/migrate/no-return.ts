import type { JournalEntry } from './journal';
import type { MigrateParams } from './params';

/**
 * The point of no return. Once a meta has served from the new ensemble, the old tree is stale:
 * Pegasus bumps a partition's ballot on every membership change (`src/replica/replica_config.cpp
 * replica::update_configuration`, `config.ballot++`), replicas ignore configs with an older ballot
 * (`replica::on_config_sync`) and the meta rejects replica-initiated updates whose ballot is not
 * its own plus one (`src/meta/server_state.cpp server_state::on_update_configuration`,
 * ERR_INVALID_VERSION). Metas restarted on the old tree would show a healthy cluster that cannot
 * repair its next failure. From this point on a failure rolls forward, and `zkmig rollback` copies
 * the new tree back onto the old ensemble before starting the metas there.
 */

export const PONR_NOTE = 'point-of-no-return';

/** What the plan, the live output and the summary call it. */
export const PONR_TEXT = 'point of no return: a meta serves from the new ensemble; from here on a failure rolls forward, never back to the old tree';

/** Steps that start a meta which may serve (and so move ballots) on the new ensemble. */
export const NEW_ENSEMBLE_SERVING_STEPS: Record<Exclude<MigrateParams['method'], 'reconfig'>, string> = { copy: 'start-leader', recover: 'recover' };

/**
 * `--method reconfig` has no point of no return: old and new servers are one ensemble with one
 * history (the new servers joined it and synced; nothing was copied), so there is never a stale
 * tree. A rollback at any step reverses the membership and the hosts_list edits (steps-reconfig.ts).
 */
export const RECONFIG_NO_RETURN_WHY = 'reconfig: old and new servers are one ensemble with one history; there is no stale tree, a rollback reverses the config changes';

export function ponrNote(entries: readonly JournalEntry[]): { ts: string; reason: string } | undefined {
  const e = entries.find((x) => x.kind === 'note' && x.text === PONR_NOTE);
  return e && e.kind === 'note' ? { ts: e.ts, reason: String(e.data?.reason ?? '') } : undefined;
}
