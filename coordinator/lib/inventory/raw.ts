import { InvalidInputError } from '../../../shared/errors';

/**
 * An inventory as read from a file, before any variable is resolved: the same shape whether it
 * came from INI or YAML. Every definition keeps where it was written so that errors can name the
 * file and line.
 */

export interface SourcePos {
  file: string;
  /** 1-based line number, when known. */
  line?: number;
}

export interface RawVar {
  value: unknown;
  pos: SourcePos;
}

export interface RawGroup {
  name: string;
  /** Hosts listed directly under the group, in order of first appearance. */
  hosts: string[];
  vars: Map<string, RawVar>;
  /** Child group names, in order. */
  children: string[];
  /** Where the group was first declared. */
  pos: SourcePos;
}

/** The three forms `-i` accepts: an INI or YAML inventory file, or `ansible-inventory --list` JSON. */
export type InventoryFormat = 'ini' | 'yaml' | 'ansible-json';

export interface RawInventory {
  file: string;
  format: InventoryFormat;
  /** Always holds `all` and `ungrouped`. */
  groups: Map<string, RawGroup>;
  /** Host variables set on host lines / under `hosts:`, per host. */
  hostVars: Map<string, Map<string, RawVar>>;
  /** Where each host first appeared. */
  hostPos: Map<string, SourcePos>;
  /**
   * Variables from the `group_vars/` and `host_vars/` directories beside the inventory file
   * (Ansible's host_group_vars plugin). They rank above the inventory file's own group and host
   * variables, in Ansible's default `VARIABLE_PRECEDENCE`.
   */
  groupVarFiles: Map<string, Map<string, RawVar>>;
  hostVarFiles: Map<string, Map<string, RawVar>>;
}

export function emptyInventory(file: string, format: InventoryFormat): RawInventory {
  const inv: RawInventory = { file, format, groups: new Map(), hostVars: new Map(), hostPos: new Map(), groupVarFiles: new Map(), hostVarFiles: new Map() };
  addGroup(inv, 'all', { file });
  addGroup(inv, 'ungrouped', { file });
  return inv;
}

export function addGroup(inv: RawInventory, name: string, pos: SourcePos): RawGroup {
  let g = inv.groups.get(name);
  if (!g) {
    g = { name, hosts: [], vars: new Map(), children: [], pos };
    inv.groups.set(name, g);
  }
  return g;
}

export function addHost(inv: RawInventory, group: RawGroup, host: string, vars: Map<string, RawVar>, pos: SourcePos): void {
  if (!group.hosts.includes(host)) group.hosts.push(host);
  if (!inv.hostPos.has(host)) inv.hostPos.set(host, pos);
  let hv = inv.hostVars.get(host);
  if (!hv) inv.hostVars.set(host, (hv = new Map()));
  // A host listed twice keeps the union of its variables; the later definition wins (as in Ansible).
  for (const [k, v] of vars) hv.set(k, v);
}

export function addChild(parent: RawGroup, child: string): void {
  if (!parent.children.includes(child)) parent.children.push(child);
}

export function where(pos: SourcePos): string {
  return pos.line === undefined ? pos.file : `${pos.file}:${pos.line}`;
}

/** An error in the inventory file itself, naming file and line. */
export function malformed(pos: SourcePos, message: string): InvalidInputError {
  return new InvalidInputError(`${where(pos)}: ${message}`, { context: { file: pos.file, line: pos.line } });
}

/**
 * Expand Ansible host ranges: `meta[1:3].example.com` → meta1, meta2, meta3; `db[01:10:2]` keeps
 * the zero padding; `node[a:c]` ranges over letters. Several ranges multiply. Same rules as
 * `ansible.inventory.helpers.expand_hostname_range` (begin may be omitted and means 0; a padded
 * begin and the end must have the same width).
 */
export function expandHostPattern(pattern: string): string[] {
  const open = pattern.indexOf('[');
  if (open < 0) return [pattern];
  const close = pattern.indexOf(']', open);
  if (close < 0) throw new InvalidInputError(`host pattern "${pattern}" has "[" without "]"`);
  const head = pattern.slice(0, open);
  const range = pattern.slice(open + 1, close);
  const tails = expandHostPattern(pattern.slice(close + 1));
  const parts = range.split(':');
  if (parts.length < 2 || parts.length > 3) throw new InvalidInputError(`host pattern "${pattern}": range "[${range}]" is not [begin:end] or [begin:end:step]`);
  const [begRaw = '', end = '', stepText = '1'] = parts;
  const beg = begRaw === '' ? '0' : begRaw;
  if (end === '') throw new InvalidInputError(`host pattern "${pattern}": range "[${range}]" has no end`);
  if (!/^[1-9]\d*$/.test(stepText)) throw new InvalidInputError(`host pattern "${pattern}": step "${stepText}" is not a positive integer`);
  const step = Number(stepText);
  let seq: string[];
  if (/^\d+$/.test(beg) && /^\d+$/.test(end)) {
    const width = beg.length > 1 && beg.startsWith('0') ? beg.length : 0;
    if (width > 0 && width !== end.length) throw new InvalidInputError(`host pattern "${pattern}": padded range "[${range}]" needs begin and end of equal width`);
    const b = Number(beg);
    const e = Number(end);
    if (b > e) throw new InvalidInputError(`host pattern "${pattern}": range begins after it ends`);
    if ((e - b) / step > 10000) throw new InvalidInputError(`host pattern "${pattern}": range is too large`);
    seq = [];
    for (let i = b; i <= e; i += step) seq.push(String(i).padStart(width, '0'));
  } else if (/^[A-Za-z]$/.test(beg) && /^[A-Za-z]$/.test(end)) {
    const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
    const b = letters.indexOf(beg);
    const e = letters.indexOf(end);
    if (b > e) throw new InvalidInputError(`host pattern "${pattern}": range begins after it ends`);
    seq = [];
    for (let i = b; i <= e; i += step) seq.push(letters[i]!);
  } else {
    throw new InvalidInputError(`host pattern "${pattern}": range "[${range}]" must be numeric or single letters`);
  }
  return seq.flatMap((x) => tails.map((t) => head + x + t));
}
