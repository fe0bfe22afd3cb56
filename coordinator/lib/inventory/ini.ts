import { shlexSplit } from '../shell/argv';
import { addChild, addGroup, addHost, emptyInventory, expandHostPattern, malformed, RawInventory, RawVar, SourcePos } from './raw';

/**
 * Read an Ansible INI inventory, following `ansible/plugins/inventory/ini.py` (ansible-core 2.x):
 *
 * - `#` and `;` start comment lines; blank lines are skipped;
 * - `[name]` lists hosts, `[name:vars]` sets group variables (`key=value` or `key = value`),
 *   `[name:children]` lists child groups; hosts before any section are in `ungrouped`;
 * - a host line is `pattern[:port] key=value ...`, split like a shell word list with `#` comments;
 * - values are Python literals when they parse as one (`9500` → number, `'x'` → string), else text;
 * - `[x:vars]` for a group never declared and `[x:children]` naming an undeclared group are errors.
 *
 * Errors name the file and line, as Ansible's do.
 */
export function parseIniInventory(text: string, file: string): RawInventory {
  const inv = emptyInventory(file, 'ini');
  /** Groups referenced by `:vars` or `:children` that must be declared somewhere in the file. */
  const pending = new Map<string, { pos: SourcePos; message: string }>();
  let group = inv.groups.get('ungrouped')!;
  let state: 'hosts' | 'vars' | 'children' = 'hosts';
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const pos: SourcePos = { file, line: i + 1 };
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;

    const section = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/.exec(line);
    if (section) {
      const name = section[1]!;
      const kind = section[2] ?? 'hosts';
      if (kind !== 'hosts' && kind !== 'vars' && kind !== 'children') {
        throw malformed(pos, `section [${name}:${kind}] has unknown type "${kind}" (expected hosts, vars or children)`);
      }
      state = kind;
      const known = inv.groups.has(name);
      group = addGroup(inv, name, pos);
      // [name] and [name:children] declare a group; [name:vars] alone does not.
      if (state !== 'vars') pending.delete(name);
      else if (!known && !pending.has(name)) pending.set(name, { pos, message: `section [${name}:vars] is for a group that is never declared` });
      continue;
    }
    if (line.startsWith('[')) {
      throw malformed(pos, `invalid section header "${line}" (expected [group], [group:vars] or [group:children], without spaces)`);
    }

    if (state === 'hosts') {
      let tokens: string[];
      try {
        tokens = shlexSplit(line, { comments: true });
      } catch (e) {
        throw malformed(pos, `cannot parse host line: ${(e as Error).message}`);
      }
      if (tokens.length === 0) continue;
      const [pattern = '', ...assignments] = tokens;
      const vars = new Map<string, RawVar>();
      const { host: hostPattern, port } = splitPort(pattern);
      if (port !== undefined) vars.set('ansible_port', { value: port, pos });
      for (const a of assignments) {
        const eq = a.indexOf('=');
        if (eq <= 0) throw malformed(pos, `expected key=value host variable after host "${pattern}", got "${a}"`);
        vars.set(a.slice(0, eq), { value: parseValue(a.slice(eq + 1)), pos });
      }
      let hosts: string[];
      try {
        hosts = expandHostPattern(hostPattern);
      } catch (e) {
        throw malformed(pos, (e as Error).message);
      }
      for (const h of hosts) addHost(inv, group, h, vars, pos);
    } else if (state === 'vars') {
      const eq = line.indexOf('=');
      if (eq <= 0) throw malformed(pos, `expected key=value in [${group.name}:vars], got "${line}"`);
      const key = line.slice(0, eq).trim();
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw malformed(pos, `"${key}" is not a valid variable name`);
      group.vars.set(key, { value: parseValue(line.slice(eq + 1).trim()), pos });
    } else {
      const child = /^([^:\]\s]+)\s*(?:#.*)?$/.exec(line);
      if (!child) throw malformed(pos, `expected one group name per line in [${group.name}:children], got "${line}"`);
      const name = child[1]!;
      if (!inv.groups.has(name) && !pending.has(name)) {
        pending.set(name, { pos, message: `section [${group.name}:children] includes the undeclared group "${name}"` });
      }
      addGroup(inv, name, pos);
      addChild(group, name);
    }
  }
  const first = pending.values().next();
  if (!first.done) throw malformed(first.value.pos, first.value.message);
  return inv;
}

/**
 * A value as Ansible's INI plugin reads it (`ast.literal_eval`, falling back to the text): quoted
 * strings lose their quotes, integers and floats become numbers, `True`/`False` booleans.
 * Lists and dicts are kept as text; none of zkmig's variables takes one.
 */
export function parseValue(text: string): unknown {
  const t = text.trim();
  const q = /^(['"])(.*)\1$/s.exec(t);
  if (q) return q[2]!.replace(/\\(.)/g, '$1');
  if (/^[+-]?\d+$/.test(t)) return Number(t);
  if (/^[+-]?(\d+\.\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  if (t === 'True') return true;
  if (t === 'False') return false;
  return t;
}

/** `meta1:2222` → host and port; a colon inside a `[1:3]` range is not a port separator. */
function splitPort(pattern: string): { host: string; port?: number } {
  const colon = pattern.lastIndexOf(':');
  if (colon < 0 || !/^\d+$/.test(pattern.slice(colon + 1))) return { host: pattern };
  const head = pattern.slice(0, colon);
  if (head.lastIndexOf('[') > head.lastIndexOf(']')) return { host: pattern };
  return { host: head, port: Number(pattern.slice(colon + 1)) };
}
