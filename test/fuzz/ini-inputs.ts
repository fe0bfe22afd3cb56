/**
 * Inputs of the INI fuzzer (test/fuzz/ini-fuzz.ts): a seeded PRNG, the seed corpus of real Pegasus
 * configs, mutations of them, and random edits (mostly sensible, some malformed on purpose).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IniEdit, iniView, parseIni } from '../../shared/ini';
import { PEGASUS_CONFIG_FIXTURE, PEGASUS_SHELL_CONFIG_FIXTURE } from '../harness/fixtures';

/** mulberry32: tiny, fast, and the same sequence for the same seed on every machine. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** Repository root from dist/test/fuzz/. */
const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** The seed corpus: the real Pegasus configs plus small files that stress the syntax rules. */
export function seedCorpus(): string[] {
  const files = [PEGASUS_CONFIG_FIXTURE, PEGASUS_SHELL_CONFIG_FIXTURE];
  const dir = path.join(REPO_ROOT, 'test', 'fixtures', 'bad-input', 'config-ini');
  if (fs.existsSync(dir)) for (const f of fs.readdirSync(dir).sort()) if (f.endsWith('.ini')) files.push(path.join(dir, f));
  const texts = files.filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f, 'utf8'));
  texts.push(
    '[a]\nk = v\n',
    '[a]\r\nk=v ; c\r\n[b]\r\nx\r\n',
    '\uFEFF[zookeeper]\nhosts_list = h:2181\n',
    '[a]\nk = v',
    '',
    '[a]\n  k = ^; not a comment  # c\n\tt=\t1\n;off = 2\n',
  );
  return texts;
}

const SPICE = ['[', ']', '=', ';', '#', '^', '\r', '\n', '\r\n', '\t', ' ', '\uFEFF', 'é', '\u00a0', '𝄞', '\u2028', '\v', '%{x}', '^;', '^#', '\0'];

/** One random mutation of `text`. */
export function mutate(rng: Rng, text: string): string {
  const at = (): number => rng.int(text.length + 1);
  const lines = text.split('\n');
  switch (rng.int(10)) {
    case 0: {
      // Flip a character into another code unit (stays a JS string; the agent fuzz makes real bytes).
      if (text.length === 0) return rng.pick(SPICE);
      const i = rng.int(text.length);
      return text.slice(0, i) + String.fromCharCode(rng.int(0x250)) + text.slice(i + 1);
    }
    case 1:
    case 2: {
      const i = at();
      return text.slice(0, i) + rng.pick(SPICE) + text.slice(i);
    }
    case 3:
      // Line-end soup.
      return text.replace(/\r?\n/g, () => rng.pick(['\n', '\r\n', '\r\r\n', '\n']));
    case 4:
      return (rng.chance(0.5) ? '\uFEFF' : '') + text.replace(/^ +/gm, () => (rng.chance(0.3) ? '\t' : ' '));
    case 5: {
      const i = at();
      return text.slice(0, i) + rng.pick(['x', ';', '=', ' ']).repeat(1000 + rng.int(20000)) + text.slice(i);
    }
    case 6: {
      // Duplicate a line (a section header or a key) somewhere else.
      const l = rng.pick(lines);
      lines.splice(rng.int(lines.length + 1), 0, l);
      return lines.join('\n');
    }
    case 7: {
      lines.splice(rng.int(lines.length + 1), 0, rng.pick(['[dup]', '[zookeeper]', '[meta_server]', 'k = 1', '= v', '[x = y]', '[', '[]', 'bare', '  ;c = 1']));
      return lines.join('\n');
    }
    case 8: {
      if (text.length === 0) return text;
      const i = rng.int(text.length);
      return text.slice(0, i) + text.slice(i + 1 + rng.int(20));
    }
    default:
      return text.slice(0, at());
  }
}

const VALUE_PARTS = ['h1:2181', '/pegasus/c1', 'true', '', ' ', 'a;b', 'a#b', '^', '^;', 'x^', '=', '[v]', 'é', '𝄞', '\t', '%{home}', '0', 'a b'];
const BAD_VALUES = ['a\nb', 'a\rb', 'a\0b', ' lead', 'trail ', '\tx'];
const BAD_NAMES = ['', ' a', 'a b', 'a=b', 'a;b', 'a#b', 'a\nb', 'a\0b', '[a', 'a]'];

/** A random edit against `text`: mostly existing sections and keys, sometimes new or malformed. */
export function randomEdit(rng: Rng, text: string): IniEdit {
  const view = iniView(parseIni(text));
  const entries = view.sections.flatMap((s) => s.entries);
  const e: IniEdit = { section: 'zookeeper', key: 'hosts_list' };
  const roll = rng.int(10);
  if (roll < 6 && entries.length > 0) {
    const en = rng.pick(entries);
    e.section = en.section;
    e.key = en.key;
  } else if (roll < 8 && view.sections.length > 0) {
    e.section = rng.pick(view.sections).name;
    e.key = `new_key_${rng.int(100)}`;
  } else {
    e.section = rng.chance(0.3) ? rng.pick(BAD_NAMES) : `sec${rng.int(5)}`;
    e.key = rng.chance(0.3) ? rng.pick(BAD_NAMES) : `k${rng.int(5)}`;
    e.createSection = rng.chance(0.7);
  }
  if (rng.chance(0.15)) e.absent = true;
  else {
    let v = '';
    for (let n = rng.int(4); n > 0; n--) v += rng.pick(VALUE_PARTS);
    v = v.trim();
    if (rng.chance(0.05)) v = rng.pick(BAD_VALUES);
    e.value = v;
  }
  const occ = rng.int(10);
  if (occ === 0) e.occurrence = -1;
  else if (occ === 1) e.occurrence = 1 + rng.int(2);
  return e;
}
