import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMap, LineCounter, parseDocument } from 'yaml';
import { malformed, RawInventory, RawVar } from './raw';

/**
 * Read the `group_vars/` and `host_vars/` directories beside an inventory file, as Ansible's
 * host_group_vars plugin (`ansible/plugins/vars/host_group_vars.py`) does: for a group or host
 * NAME, the file `NAME`, `NAME.yml`, `NAME.yaml` or `NAME.json`, or every such file in a
 * directory `NAME/` (sorted by name, later files win). Each file is a YAML (or JSON) mapping.
 * Files for groups or hosts that the inventory does not have are ignored, as Ansible does.
 */
export function readVarsDirs(inv: RawInventory, baseDir: string): void {
  for (const name of inv.groups.keys()) merge(inv.groupVarFiles, name, varsFor(path.join(baseDir, 'group_vars'), name));
  for (const name of inv.hostPos.keys()) merge(inv.hostVarFiles, name, varsFor(path.join(baseDir, 'host_vars'), name));
}

const EXTENSIONS = ['', '.yml', '.yaml', '.json'];

function merge(into: Map<string, Map<string, RawVar>>, name: string, vars: Map<string, RawVar>): void {
  if (vars.size > 0) into.set(name, vars);
}

function varsFor(dir: string, name: string): Map<string, RawVar> {
  const vars = new Map<string, RawVar>();
  const files: string[] = [];
  for (const ext of EXTENSIONS) {
    const f = path.join(dir, name + ext);
    const st = statOrUndefined(f);
    if (st?.isFile()) files.push(f);
    else if (st?.isDirectory() && ext === '') {
      for (const entry of fs.readdirSync(f).sort()) {
        const sub = path.join(f, entry);
        if (entry.startsWith('.') || !EXTENSIONS.includes(path.extname(entry).toLowerCase()) || !statOrUndefined(sub)?.isFile()) continue;
        files.push(sub);
      }
    }
  }
  for (const f of files) for (const [k, v] of readVarsFile(f)) vars.set(k, v);
  return vars;
}

function statOrUndefined(f: string): fs.Stats | undefined {
  try {
    return fs.statSync(f);
  } catch {
    return undefined;
  }
}

function readVarsFile(file: string): Map<string, RawVar> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw malformed({ file }, `cannot read this vars file: ${(e as Error).message}`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const err = doc.errors[0];
  if (err) throw malformed({ file, line: lineCounter.linePos(err.pos[0]).line }, `malformed YAML: ${err.message.split('\n')[0]}`);
  const out = new Map<string, RawVar>();
  const root = doc.contents;
  if (root === null) return out;
  if (!isMap(root)) throw malformed({ file }, 'a vars file must be a mapping of variable names');
  for (const item of root.items) {
    const key = (item.key as { value?: unknown } | null)?.value;
    if (typeof key !== 'string') continue;
    const range = (item.key as { range?: [number, number, number] }).range;
    const value = item.value === null ? null : (item.value as { toJSON(): unknown }).toJSON();
    out.set(key, { value, pos: { file, ...(range ? { line: lineCounter.linePos(range[0]).line } : {}) } });
  }
  return out;
}
