import { Command } from 'commander';
import { CliIO } from '../lib/io';
import { registerInventory } from './inventory';

/** A command module: adds itself (and its sub-commands) to the program. */
export type Register = (program: Command, io: CliIO) => void;

/**
 * Every top-level command, in the order `--help` lists them. Each module only declares flags and
 * help, converts them into typed options, calls one library function and renders the result.
 */
export const COMMANDS: Register[] = [registerInventory];
