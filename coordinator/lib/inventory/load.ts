import * as fs from 'node:fs';
import * as path from 'node:path';
import { AppError, InvalidInputError, UsageError } from '../../../shared/errors';
import { isAnsibleJson, parseAnsibleJson } from './ansible-json';
import { parseIniInventory } from './ini';
import { InventoryFormat, RawInventory } from './raw';
import { readVarsDirs } from './vars-dirs';
import { resolveInventory } from './resolve';
import { Inventory, PegasusCluster } from './types';
import { parseYamlInventory } from './yaml';

/** The environment variable naming the inventory when `-i` is not given. */
export const INVENTORY_ENV = 'ZKMIG_INVENTORY';

export interface LoadInventoryOptions {
  /** The `-i FILE` flag; wins over ZKMIG_INVENTORY. */
  file?: string;
  /** Passed in, never read from `process.env` here. */
  env: NodeJS.ProcessEnv;
  /** Base for a relative inventory path. @default process.cwd() */
  cwd?: string;
  /**
   * Whether to warn about TLS files that do not exist on this machine.
   * @default true
   */
  checkFiles?: boolean;
}

/** The inventory path from `-i` or ZKMIG_INVENTORY, made absolute; a UsageError when neither is set. */
export function inventoryPath(opts: Pick<LoadInventoryOptions, 'file' | 'env' | 'cwd'>): string {
  const given = opts.file ?? opts.env[INVENTORY_ENV];
  if (given === undefined || given.trim() === '') {
    throw new UsageError(`no inventory given: pass -i FILE or set ${INVENTORY_ENV} (an Ansible inventory in INI or YAML, or ansible-inventory --list output)`);
  }
  return path.resolve(opts.cwd ?? process.cwd(), given);
}

/**
 * YAML for `.yml`/`.yaml`/`.json`, INI for `.ini`/`.cfg`; otherwise by content: a first
 * meaningful line such as `all:` or `---` means YAML, anything else INI (as Ansible, which tries
 * its plugins in turn, would end up doing).
 */
export function detectFormat(file: string, text: string): 'ini' | 'yaml' {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.yml' || ext === '.yaml' || ext === '.json') return 'yaml';
  if (ext === '.ini' || ext === '.cfg') return 'ini';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    return line === '---' || line.startsWith('{') || /^[^\s=[\]]+:\s*(?:#.*)?$/.test(line) ? 'yaml' : 'ini';
  }
  return 'ini';
}

/**
 * Parse an inventory's text. JSON with a `_meta` key is `ansible-inventory --list` output; any
 * other JSON is read as a YAML inventory (JSON is YAML), as Ansible's yaml plugin does.
 */
export function parseInventory(text: string, file: string, format: InventoryFormat = detectForm(file, text)): RawInventory {
  if (format === 'ansible-json') return parseAnsibleJson(JSON.parse(text), file);
  return format === 'yaml' ? parseYamlInventory(text, file) : parseIniInventory(text, file);
}

function detectForm(file: string, text: string): InventoryFormat {
  const head = text.trimStart();
  if (head.startsWith('{')) {
    try {
      if (isAnsibleJson(JSON.parse(text))) return 'ansible-json';
    } catch {
      // Not JSON after all: the YAML parser reports where it breaks.
    }
  }
  return detectFormat(file, text);
}

/** Read, parse and resolve the inventory named by `-i` or ZKMIG_INVENTORY. */
export function loadInventory(opts: LoadInventoryOptions): Inventory {
  const file = inventoryPath(opts);
  let text: string;
  try {
    text = decodeUtf8(fs.readFileSync(file), file);
  } catch (e) {
    if (e instanceof AppError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new AppError('NOT_FOUND', `inventory ${file} does not exist`, { cause: e, context: { file } });
    if (code === 'EACCES') throw new AppError('PERMISSION_DENIED', `inventory ${file} is not readable`, { cause: e, context: { file } });
    throw new AppError('INVALID_INPUT', `cannot read inventory ${file}: ${(e as Error).message}`, { cause: e, context: { file } });
  }
  const raw = parseInventory(text, file);
  // ansible-inventory has already merged group_vars/ and host_vars/ into its output.
  if (raw.format !== 'ansible-json') readVarsDirs(raw, path.dirname(file));
  return resolveInventory(raw, opts.checkFiles === false ? {} : { fileExists: (f) => fs.existsSync(f) });
}

/**
 * The file as UTF-8, strictly: a mis-encoded byte would otherwise become U+FFFD inside a host name
 * or a path, and zkmig would dial or edit something nobody wrote.
 */
function decodeUtf8(bytes: Buffer, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const line = bytes.toString('utf8').split('\n').findIndex((l) => l.includes('\uFFFD')) + 1;
    throw new InvalidInputError(`${file}${line > 0 ? `:${line}` : ''}: the inventory is not valid UTF-8 (save it as UTF-8)`, { context: { file, line } });
  }
}

/** The named cluster; a UsageError listing the known ones when it is not in the inventory. */
export function selectCluster(inv: Inventory, name: string): PegasusCluster {
  const c = inv.clusters.find((x) => x.name === name);
  if (!c) throw new UsageError(`no cluster "${name}" in inventory ${inv.file} (clusters: ${inv.clusters.map((x) => x.name).join(', ')})`);
  return c;
}
