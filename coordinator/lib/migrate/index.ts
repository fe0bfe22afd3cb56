/** The migration: plan, migrate, resume, rollback, status and cleanup, as library functions with typed events. */
export { migrate, resume, rollback, readRun, stepsFor, planRollback } from './run';
export type { RunOptions, RunResult, RollbackPlan } from './run';
export type { AgentSettings } from './env';
export { planMigration, plannedSteps, renderPlan } from './plan';
export type { MigrationPlan, PlannedStep, ConfigDiff } from './plan';
export { resolveParams, PARAM_DEFAULTS, METHODS } from './params';
export type { MigrateInput, MigrateParams, Method } from './params';
export { listRunStatus, runDetail } from './status';
export type { RunDetail, RunListing } from './status';
export { cleanupOld } from './cleanup';
export type { CleanupCheck, CleanupOptions, CleanupResult } from './cleanup';
export { makeRenderer } from './render';
export type { Renderer } from './render';
export { formatEvent, formatSummary } from './events';
export type { Emit, MigrateEvent, RunSummary } from './events';
export { resolveStateDir } from './state-dir';
export type { PreflightFacts } from './preflight';
export { inactiveWaitMs, timingFrom } from './timing';
