/** Fleet-wide audit of meta-server configuration, read through the agents. */
export { endpointIds, resolveHosts, sameEndpoint, splitEndpoint } from './addresses';
export type { Lookup, Resolved } from './addresses';
export { AUDIT_DEFAULTS, auditFleet } from './audit';
export type { AuditOptions } from './audit';
export { parseExpectations } from './expect';
export { renderPrometheus, writeFileAtomic } from './prometheus';
export { renderAudit } from './render';
export { auditKeys, clusterFindings, fleetFindings, isUnder, lockRootOf } from './rules';
export type { ClusterInput, RuleContext } from './rules';
export type { AuditedHost, AuditReport, ClusterAudit, Expectation, Finding, FindingCode, RunningView, Severity } from './types';
