/** Fan-out across meta hosts and clusters with an Ansible-like recap (ok, changed, failed, unreachable). */
export { AgentPool, hostRef, targetsOf } from './agent-pool';
export type { AgentPoolOptions, HostTarget, RunOptions } from './agent-pool';
export { classifyError } from './classify';
export { FAN_OUT_DEFAULTS, mapLimit } from './fan-out';
export { emptyCounts, makeRecap, recapClean, renderRecap } from './recap';
export type { Recap, RecapCounts, RecapLine } from './recap';
export type { HostError, HostOutcome, HostRef, HostStatus } from './types';
export { inventoryMismatches, pingAgents, renderPing } from './ping';
export type { AgentFileInfo, AgentInfo, AgentServiceInfo, PingResult } from './ping';
