/** Ad-hoc reads and edits of meta-server configs across a cluster, through the agents. */
export { formatKeyPath, parseAssignment, parseKeyPath } from './key-path';
export type { Assignment, KeyPath } from './key-path';
export { canonicalValue, hasPlaceholder, invalidValueReason, listItems, MIGRATION_KEYS, misplacedKey, normalizeRoot, sameValue } from './pegasus-keys';
export { describeZkAuth, metaZkAuth, ZK_AUTH_KEYS } from './zk-auth-keys';
export type { MetaZkAuth, ZkAuthMechanism } from './zk-auth-keys';
export { extractMetaConfig, getConfig, readMetaConfigs, reduceConfigView, selectTargets } from './read';
export type { ConfigView, GetConfigOptions, GetConfigResult, MetaConfig, ReadConfigsOptions } from './read';
export { setConfig, validateConfigEdits } from './set';
export type { ConfigChange, SetConfigOptions, SetConfigResult } from './set';
export { renderGetConfig, renderSetConfig } from './render';
