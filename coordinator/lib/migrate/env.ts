import { AgentPool } from '../fleet';
import { loadInventory, selectCluster } from '../inventory';
import type { MetaHost, PegasusCluster } from '../inventory';
import { PegasusShell } from '../shell';
import { Emit } from './events';
import { Journal } from './journal';
import { ponrNote, PONR_NOTE } from './no-return';
import { MigrateParams } from './params';

/**
 * Everything a step needs, built once per coordinator process from the run's parameters: the
 * resolved cluster, one agent client per meta host (one TLS connection each for the whole run),
 * the Pegasus shell, the journal and the event sink.
 */
export interface RunEnv {
  run: string;
  params: MigrateParams;
  cluster: PegasusCluster;
  pool: AgentPool;
  shell: PegasusShell;
  /** Undefined for `plan`, which records nothing. */
  journal: Journal | undefined;
  emit: Emit;
  /** Where the run's journal and side files (the table and node lists kept as a record) live. */
  stateDir: string;
  /** The environment, passed in. */
  env: NodeJS.ProcessEnv;
  /** Check mode (`--dry-run`). */
  check: boolean;
  /** Record the start or end of the metadata write freeze (journaled, so a resumed run knows). */
  freeze(phase: 'start' | 'end', reason: string): void;
  /** Record that a meta serves from the new ensemble (no-return.ts); journaled once. */
  pointOfNoReturn(reason: string): void;
  /** Journal a note with data (backup paths, cutover marks). */
  note(text: string, data?: Record<string, unknown>): void;
  /** In-process test seams (RunOptions.testHooks); the CLI never sets them. */
  testHooks?: TestHooks;
}

/**
 * Test seams of a run, settable only through the in-process API (never by a flag, an environment
 * variable or the inventory): each makes a race the tests could otherwise only hope to hit happen at
 * an exact point.
 */
export interface TestHooks {
  /** finalize: after the pre-copy's last round, before its proof (a foreign write racing the proof). */
  beforeProof?: () => Promise<void>;
}

/** How a run talks to the agents: `-f/--forks` and `--timeout` of migrate, resume and rollback. */
export interface AgentSettings {
  /** Agents contacted at once. @default the pool's (32) */
  forks?: number;
  /** Deadline of each read call; edits get at least 30 s, service control keeps its own. @default 10 s */
  timeoutMs?: number;
}

export interface EnvInput {
  agents?: AgentSettings;
  run: string;
  params: MigrateParams;
  /** The cluster from the inventory, read once by the caller (loadCluster). */
  cluster: PegasusCluster;
  journal: Journal | undefined;
  emit: Emit;
  stateDir: string;
  env: NodeJS.ProcessEnv;
  testHooks?: TestHooks;
}

export function loadCluster(params: Pick<MigrateParams, 'inventory' | 'cluster'>, env: NodeJS.ProcessEnv): PegasusCluster {
  return selectCluster(loadInventory({ file: params.inventory, env }), params.cluster);
}

export function openEnv(i: EnvInput): RunEnv {
  const cluster = i.cluster;
  const t = i.agents?.timeoutMs;
  const pool = new AgentPool({
    coordinator: `zkmig migrate run ${i.run}`,
    reuse: true,
    ...(i.agents?.forks !== undefined ? { concurrency: i.agents.forks } : {}),
    ...(t !== undefined ? { deadlines: { readMs: t, editMs: Math.max(t, 30_000) } } : {}),
  });
  const shell = PegasusShell.forCluster(cluster, { timeoutMs: i.params.shellTimeoutMs, env: i.env });
  return {
    run: i.run,
    params: i.params,
    cluster,
    pool,
    shell,
    journal: i.journal,
    emit: i.emit,
    stateDir: i.stateDir,
    env: i.env,
    check: i.params.dryRun,
    ...(i.testHooks ? { testHooks: i.testHooks } : {}),
    freeze(phase, reason) {
      const at = new Date().toISOString();
      if (!this.check) this.journal?.append({ kind: 'note', text: `freeze-${phase}`, data: { at, reason } });
      this.emit({ kind: 'freeze', phase, at, reason });
    },
    pointOfNoReturn(reason) {
      if (this.check) return;
      if (this.journal && ponrNote(Journal.read(this.journal.file))) return;
      const at = new Date().toISOString();
      this.journal?.append({ kind: 'note', text: PONR_NOTE, data: { at, reason } });
      this.emit({ kind: 'point-of-no-return', at, reason });
    },
    note(text, data) {
      this.journal?.append({ kind: 'note', text, ...(data ? { data } : {}) });
    },
  };
}

/** The inventory host whose meta address is `address` (cluster_info's primary_meta_server). */
export function metaByAddress(cluster: PegasusCluster, address: string): MetaHost | undefined {
  const a = address.trim().toLowerCase();
  return cluster.metas.find((m) => m.metaAddress.toLowerCase() === a) ?? cluster.metas.find((m) => `${m.name}:${m.metaPort}`.toLowerCase() === a);
}

export function metaByName(cluster: PegasusCluster, name: string): MetaHost {
  const m = cluster.metas.find((x) => x.name === name);
  if (!m) throw new Error(`inventory cluster ${cluster.name} has no host ${name}`);
  return m;
}
