export { INVENTORY_DEFAULTS } from './types';
export type { AgentTls, Inventory, MetaHost, PegasusCluster, ShellCommand } from './types';
export { detectFormat, INVENTORY_ENV, inventoryPath, loadInventory, parseInventory, selectCluster } from './load';
export type { LoadInventoryOptions } from './load';
export { INVENTORY_VARIABLES, resolveInventory, SHELL_PLACEHOLDERS } from './resolve';
export { expandHostPattern } from './raw';
export { parseIniInventory } from './ini';
export { parseYamlInventory } from './yaml';
