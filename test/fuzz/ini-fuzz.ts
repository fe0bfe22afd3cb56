/**
 * A deterministic fuzzer for the config.ini reader and editor (shared/ini), used by the unit fuzz
 * test, by the fuzz over a real agent, and by `npm run fuzz` for longer runs.
 *
 * Inputs are the real Pegasus configs and random mutations of them (flipped bytes, stray `[`, `=`,
 * `;`, `#`, `^`, CR/LF/CRLF mixes, a BOM, tabs, very long lines, duplicated sections and keys,
 * unicode). Properties checked for every (file, edit):
 * - parseIni never throws; applyEdits either returns or throws a typed AppError
 *   (InvalidInputError for a malformed edit, PreconditionError for a file it refuses to edit);
 * - an accepted edit parses back to the same view with just that edit applied, and every line it
 *   did not touch is byte-identical;
 * - setting a key to the value it already has returns the very same bytes;
 * - several edits in one call equal the same edits one by one, and one refused edit refuses the call.
 */
import { AppError, InvalidInputError, PreconditionError } from '../../shared/errors';
import { applyEdits, EditResult, IniEdit, iniView, joinLines, parseIni, splitLines } from '../../shared/ini';
import { mutate, randomEdit, Rng, seedCorpus } from './ini-inputs';

export { mutate, randomEdit, Rng, seedCorpus };

/** What the properties compare: sections in order with their (key, value) entries, and the problems. */
function shape(text: string): { sections: { name: string; entries: [string, string][] }[]; problems: string[] } {
  const v = iniView(parseIni(text));
  return {
    sections: v.sections.map((s) => ({ name: s.name, entries: s.entries.map((e): [string, string] => [e.key, e.value]) })),
    // Line numbers move when a line is added or removed; the problems themselves must not change.
    problems: v.problems.map((p) => p.message.replace(/line \d+/g, 'line N')).sort(),
  };
}

/** The view `before` should have after `e` (given the outcome the editor reported). */
function expectedShape(before: ReturnType<typeof shape>, e: IniEdit, r: EditResult): ReturnType<typeof shape> {
  const out = structuredClone(before);
  const action = r.outcomes[0]?.action;
  const sec = out.sections.find((s) => s.name === e.section);
  if (action === 'section-added') {
    out.sections.push({ name: e.section, entries: [[e.key, e.value ?? '']] });
    return out;
  }
  if (!sec) return out;
  const idx = sec.entries.map((en, i) => (en[0] === e.key ? i : -1)).filter((i) => i >= 0);
  const occ = e.occurrence ?? 0;
  const targets = occ === -1 ? idx : occ > 0 ? idx.slice(occ - 1, occ) : idx;
  if (action === 'removed') sec.entries = sec.entries.filter((_, i) => !targets.includes(i));
  else if (action === 'added') sec.entries.push([e.key, e.value ?? '']);
  else if (action === 'updated') for (const i of targets) (sec.entries[i] as [string, string])[1] = e.value ?? '';
  return out;
}

/**
 * Untouched lines are byte-identical: with the touched lines taken out of both texts, what is left
 * is the same bytes (a last line without a line end may have gained one when a line was added
 * after it, and may lose it when the line after it is removed: "no newline at end of file" moves).
 */
function untouchedPreserved(before: string, after: string, r: EditResult): string | undefined {
  const o = splitLines(before);
  const n = splitLines(after);
  const oc = r.outcomes[0];
  if (!oc) return 'no outcome';
  const touched = new Set(oc.lines.map((l) => l - 1));
  const eq = (a: string, b: string): boolean => a === b || (b.startsWith(a) && /^\r?\n$/.test(b.slice(a.length))) || (a.startsWith(b) && /^\r?\n$/.test(a.slice(b.length)));
  switch (oc.action) {
    case 'unchanged':
    case 'absent-already':
      return before === after ? undefined : `${oc.action} but the bytes changed`;
    case 'updated': {
      if (o.length !== n.length) return 'update changed the line count';
      const keep = (ls: typeof o): string => joinLines(ls.filter((_, i) => !touched.has(i)));
      return keep(o) === keep(n) ? undefined : 'update changed an untouched line';
    }
    case 'added': {
      if (n.length !== o.length + 1) return 'add did not insert exactly one line';
      const ins = oc.lines[0] as number; // the new line is at this 0-based index
      const rest = joinLines(n.filter((_, i) => i !== ins));
      return eq(before, rest) ? undefined : 'add changed an untouched line';
    }
    case 'removed': {
      const rest = joinLines(o.filter((_, i) => !touched.has(i)));
      return eq(rest, after) ? undefined : 'remove changed an untouched line';
    }
    case 'section-added':
      return after.startsWith(before) ? undefined : 'section-add changed existing bytes';
  }
  return `unknown action ${String(oc.action)}`;
}

export interface FuzzFailure {
  reason: string;
  text: string;
  edit: IniEdit;
}

/**
 * Check every property for one (text, edit). Returns undefined when they hold, else what broke.
 * `accepted` tells the caller whether the editor produced a result.
 */
export function checkCase(text: string, edit: IniEdit): { failure?: FuzzFailure; accepted: boolean; result?: EditResult } {
  const fail = (reason: string): { failure: FuzzFailure; accepted: boolean } => ({ failure: { reason, text, edit }, accepted: false });
  let before: ReturnType<typeof shape>;
  try {
    before = shape(text);
  } catch (e) {
    return fail(`parseIni threw ${String(e)}`);
  }
  let r: EditResult;
  try {
    r = applyEdits(text, [edit]);
  } catch (e) {
    if (e instanceof InvalidInputError || e instanceof PreconditionError) {
      if (e.message.trim() === '') return fail('typed error with an empty message');
      return { accepted: false };
    }
    return fail(`applyEdits threw a non-typed ${e instanceof AppError ? e.name : (e as Error)?.constructor?.name}: ${String(e)}`);
  }
  const got = shape(r.content);
  const want = expectedShape(before, edit, r);
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    return fail(`the result does not parse back to the view with the edit applied:\n  want ${JSON.stringify(want).slice(0, 2000)}\n  got  ${JSON.stringify(got).slice(0, 2000)}\n  out  ${JSON.stringify(r.content.slice(0, 500))}`);
  }
  const bytes = untouchedPreserved(text, r.content, r);
  if (bytes) return fail(bytes);
  // Re-applying the same edit is a no-op, byte for byte (idempotence). Not for "the Nth
  // occurrence", which names a different line once the first one is gone.
  if ((edit.occurrence ?? 0) > 0) return { accepted: true, result: r };
  try {
    const again = applyEdits(r.content, [edit]);
    if (again.content !== r.content) return fail('applying the same edit twice changed the file again');
  } catch (e) {
    return fail(`applying the same edit again threw ${String(e)}`);
  }
  return { accepted: true, result: r };
}

/** A no-op edit (a single-defined key set to its own value) must return the same bytes. */
export function checkNoop(rng: Rng, text: string): FuzzFailure | undefined {
  const v = iniView(parseIni(text));
  if (v.sections.some((s, i) => v.sections.findIndex((x) => x.name === s.name) !== i)) return undefined;
  const single = v.sections.flatMap((s) => s.entries).filter((e) => !v.duplicates.some((d) => d.section === e.section && d.key === e.key));
  if (single.length === 0) return undefined;
  const en = rng.pick(single);
  const edit: IniEdit = { section: en.section, key: en.key, value: en.value };
  try {
    const r = applyEdits(text, [edit]);
    if (r.content !== text || r.changed) return { reason: 'a no-op edit changed the bytes', text, edit };
  } catch (e) {
    // Values Pegasus could hold but an edit may not carry (e.g. a line with a stray \r) are refused, typed.
    if (!(e instanceof InvalidInputError)) return { reason: `a no-op edit threw ${String(e)}`, text, edit };
  }
  return undefined;
}

/**
 * Several edits in one call equal the same edits one after the other (each checked on its own),
 * and a call with any refused edit is refused as a whole, with a typed error.
 */
export function checkSequence(text: string, edits: IniEdit[]): FuzzFailure | undefined {
  let cur = text;
  let refused = false;
  for (const e of edits) {
    const c = checkCase(cur, e);
    if (c.failure) return c.failure;
    if (!c.accepted || !c.result) {
      refused = true;
      break;
    }
    cur = c.result.content;
  }
  try {
    const all = applyEdits(text, edits);
    if (refused) return { reason: 'a call with a refused edit was accepted as a whole', text, edit: edits[0] as IniEdit };
    if (all.content !== cur) return { reason: `${edits.length} edits in one call differ from the same edits one by one: ${JSON.stringify(edits)}`, text, edit: edits[0] as IniEdit };
  } catch (e) {
    if (!(e instanceof InvalidInputError || e instanceof PreconditionError)) return { reason: `applyEdits with ${edits.length} edits threw ${String(e)}`, text, edit: edits[0] as IniEdit };
    if (!refused) return { reason: `${edits.length} edits refused together but accepted one by one: ${(e as Error).message}`, text, edit: edits[0] as IniEdit };
  }
  return undefined;
}

export interface FuzzStats {
  cases: number;
  accepted: number;
  refused: number;
}

/** Run `iterations` cases from `seed`; stops at the first failure. */
export function fuzzIni(seed: number, iterations: number): { stats: FuzzStats; failure?: FuzzFailure & { iteration: number } } {
  const rng = new Rng(seed);
  const corpus = seedCorpus();
  const stats: FuzzStats = { cases: 0, accepted: 0, refused: 0 };
  for (let i = 0; i < iterations; i++) {
    let text = rng.pick(corpus);
    for (let m = rng.int(4); m > 0; m--) text = mutate(rng, text);
    const noop = checkNoop(rng, text);
    if (noop) return { stats, failure: { ...noop, iteration: i } };
    if (rng.chance(0.2)) {
      const edits = Array.from({ length: 2 + rng.int(3) }, () => randomEdit(rng, text));
      const f = checkSequence(text, edits);
      if (f) return { stats, failure: { ...f, iteration: i } };
    }
    const edit = randomEdit(rng, text);
    const r = checkCase(text, edit);
    stats.cases++;
    if (r.failure) return { stats, failure: { ...r.failure, iteration: i } };
    if (r.accepted) stats.accepted++;
    else stats.refused++;
  }
  return { stats };
}
