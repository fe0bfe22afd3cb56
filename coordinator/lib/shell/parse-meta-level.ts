import { prepare, throwIfFailed, unparsable } from './output';
import { META_LEVELS, MetaLevel, SetMetaLevelResult } from './types';

/**
 * `get_meta_level` and `set_meta_level` (docs/pegasus-internals.md §4.6). The levels are printed with an `fl_`
 * prefix; failures are `get meta level got error ERR_...` / `control meta level got error ERR_...`,
 * and a level the shell cannot parse gives `ERROR: parse <x> as meta function level failed` on
 * stderr (all thrown as ShellCommandError).
 */

/** `current meta level is fl_steady` → `steady` (the *stored* level, not the effective one). */
export function parseGetMetaLevel(text: string, command = 'get_meta_level'): MetaLevel {
  return single(text, command, /^current meta level is fl_([a-z]+)$/i, 'current meta level is fl_<level>');
}

/** `control meta level ok, the old level is fl_steady` → `{ oldLevel: 'steady' }`. */
export function parseSetMetaLevel(text: string, command = 'set_meta_level'): SetMetaLevelResult {
  return { oldLevel: single(text, command, /^control meta level ok, the old level is fl_([a-z]+)$/i, 'control meta level ok, the old level is fl_<level>') };
}

function single(text: string, command: string, re: RegExp, expected: string): MetaLevel {
  const out = prepare(command, text);
  throwIfFailed(out);
  let level: MetaLevel | undefined;
  out.lines.forEach((line, at) => {
    if (line.trim() === '') return;
    const m = re.exec(line.trim());
    if (!m) throw unparsable(out, at, `expected "${expected}"`);
    if (level !== undefined) throw unparsable(out, at, 'the level is printed twice');
    const l = m[1]!.toLowerCase();
    if (!(META_LEVELS as readonly string[]).includes(l)) throw unparsable(out, at, `unknown meta level fl_${l} (expected one of ${META_LEVELS.join(', ')})`);
    level = l as MetaLevel;
  });
  if (level === undefined) throw unparsable(out, undefined, `no output; expected "${expected}"`);
  return level;
}
