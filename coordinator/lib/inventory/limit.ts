import { UsageError } from '../../../shared/errors';
import { Inventory, PegasusCluster } from './types';

/**
 * Ansible's host patterns (`ansible/inventory/manager.py`), for `-l/--limit`:
 *
 * - terms separated by `,` (or by `:` when the pattern has no comma), e.g. `c1,c2` or `c1:c2`;
 * - a term is `all` or `*`, a group name, a host name, a glob (`meta*`, `c?-meta[12]*`), or
 *   `~REGEX` (searched in group and host names); a glob or regex matches groups and hosts;
 * - `GROUP[0]`, `GROUP[1:2]` (inclusive), `GROUP[-1]`: a slice of what the term matched;
 * - `&TERM` keeps only hosts also in TERM, `!TERM` removes TERM's hosts. As in Ansible, plain
 *   terms are joined first, then `&` terms intersect, then `!` terms remove, whatever their
 *   order; a pattern of only `&`/`!` terms starts from `all`.
 */
export interface LimitResult {
  hosts: Set<string>;
  /** Terms that matched nothing (Ansible warns "Could not match supplied host pattern"). */
  unmatched: string[];
}

export function matchHosts(inv: Pick<Inventory, 'groups' | 'hosts'>, pattern: string): LimitResult {
  const terms = splitPattern(pattern);
  if (terms.length === 0) throw new UsageError(`--limit "${pattern}" is empty`);
  const plain = terms.filter((x) => !x.startsWith('!') && !x.startsWith('&'));
  const inter = terms.filter((x) => x.startsWith('&')).map((x) => x.slice(1));
  const excl = terms.filter((x) => x.startsWith('!')).map((x) => x.slice(1));
  const unmatched: string[] = [];
  const eval1 = (term: string): string[] => {
    const r = matchTerm(inv, term);
    if (r.length === 0) unmatched.push(term);
    return r;
  };
  let hosts = plain.length === 0 ? [...inv.hosts] : dedupe(plain.flatMap(eval1));
  for (const t of inter) {
    const keep = new Set(eval1(t));
    hosts = hosts.filter((h) => keep.has(h));
  }
  for (const t of excl) {
    const drop = new Set(eval1(t));
    hosts = hosts.filter((h) => !drop.has(h));
  }
  return { hosts: new Set(hosts), unmatched };
}

/** The clusters with only the metas `pattern` selects; clusters left empty are dropped. */
export function limitClusters(inv: Inventory, clusters: readonly PegasusCluster[], pattern: string): { clusters: PegasusCluster[]; warnings: string[] } {
  const { hosts, unmatched } = matchHosts(inv, pattern);
  const out = clusters.map((c) => ({ ...c, metas: c.metas.filter((m) => hosts.has(m.name)) })).filter((c) => c.metas.length > 0);
  const warnings = unmatched.map((t) => `--limit: "${t}" matches no group or host of the inventory`);
  if (out.length === 0) {
    throw new UsageError(
      `--limit "${pattern}" selects no meta server of ${clusters.length === 1 ? `cluster ${clusters[0]!.name}` : `the clusters ${clusters.map((c) => c.name).join(', ')}`}` +
        (unmatched.length > 0 ? ` ("${unmatched.join('", "')}" matches nothing in the inventory)` : ''),
    );
  }
  return { clusters: out, warnings };
}

function dedupe(xs: string[]): string[] {
  return [...new Set(xs)];
}

/** Split on commas, or on colons when there is no comma; `[...]` and IPv6 addresses stay whole. */
export function splitPattern(pattern: string): string[] {
  const sep = pattern.includes(',') ? ',' : ':';
  const terms: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of pattern) {
    if (ch === '[') depth++;
    if (ch === ']') depth = Math.max(0, depth - 1);
    if (ch === sep && depth === 0 && !(sep === ':' && cur.startsWith('~'))) {
      terms.push(cur);
      cur = '';
    } else cur += ch;
  }
  terms.push(cur);
  // A bare IPv6 address (several colons, hex only) is one term.
  if (sep === ':' && /^[0-9a-fA-F:]+$/.test(pattern) && (pattern.match(/:/g)?.length ?? 0) >= 2) return [pattern];
  return terms.map((x) => x.trim()).filter((x) => x !== '');
}

function matchTerm(inv: Pick<Inventory, 'groups' | 'hosts'>, term: string): string[] {
  const sub = /^(.+?)\[(-?\d*)(?::(-?\d*))?\]$/.exec(term);
  // `meta[1:3]` could be a host range in a name; it is a subscript when the base matches something.
  if (sub && !term.startsWith('~')) {
    const base = matchTerm(inv, sub[1]!);
    if (base.length > 0) return slice(base, sub[2]!, sub[3]);
  }
  if (term === 'all' || term === '*') return [...inv.hosts];
  let test: (name: string) => boolean;
  let special: boolean;
  if (term.startsWith('~')) {
    let re: RegExp;
    try {
      re = new RegExp(term.slice(1));
    } catch (e) {
      throw new UsageError(`--limit: "${term}" is not a valid regular expression: ${(e as Error).message}`);
    }
    test = (n) => re.test(n);
    special = true;
  } else if (/[*?[]/.test(term)) {
    const re = globToRegExp(term);
    test = (n) => re.test(n);
    special = true;
  } else {
    test = (n) => n === term;
    special = false;
  }
  const fromGroups = Object.keys(inv.groups).filter(test).flatMap((g) => inv.groups[g]!);
  const fromHosts = fromGroups.length === 0 || special ? inv.hosts.filter(test) : [];
  return dedupe([...fromGroups, ...fromHosts]);
}

function slice(list: string[], a: string, b: string | undefined): string[] {
  const idx = (s: string, dflt: number): number => {
    if (s === '') return dflt;
    const n = Number(s);
    return n < 0 ? list.length + n : n;
  };
  if (b === undefined) {
    const i = idx(a, 0);
    return i >= 0 && i < list.length ? [list[i]!] : [];
  }
  return list.slice(idx(a, 0), idx(b, list.length - 1) + 1);
}

/** fnmatch: `*`, `?`, `[abc]`, `[!abc]`, the rest literal, anchored. */
function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else if (ch === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        let cls = glob.slice(i + 1, end);
        if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
        re += `[${cls.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += ch.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
