export { sandboxUp, DEFAULT_TABLES } from './up';
export type { SandboxInfo, SandboxTable, SandboxUpOptions } from './up';
export { sandboxDown, teardown } from './down';
export type { SandboxDownResult } from './down';
export { sandboxStatus } from './status';
export type { ProcessStatus, SandboxStatus } from './status';
export { sandboxDir, readState } from './state';
export type { SandboxState } from './state';
