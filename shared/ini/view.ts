/**
 * The parsed view of a config.ini that ReadConfig returns and the coordinator's audit reads:
 * sections with their keys, keys defined twice, switched-off `;key` options, problems Pegasus would
 * refuse the file for, and the `%{...}` placeholders left for the deployment tool.
 */
import { IniDocument } from './parse';

export interface IniViewEntry {
  section: string;
  key: string;
  value: string;
  /** 1-based. */
  line: number;
  /** 1-based among the entries with this key in this section. */
  occurrence: number;
  /** The line as written, without its line end. */
  raw: string;
}

export interface IniView {
  sections: { name: string; line: number; entries: IniViewEntry[] }[];
  duplicates: { section: string; key: string; lines: number[] }[];
  commented: IniViewEntry[];
  problems: { line: number; message: string }[];
  placeholders: string[];
  eol: string;
}

export function iniView(doc: IniDocument): IniView {
  const duplicates: IniView['duplicates'] = [];
  const sections = doc.sections.map((s) => {
    const counts = new Map<string, number[]>();
    const entries = s.entries.map((e) => {
      const key = e.key ?? '';
      const lines = counts.get(key) ?? [];
      lines.push(e.index + 1);
      counts.set(key, lines);
      return { section: s.name, key, value: e.value ?? '', line: e.index + 1, occurrence: lines.length, raw: e.text };
    });
    for (const [key, lines] of counts) if (lines.length > 1) duplicates.push({ section: s.name, key, lines });
    return { name: s.name, line: s.header + 1, entries };
  });
  const commented = doc.lines
    .filter((l) => l.commented)
    .map((l) => ({
      section: doc.sections[l.sectionIndex]?.name ?? '',
      key: l.commented?.key ?? '',
      value: l.commented?.value ?? '',
      line: l.index + 1,
      occurrence: 0,
      raw: l.text,
    }));
  const placeholders = new Set<string>();
  for (const l of doc.lines) {
    if (l.kind !== 'entry' && l.kind !== 'section') continue;
    for (const m of l.text.matchAll(/%\{[^}\r\n]*\}/g)) placeholders.add(m[0]);
  }
  return { sections, duplicates, commented, problems: doc.problems, placeholders: [...placeholders].sort(), eol: doc.eol };
}

/** A key to keep in a narrowed view. */
export interface IniKeyRef {
  section: string;
  key: string;
}

/**
 * The view reduced to `keys`: every section header stays (so "section missing" and "key missing"
 * remain distinguishable), but only the entries and commented-out lines of those keys; duplicates,
 * problems, placeholders and eol are about the whole file and stay whole. Pure.
 */
export function narrowView(view: IniView, keys: readonly IniKeyRef[]): IniView {
  const wanted = new Set(keys.map((k) => `${k.section}\0${k.key}`));
  const keep = (e: IniViewEntry): boolean => wanted.has(`${e.section}\0${e.key}`);
  return {
    ...view,
    sections: view.sections.map((s) => ({ name: s.name, line: s.line, entries: s.entries.filter(keep) })),
    commented: view.commented.filter(keep),
  };
}
