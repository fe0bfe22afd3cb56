import type { JournalEntry } from './journal';

/**
 * The copy method's write freeze in its parts, from the journal alone (so a run finished by
 * `resume` reports them too): each step's duration is its last attempt's, from its step-intent to
 * its step-done entry. What is not journaled (a step that never finished) is left out.
 *
 *   stopMs        stop-leader, and whatever of stop-followers lies after the freeze started (the
 *                 followers' stays-stopped window, stay-stopped.ts, runs before it: the leader
 *                 still serves writes then)
 *   blindMs       set-blind
 *   copyMs        --no-precopy: copy + check-source + recheck-source (the whole copy is frozen)
 *   finalDeltaMs  pre-copy: the last delta written by finalize (or its fallback full copy)
 *   proofMs       pre-copy: the proof that the target equals the frozen source (ACL sweep, digests)
 *   finalizeMs    pre-copy: the whole finalize step (the two above, the table list, the sessions)
 *   configEditMs  update-configs
 *   restartMs     start-leader until the meta port first answers (the agent starts the process;
 *                 older journals: the whole start-leader step, the agent's start grace included)
 *   leaderLoadMs  from then until it serves from the new ensemble (it loads the whole tree first:
 *                 sync_apps_from_remote_storage); the write freeze ends here, often inside the
 *                 agent's start grace (leader-start.ts)
 *   firstHealthMs from then until the cluster first reads healthy (after fd_grace_seconds + a beacon,
 *                 steps-trust.ts: not part of the write freeze)
 */

export interface FreezeParts {
  stopMs?: number;
  blindMs?: number;
  copyMs?: number;
  finalDeltaMs?: number;
  proofMs?: number;
  finalizeMs?: number;
  configEditMs?: number;
  restartMs?: number;
  leaderLoadMs?: number;
  firstHealthMs?: number;
}

interface Done {
  startMs: number;
  endMs: number;
  data: Record<string, unknown>;
}

function stepsDone(entries: readonly JournalEntry[]): Map<string, Done> {
  const intent = new Map<string, number>();
  const out = new Map<string, Done>();
  for (const e of entries) {
    if (e.kind === 'step-intent') intent.set(e.step, Date.parse(e.ts));
    if (e.kind === 'step-done') {
      const end = Date.parse(e.ts);
      out.set(e.step, { startMs: intent.get(e.step) ?? end, endMs: end, data: e.data });
    }
  }
  return out;
}

/**
 * The write-freeze window: from the first `freeze-start` note to the first `freeze-end` note after
 * it (a note's `at`, else its journal time). The summary reports it; the parts below start from it.
 */
export function freezeWindow(entries: readonly JournalEntry[]): { start?: string; end?: string; ms: number | undefined } {
  let start: string | undefined;
  let end: string | undefined;
  for (const e of entries) {
    if (e.kind !== 'note') continue;
    const at = typeof e.data?.at === 'string' ? e.data.at : e.ts;
    if (e.text === 'freeze-start' && start === undefined) start = at;
    if (e.text === 'freeze-end' && start !== undefined && end === undefined) end = at;
  }
  return { start, end, ms: start && end ? Date.parse(end) - Date.parse(start) : undefined };
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Undefined when the run has no copy-method freeze steps done (another method, or too early). */
export function freezeParts(entries: readonly JournalEntry[]): FreezeParts | undefined {
  const d = stepsDone(entries);
  const dur = (...names: string[]): number | undefined => {
    const xs = names.map((n) => d.get(n)).filter((x): x is Done => x !== undefined);
    return xs.length === 0 ? undefined : xs.reduce((a, x) => a + (x.endMs - x.startMs), 0);
  };
  if (!d.has('stop-followers') || (!d.has('finalize') && !d.has('copy'))) return undefined;
  const parts: FreezeParts = {};
  const set = (k: keyof FreezeParts, v: number | undefined): void => {
    if (v !== undefined) parts[k] = v;
  };
  // Only what of stop-followers lies inside the freeze (it starts once they stay stopped).
  const sf = d.get('stop-followers')!;
  const start = freezeWindow(entries).start;
  const fs = start === undefined ? undefined : Date.parse(start);
  const followersInFreeze = fs === undefined ? sf.endMs - sf.startMs : Math.max(0, sf.endMs - Math.max(sf.startMs, fs));
  set('stopMs', followersInFreeze + (dur('stop-leader') ?? 0));
  set('blindMs', dur('set-blind'));
  set('copyMs', dur('copy', 'check-source', 'recheck-source'));
  const fin = d.get('finalize');
  if (fin) {
    const ms = (fin.data.ms ?? {}) as Record<string, unknown>;
    set('finalDeltaMs', num(ms.finalDelta));
    const proof = [ms.proof, ms.aclCheck, ms.digest].map(num).filter((x): x is number => x !== undefined);
    if (proof.length > 0) parts.proofMs = proof.reduce((a, b) => a + b, 0);
    set('finalizeMs', dur('finalize'));
  }
  set('configEditMs', dur('update-configs'));
  // With the port's first answer known (leader-start.ts), the start ends there and the rest is the
  // meta's own (lock, tree load), even when it served inside the agent's start grace.
  const sl = d.get('start-leader');
  const up = num(sl?.data.upAt);
  set('restartMs', sl && up !== undefined ? Math.max(0, up - sl.startMs) : dur('start-leader'));
  const started = up ?? sl?.endMs;
  const serving = num(d.get('wait-leader')?.data.servingAt) ?? num(sl?.data.servingAt);
  const healthy = num(d.get('wait-leader')?.data.healthyAt);
  if (started !== undefined && serving !== undefined) parts.leaderLoadMs = serving - started;
  if (serving !== undefined && healthy !== undefined) parts.firstHealthMs = healthy - serving;
  return parts;
}

/** The pre-copy's duration (precopy step data), when the run had one. */
export function precopyMs(entries: readonly JournalEntry[]): number | undefined {
  const e = entries.find((x) => x.kind === 'step-done' && x.step === 'precopy');
  return e && e.kind === 'step-done' ? num(e.data.precopyMs) : undefined;
}
