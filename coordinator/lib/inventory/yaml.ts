import { isMap, isScalar, LineCounter, Node, parseDocument, YAMLMap } from 'yaml';
import { addChild, addGroup, addHost, emptyInventory, expandHostPattern, malformed, RawGroup, RawInventory, RawVar, SourcePos } from './raw';

/**
 * Read an Ansible YAML inventory, following `ansible/plugins/inventory/yaml.py`:
 *
 * ```yaml
 * all:
 *   vars: { agent_port: 9443 }
 *   children:
 *     c1:
 *       hosts:
 *         meta[1:3].example.com:
 *       vars: { meta_config: /home/pegasus/meta/config.ini }
 * ```
 *
 * Top-level keys are groups; a group is null or a mapping of `hosts`, `vars` and `children`;
 * a host is null or a mapping of its variables. Where Ansible only warns and skips (an unexpected
 * key, a group that is not a mapping), zkmig refuses: a misspelt `host:` would otherwise drop a
 * meta server without a word. Errors name the file and line.
 */
export function parseYamlInventory(text: string, file: string): RawInventory {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const posOf = (node: Node | null | undefined): SourcePos =>
    node?.range ? { file, line: lineCounter.linePos(node.range[0]).line } : { file };
  const firstError = doc.errors[0];
  if (firstError) {
    // Some errors (DUPLICATE_KEY) point at the whitespace before the offending token.
    let at = firstError.pos[0];
    while (at < text.length && /\s/.test(text[at]!)) at++;
    throw malformed({ file, line: lineCounter.linePos(Math.min(at, Math.max(text.length - 1, 0))).line }, `malformed YAML: ${firstError.message.split('\n')[0]}`);
  }
  const inv = emptyInventory(file, 'yaml');
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) throw malformed({ file }, 'the YAML inventory is empty');
  if (!isMap(root)) throw malformed(posOf(root), 'a YAML inventory must be a mapping of group names');

  const parseGroup = (keyNode: unknown, value: unknown): RawGroup => {
    const name = scalarText(keyNode, posOf(keyNode as Node), 'group name');
    const pos = posOf(keyNode as Node);
    if (!/^[^:\]\s[]+$/.test(name)) throw malformed(pos, `"${name}" is not a valid group name`);
    const group = addGroup(inv, name, pos);
    if (value === null || (isScalar(value) && value.value === null)) return group;
    if (!isMap(value)) throw malformed(posOf(value as Node), `group "${name}" must be a mapping of hosts, vars and children`);
    for (const item of value.items) {
      const key = scalarText(item.key, posOf(item.key as Node), 'key');
      const section = item.value;
      const sectionPos = posOf(item.key as Node);
      if (key !== 'hosts' && key !== 'vars' && key !== 'children') {
        throw malformed(sectionPos, `unexpected key "${key}" in group "${name}" (only hosts, vars and children are valid)`);
      }
      if (section === null || (isScalar(section) && section.value === null)) continue;
      // Ansible accepts a bare string for a one-entry section: `hosts: meta1`.
      if (isScalar(section) && typeof section.value === 'string') {
        if (key === 'vars') throw malformed(sectionPos, `"vars" of group "${name}" must be a mapping`);
        if (key === 'hosts') addHosts(group, section, null);
        else addChild(group, parseGroup(section, null).name);
        continue;
      }
      if (!isMap(section)) throw malformed(sectionPos, `"${key}" of group "${name}" must be a mapping`);
      for (const entry of (section as YAMLMap).items) {
        if (key === 'vars') {
          const k = scalarText(entry.key, posOf(entry.key as Node), 'variable name');
          group.vars.set(k, { value: toJs(entry.value), pos: posOf(entry.key as Node) });
        } else if (key === 'hosts') {
          addHosts(group, entry.key, entry.value);
        } else {
          addChild(group, parseGroup(entry.key, entry.value).name);
        }
      }
    }
    return group;
  };

  const addHosts = (group: RawGroup, keyNode: unknown, value: unknown): void => {
    const pos = posOf(keyNode as Node);
    const pattern = scalarText(keyNode, pos, 'host name');
    const vars = new Map<string, RawVar>();
    if (!(value === null || (isScalar(value) && value.value === null))) {
      if (!isMap(value)) throw malformed(posOf(value as Node), `host "${pattern}" must be followed by a mapping of variables (or nothing)`);
      for (const v of value.items) {
        vars.set(scalarText(v.key, posOf(v.key as Node), 'variable name'), { value: toJs(v.value), pos: posOf(v.key as Node) });
      }
    }
    let hosts: string[];
    try {
      hosts = expandHostPattern(pattern);
    } catch (e) {
      throw malformed(pos, (e as Error).message);
    }
    for (const h of hosts) addHost(inv, group, h, vars, pos);
  };

  for (const item of root.items) parseGroup(item.key, item.value);
  return inv;
}

function scalarText(node: unknown, pos: SourcePos, what: string): string {
  if (isScalar(node) && (typeof node.value === 'string' || typeof node.value === 'number')) return String(node.value);
  throw malformed(pos, `expected a ${what}, found ${node === null ? 'nothing' : 'a mapping or list'}`);
}

function toJs(node: unknown): unknown {
  if (node === null || node === undefined) return null;
  if (isScalar(node)) return node.value;
  return (node as Node).toJSON();
}
