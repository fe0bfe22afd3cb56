/**
 * GNU `getopt_long` as the Pegasus shell uses it (optind = 0, so argument permutation is on):
 * options may come before or after positional arguments, short options cluster (`-dj`), a required
 * argument is the rest of the cluster or the next word, long options take `--name value` or
 * `--name=value` and may be abbreviated to a unique prefix, `--` ends the options. Errors carry the
 * exact glibc message, which the real shell prints to stderr before its USAGE line.
 */

export interface LongOption {
  name: string;
  hasArg: boolean;
  short: string;
}

export interface GetoptResult {
  /** Options in the order given: the short letter and its argument. */
  opts: { opt: string; arg?: string }[];
  positional: string[];
  /** glibc's message for the first bad option; parsing stops there. */
  error?: string;
}

export function getoptLong(argv: string[], shortSpec: string, longs: LongOption[]): GetoptResult {
  const prog = argv[0] ?? '';
  const res: GetoptResult = { opts: [], positional: [] };
  const shortHasArg = (c: string): boolean | undefined => {
    const i = shortSpec.indexOf(c);
    if (i < 0 || c === ':') return undefined;
    return shortSpec[i + 1] === ':';
  };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      res.positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      const exact = longs.find((l) => l.name === name);
      const matches = exact ? [exact] : longs.filter((l) => l.name.startsWith(name));
      if (matches.length === 0) return { ...res, error: `${prog}: unrecognized option '--${name}'` };
      if (matches.length > 1 && new Set(matches.map((m) => m.short)).size > 1) {
        return { ...res, error: `${prog}: option '--${name}' is ambiguous; possibilities:${matches.map((m) => ` '--${m.name}'`).join('')}` };
      }
      const l = matches[0]!;
      if (!l.hasArg) {
        if (eq >= 0) return { ...res, error: `${prog}: option '--${l.name}' doesn't allow an argument` };
        res.opts.push({ opt: l.short });
      } else if (eq >= 0) {
        res.opts.push({ opt: l.short, arg: a.slice(eq + 1) });
      } else if (i + 1 < argv.length) {
        res.opts.push({ opt: l.short, arg: argv[++i]! });
      } else {
        return { ...res, error: `${prog}: option '--${l.name}' requires an argument` };
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j]!;
        const has = shortHasArg(c);
        if (has === undefined) return { ...res, error: `${prog}: invalid option -- '${c}'` };
        if (!has) {
          res.opts.push({ opt: c });
          continue;
        }
        if (j + 1 < a.length) res.opts.push({ opt: c, arg: a.slice(j + 1) });
        else if (i + 1 < argv.length) res.opts.push({ opt: c, arg: argv[++i]! });
        else return { ...res, error: `${prog}: option requires an argument -- '${c}'` };
        break;
      }
      continue;
    }
    res.positional.push(a);
  }
  return res;
}
