import { Command } from 'commander';
import { CliIO } from '../lib/io';
import { registerInventory } from './inventory';
import { registerAgents } from './agents';
import { registerAudit } from './audit';
import { registerConfig } from './config';
import { registerHealth } from './health';
import { registerSandbox } from './sandbox';
import { registerPlan } from './plan';
import { registerMigrate } from './migrate';
import { registerStatus } from './status';
import { registerResume } from './resume';
import { registerRollback } from './rollback';
import { registerCleanup } from './cleanup';
import { registerZk } from './zk';
import { registerMetaLevel } from './meta-level';
import { registerCompletion } from './completion';

/** A command module: adds itself (and its sub-commands) to the program. */
export type Register = (program: Command, io: CliIO) => void;

/**
 * Every top-level command, in the order `--help` lists them. Each module only declares flags and
 * help, converts them into typed options, calls one library function and renders the result.
 */
export const COMMANDS: Register[] = [registerInventory, registerAgents, registerHealth, registerAudit, registerConfig, registerPlan, registerMigrate, registerStatus, registerResume, registerRollback, registerCleanup, registerMetaLevel, registerZk, registerSandbox, registerCompletion];
