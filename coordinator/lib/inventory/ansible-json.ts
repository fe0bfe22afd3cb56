import { addChild, addGroup, addHost, emptyInventory, malformed, RawInventory, RawVar } from './raw';

/**
 * Read the output of `ansible-inventory -i SOURCE --list` (optionally with `--export`): the third
 * form `-i` accepts, for inventories that only Ansible itself can read (dynamic inventory
 * plugins, vault, Jinja in variables, ...). Its shape (`ansible/cli/inventory.py`
 * `InventoryCLI.json_inventory`):
 *
 * ```json
 * {"_meta": {"hostvars": {"meta1": {"meta_port": 34601}}},
 *  "all": {"children": ["ungrouped", "c1"]},
 *  "c1": {"hosts": ["meta1"], "vars": {...}}}
 * ```
 *
 * Without `--export` the host variables are already merged by Ansible (group variables and the
 * group_vars/ and host_vars/ files included), so they are taken as host variables as they are.
 */
export function parseAnsibleJson(doc: unknown, file: string): RawInventory {
  const pos = { file };
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw malformed(pos, 'ansible-inventory JSON must be an object');
  const root = doc as Record<string, unknown>;
  const inv = emptyInventory(file, 'ansible-json');
  const meta = root['_meta'];
  const hostvars = (typeof meta === 'object' && meta !== null ? (meta as Record<string, unknown>)['hostvars'] : undefined) ?? {};
  if (typeof hostvars !== 'object' || Array.isArray(hostvars)) throw malformed(pos, '"_meta.hostvars" must be an object');
  const varsOf = (obj: unknown, what: string): Map<string, RawVar> => {
    const m = new Map<string, RawVar>();
    if (obj === undefined || obj === null) return m;
    if (typeof obj !== 'object' || Array.isArray(obj)) throw malformed(pos, `${what} must be an object`);
    for (const [k, v] of Object.entries(obj as Record<string, unknown>)) m.set(k, { value: v, pos });
    return m;
  };
  const list = (v: unknown, what: string): string[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw malformed(pos, `${what} must be a list of names`);
    return v as string[];
  };
  for (const [name, body] of Object.entries(root)) {
    if (name === '_meta') continue;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw malformed(pos, `group "${name}" must be an object of hosts, children and vars`);
    const g = addGroup(inv, name, pos);
    const b = body as Record<string, unknown>;
    for (const [k, v] of varsOf(b['vars'], `vars of group "${name}"`)) g.vars.set(k, v);
    for (const c of list(b['children'], `children of group "${name}"`)) {
      addGroup(inv, c, pos);
      addChild(g, c);
    }
    for (const h of list(b['hosts'], `hosts of group "${name}"`)) {
      addHost(inv, g, h, varsOf((hostvars as Record<string, unknown>)[h], `hostvars of "${h}"`), pos);
    }
  }
  return inv;
}

/** Whether parsed JSON looks like `ansible-inventory --list` output rather than a YAML-style inventory. */
export function isAnsibleJson(doc: unknown): boolean {
  return typeof doc === 'object' && doc !== null && !Array.isArray(doc) && Object.prototype.hasOwnProperty.call(doc, '_meta');
}
