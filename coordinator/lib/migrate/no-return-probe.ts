import { toAppError } from '../../../shared/errors';
import type { JournalEntry } from './journal';
import { NEW_ENSEMBLE_SERVING_STEPS, ponrNote, RECONFIG_NO_RETURN_WHY } from './no-return';
import type { MigrateParams } from './params';
import type { PreflightFacts } from './preflight';
import { connectZk } from './preflight';
import { fingerprint, isEmptyRoot } from '../zk/tree-read';

/** Whether a run is past the point of no return (no-return.ts), from its journal and the target tree. */

export interface NoReturn {
  past: boolean;
  /** Why (or why not), for the plan, the warning and the journal. */
  why: string;
}

/**
 * Whether the run is past the point of no return: journaled (the coordinator saw a meta serve
 * from the new ensemble), or, when a coordinator may have died before it could see it, the target
 * tree proves it: for copy it no longer has the digest the copy verified (the meta wrote to it),
 * for recover `apps` has children (the recovery wrote the tree and the meta serves from it).
 * A target that cannot be read is reported; only the journal decides then.
 */
export async function pointOfNoReturn(entries: readonly JournalEntry[], params: MigrateParams, facts: PreflightFacts | undefined, o: { connectTimeoutMs?: number } = {}): Promise<NoReturn> {
  if (params.method === 'reconfig') return { past: false, why: RECONFIG_NO_RETURN_WHY };
  const noted = ponrNote(entries);
  if (noted) return { past: true, why: `passed at ${noted.ts}: ${noted.reason}` };
  const step = NEW_ENSEMBLE_SERVING_STEPS[params.method];
  const started = entries.some((e) => e.kind === 'step-intent' && e.step === step);
  if (!started || !facts) return { past: false, why: `no meta was started to serve from ${params.to} (step ${step} never ran)` };
  try {
    if (params.method === 'copy') {
      const copied = lastDigest(entries);
      const now = await fingerprint(facts.target, facts.root);
      if (!now.exists) return { past: false, why: `${facts.target}${facts.root} does not exist: no meta served from it` };
      if (copied && now.digest === copied) return { past: false, why: `${facts.target}${facts.root} still has the digest the copy verified: no meta changed it` };
      return { past: true, why: `${facts.target}${facts.root} changed since the copy (digest ${now.digest.slice(7, 19)}): a meta served from it` };
    }
    const dst = await connectZk(facts.target, 'target', o.connectTimeoutMs ?? 4000);
    try {
      const apps = await isEmptyRoot(dst, facts.root === '/' ? '/apps' : `${facts.root}/apps`);
      if (apps.children > 0) return { past: true, why: `${facts.target}${facts.root}/apps holds the recovered tree (${apps.children} table(s)): a meta served from it` };
      return { past: false, why: `${facts.target}${facts.root}/apps is empty: the recovery did not write the tree` };
    } finally {
      dst.close();
    }
  } catch (e) {
    return { past: false, why: `the journal records no meta serving from ${params.to}, and the target cannot be read to check (${toAppError(e).message.split('\n')[0]})` };
  }
}

/** The digest of the tree as last copied and verified (recheck-source, check-source, copy; finalize with the pre-copy). */
function lastDigest(entries: readonly JournalEntry[]): string | undefined {
  let d: string | undefined;
  for (const e of entries) if (e.kind === 'step-done' && ['copy', 'check-source', 'recheck-source', 'finalize'].includes(e.step) && typeof e.data.digest === 'string') d = e.data.digest;
  return d;
}
