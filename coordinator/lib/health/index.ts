/** Cluster health: one check (checkHealth) or polling until healthy (waitHealthy). */
export { checkHealth, HEALTH_DEFAULTS, verdictOf } from './check';
export type { CheckHealthOptions } from './check';
export { formatZk, parseExpectZk, sameZk } from './expect-zk';
export { renderHealth } from './render';
export type { CheckName, CheckStatus, HealthCheck, HealthReport, HealthVerdict, UnhealthyTable, ZkExpectationSource, ZkView } from './types';
export { WAIT_DEFAULTS, waitHealthy } from './wait';
export type { WaitHealthyOptions, WaitHealthyResult } from './wait';
