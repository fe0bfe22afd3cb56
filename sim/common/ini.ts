import * as fs from 'node:fs';
import { InvalidInputError } from '../../shared/errors';

/**
 * A read-only copy of the way Pegasus (rDSN `dsn::configuration::load`, src/utils/configuration.cpp,
 * v2.5.0) reads config.ini, so the simulator sees exactly what a real meta server would:
 *
 * - leading spaces, tabs and `\r` are skipped; key and value are trimmed;
 * - `#` and `;` start a comment ANYWHERE on a line (also after a value), unless escaped as `^#` /
 *   `^;`, which stand for a literal `#` / `;`;
 * - `[name]` opens a section (name trimmed); a section defined twice is an error, as is a line that
 *   starts with `[` and contains `=`, or a key before any section;
 * - `key = value`; a line without `=` is a key with an empty value;
 * - a key defined twice in one section: the FIRST wins, with a warning (Pegasus prints
 *   `WARNING: skip redefinition of option ...`);
 * - a whole value of the form `%name%` (more than 2 characters) reads as empty: that is Pegasus's
 *   "argument not provided" rule for `%port%`-style placeholders;
 * - `%{...}` placeholders (`/pegasus/%{cluster.name}`) are NOT expanded. Pegasus never expands
 *   them: deployment tools (minos, run.sh) render them before the file reaches the server. A value
 *   that still holds one is used literally, as the real server would.
 *
 * Typed getters follow `dsn_config_get_value_*`: a missing key gives the default; a numeric or
 * boolean value that does not parse also gives the default (release builds of Pegasus assert only in
 * debug), and we report it in `warnings` so the simulator can log it.
 */

export interface IniEntry {
  value: string;
  /** 1-based line number in the file. */
  line: number;
}

export class PegasusIni {
  /** Warnings Pegasus would print while loading (redefined keys) or reading (unparsable values). */
  readonly warnings: string[] = [];

  constructor(
    readonly fileName: string,
    /** Sections in file order; each maps key → entry. */
    readonly sections: Map<string, Map<string, IniEntry>>,
  ) {}

  static load(file: string): PegasusIni {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new InvalidInputError(`read file '${file}' failed, err = ${(e as Error).message}`, { cause: e, context: { file } });
    }
    if (text.length === 0) throw new InvalidInputError(`file '${file}' is empty`, { context: { file } });
    return PegasusIni.parse(text, file);
  }

  static parse(text: string, fileName = '<string>'): PegasusIni {
    const sections = new Map<string, Map<string, IniEntry>>();
    const warnings: string[] = [];
    let current: Map<string, IniEntry> | undefined;
    let currentName = '';
    const lines = text.split('\n');
    // A trailing newline does not make an extra line (Pegasus stops at the end of the buffer).
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    lines.forEach((raw, idx) => {
      const lineno = idx + 1;
      const line = stripComment(raw.replace(/^[ \t\r]+/, ''));
      if (line === '') return;
      const fail = (why?: string): never => {
        throw new InvalidInputError(`${why ? `${why}; ` : ''}unexpected configuration in ${fileName}(line ${lineno}): ${line}`, {
          context: { file: fileName, line: lineno },
        });
      };
      const eq = line.indexOf('=');
      if (line.startsWith('[')) {
        if (eq >= 0) fail();
        const right = line.indexOf(']');
        if (right < 0) fail();
        const name = trim(line.slice(1, right));
        if (name === '') fail();
        if (sections.has(name)) fail(`configuration section '[${name}]' is redefined`);
        current = new Map();
        currentName = name;
        sections.set(name, current);
        return;
      }
      if (!current) fail('configuration section not defined');
      const key = trim(eq >= 0 ? line.slice(0, eq) : line);
      if (key === '') fail();
      const prev = current!.get(key);
      if (prev) {
        warnings.push(`skip redefinition of option [${currentName}] ${key} (line ${lineno}), already defined as [${currentName}] ${key} (line ${prev.line})`);
        return;
      }
      let value = eq >= 0 ? trim(line.slice(eq + 1)) : '';
      if (value.length > 2 && value.startsWith('%') && value.endsWith('%')) value = '';
      current!.set(key, { value, line: lineno });
    });
    const ini = new PegasusIni(fileName, sections);
    ini.warnings.push(...warnings);
    return ini;
  }

  has(section: string, key: string): boolean {
    return this.sections.get(section)?.has(key) ?? false;
  }

  /** Section names sorted the way Pegasus lists them (`std::map` order: byte-wise ascending). */
  sectionNames(): string[] {
    return [...this.sections.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Keys of a section in file order. */
  keys(section: string): string[] {
    return [...(this.sections.get(section)?.keys() ?? [])];
  }

  getString(section: string, key: string, def = ''): string {
    return this.sections.get(section)?.get(key)?.value ?? def;
  }

  getBool(section: string, key: string, def: boolean): boolean {
    const e = this.sections.get(section)?.get(key);
    if (!e) return def;
    const v = e.value.toLowerCase();
    if (v === 'true') return true;
    if (v === 'false') return false;
    this.warnings.push(`[${section}] ${key} = "${e.value}" is not a bool, using the default ${def}`);
    return def;
  }

  /** Integer (`buf2int64`: decimal, the whole string must parse). */
  getInt(section: string, key: string, def: number): number {
    const e = this.sections.get(section)?.get(key);
    if (!e) return def;
    if (!/^[+-]?\d+$/.test(e.value)) {
      this.warnings.push(`[${section}] ${key} = "${e.value}" is not an integer, using the default ${def}`);
      return def;
    }
    return Number(e.value);
  }

  /** `get_string_value_list`: split on `splitter`, trim each piece, drop empty pieces. */
  getList(section: string, key: string, splitter = ','): string[] {
    return this.getString(section, key)
      .split(splitter)
      .map(trim)
      .filter((s) => s !== '');
  }
}

/** Cut the line at the first unescaped `#` or `;`, turning `^#` / `^;` into the literal character. */
function stripComment(line: string): string {
  let out = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '#' || c === ';') {
      if (i > 0 && line[i - 1] === '^') {
        out = out.slice(0, -1) + c;
        continue;
      }
      break;
    }
    out += c;
  }
  return out;
}

function trim(s: string): string {
  return s.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
}
