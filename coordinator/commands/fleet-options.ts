/**
 * Flags shared by the commands that talk to agents (agents, audit, health, config): inventory,
 * forks, per-call timeout; their conversion into typed options; and a progress line that only
 * appears on a terminal.
 */
import { Command, InvalidArgumentError } from 'commander';
import { durationArg } from './duration';
import { AgentPool, AgentPoolOptions, FAN_OUT_DEFAULTS } from '../lib/fleet';
import { Inventory, INVENTORY_ENV, limitClusters, loadInventory, PegasusCluster, selectCluster } from '../lib/inventory';
import { CliIO, StatusLine } from '../lib/io';

export interface FleetFlags {
  inventory?: string;
  limit?: string;
  forks?: number;
  timeout?: number;
}

/** Default deadline of one agent call in these commands. */
export const DEFAULT_AGENT_TIMEOUT_MS = 10_000;

export { durationArg, parseDuration } from './duration';

/** The one rule for integer flags: digits only (surrounding blanks allowed), else undefined. */
export function wholeNumber(v: string): number | undefined {
  return /^\d+$/.test(v.trim()) ? Number(v) : undefined;
}

export const positiveIntArg = (what: string) => (v: string): number => {
  const n = wholeNumber(v);
  if (n === undefined || n < 1) throw new InvalidArgumentError(`${what} must be a positive integer, got "${v}"`);
  return n;
};

export const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** Add -i, --forks and --timeout. */
export function fleetOptions(cmd: Command): Command {
  return cmd
    .option('-i, --inventory <file>', `Ansible inventory: INI, YAML or ansible-inventory JSON (default: $${INVENTORY_ENV})`)
    .option('-f, --forks <n>', `agents contacted at once (default: ${FAN_OUT_DEFAULTS.limit})`, positiveIntArg('--forks'))
    .option('--timeout <duration>', `deadline of each agent call (default: ${DEFAULT_AGENT_TIMEOUT_MS / 1000}s)`, durationArg('--timeout'));
}

/** Add -l/--limit: the commands that act host by host (agents, audit, config). */
export function limitOption(cmd: Command): Command {
  return cmd.option('-l, --limit <pattern>', 'only these hosts: an Ansible pattern (meta*, c1:&dc1, all:!meta3, ~re)');
}

/**
 * The clusters reduced to the metas that --limit selects (unchanged without it); a UsageError
 * when it selects none, a warning for each term that matches nothing.
 */
export function applyLimit(inv: Inventory, clusters: PegasusCluster[], flags: FleetFlags, io: CliIO): PegasusCluster[] {
  return limitedHosts(inv, clusters, flags, io).clusters;
}

/**
 * What --limit selects: the clusters that keep at least one meta, reduced to those metas, and
 * the selected host names (undefined without --limit). Commands whose checks need the whole
 * cluster (audit's server_list rule) pass the names on and keep the clusters whole.
 */
export function limitedHosts(inv: Inventory, clusters: PegasusCluster[], flags: FleetFlags, io: CliIO): { clusters: PegasusCluster[]; hosts?: Set<string> } {
  if (flags.limit === undefined) return { clusters };
  const r = limitClusters(inv, clusters, flags.limit);
  for (const w of r.warnings) io.err(`warning: ${w}\n`);
  return { clusters: r.clusters, hosts: new Set(r.clusters.flatMap((c) => c.metas.map((m) => m.name))) };
}

export function loadFleetInventory(flags: FleetFlags, io: CliIO): Inventory {
  const inv = loadInventory({ ...(flags.inventory !== undefined ? { file: flags.inventory } : {}), env: io.env });
  for (const w of inv.warnings) io.err(`warning: ${w}\n`);
  return inv;
}

/** The named clusters (each must exist), or all of them. */
export function pickClusters(inv: Inventory, names: readonly string[] | undefined): PegasusCluster[] {
  if (!names || names.length === 0) return inv.clusters;
  return [...new Set(names)].map((n) => selectCluster(inv, n));
}

/**
 * A pool for a one-shot command: each host's connection is closed when its host is done
 * (`reuse: false`), so memory does not grow with the fleet; reads retried twice at most, so an
 * unreachable host costs about two deadlines, not four.
 */
export function commandPool(flags: FleetFlags, extra: Partial<AgentPoolOptions> = {}): AgentPool {
  const t = flags.timeout ?? DEFAULT_AGENT_TIMEOUT_MS;
  return new AgentPool({
    concurrency: flags.forks ?? FAN_OUT_DEFAULTS.limit,
    deadlines: { readMs: t, editMs: Math.max(t, 30_000) },
    retry: { maxAttempts: 2 },
    reuse: false,
    ...extra,
  });
}

/** `label: 12/100` redrawn on stderr when it is a terminal; nothing otherwise. */
export function progress(io: CliIO, label: string): { update: (done: number, total: number) => void; end: () => void } {
  const line = new StatusLine(io.err, io.isTTY);
  return { update: (done, total) => line.draw(`${label}: ${done}/${total}`), end: () => line.clear() };
}
