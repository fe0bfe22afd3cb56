/**
 * The ZooKeeper tree engine: pipelined reads, byte-bounded multi writes, copy, verify, diff, ls, rm,
 * and the Pegasus-shaped tree generator. Other code (the migration, the sandbox, benchmarks) imports
 * from here; the `zkmig zk` commands are thin wrappers over these functions.
 */
export { copyTree } from './copy';
export type { CopyOptions, CopyProgress, CopySummary, OnExists, PathList, VerifyMode, VerifyResult } from './copy-types';
export { COPY_DEFAULTS } from './copy-types';
export { diffTrees, digestTree } from './diff';
export type { DiffOptions, DiffResult } from './diff';
export { listTree, renderTree, formatBytes } from './ls';
export type { LsNode, LsOptions, LsResult } from './ls';
export { onSession, removeTree } from './rm';
export type { RmOptions, RmResult } from './rm';
export { formatDifference, treeDigest } from './tree-index';
export { fingerprint, isEmptyRoot, readTree } from './tree-read';
export type { TreeFingerprint, TreeNode, TreeRead } from './tree-read';
export type { TreeDifference } from './tree-index';
export { ProgressBar, progressLine } from './progress';
export { seedNodes, seedPegasusTree, holdLeaderLock } from './seed';
export { appInfoJson, leaderLockDir, partitionJson, pegasusTreeNodes, pegasusTreeSize } from './pegasus-tree';
export type { PegasusTreeSpec } from './pegasus-tree';
export { CONN_DEFAULTS } from './conn';
export type { ConnOptions } from './conn';
export { TreeFollower } from './follow';
export type { ChangeDetection, FinalizeResult, FollowOptions, FollowPhase, FollowProgress, RoundResult } from './follow';
