import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { applyEdits, parseIni, pegasusSettings } from '../../shared/ini';
import type { JournalEntry } from '../../coordinator/lib/migrate/journal';
import { ponrNote } from '../../coordinator/lib/migrate/no-return';
import { ROLLBACK_DECISION_NOTE } from '../../coordinator/lib/migrate/run';
import { fingerprint, readTree } from '../../coordinator/lib/zk/tree-read';
import { ZkSession } from '../../shared/zk/client';
import { sampleLeaders } from './leader-monitor';

/**
 * The checks made after every run of the fault matrix (and after its resume or rollback):
 * data kept (the old tree's digest unchanged; the tables the cluster serves, and when the run
 * completed the new tree, equal to what was there before), every meta config file one of the
 * versions a migration may leave and parseable, and one leader on one ensemble named by every
 * config. Written against real ZooKeeper and real files, and tested against deliberate damage
 * (test/integration/reliability-checks.test.ts), so a pass means something.
 */

/** What must survive a migration: each table's id, name, status and partitions (the recover method rebuilds the rest). */
export interface TableView {
  id: number;
  name: string;
  status: string;
  partitionCount: number;
  /** Partition nodes present under the app node. */
  partitionNodes: number;
}

export async function tableView(hosts: string, root: string): Promise<TableView[]> {
  const s = await ZkSession.connect(hosts, { sessionTimeoutMs: 10000, connectTimeoutMs: 10000 });
  try {
    const out: TableView[] = [];
    for (const id of await s.getChildren(`${root}/apps`)) {
      const app = JSON.parse((await s.getData(`${root}/apps/${id}`)).data.toString()) as Record<string, unknown>;
      // Partition nodes only: a duplication keeps its records beside them (apps/<id>/duplication).
      const parts = (await s.getChildren(`${root}/apps/${id}`)).filter((c) => /^\d+$/.test(c));
      out.push({ id: Number(app.app_id), name: String(app.app_name), status: String(app.status), partitionCount: Number(app.partition_count), partitionNodes: parts.length });
    }
    return out.sort((a, b) => a.id - b.id);
  } finally {
    s.close();
  }
}

/** A tree's persistent nodes, counted and digested (digest format is the checks' own). */
export interface DataPrint {
  nodes: number;
  digest: string;
}

/** Nodes of the jobs a fault starts (duplication records and progress, bulk-load state). */
export function isJobNode(rel: string): boolean {
  return /^\/apps\/\d+\/duplication(\/|$)/.test(rel) || /^\/bulk_load(\/|$)/.test(rel);
}

/**
 * The tree's fingerprint; with `ignoreJobs`, without the nodes of a duplication or bulk load and
 * without the app flags they set (`duplicating`, `is_bulk_loading`): a cell whose fault starts such
 * a job judges zkmig on everything else, and verifies the job itself separately (jobs.ts).
 */
export async function dataPrint(hosts: string, root: string, ignoreJobs: boolean): Promise<DataPrint> {
  if (!ignoreJobs) {
    const f = await fingerprint(hosts, root);
    return { nodes: f.nodes, digest: f.digest };
  }
  const s = await ZkSession.connect(hosts, { sessionTimeoutMs: 10000, connectTimeoutMs: 10000 });
  try {
    const t = await readTree(s, root, { keepData: true });
    const h = crypto.createHash('sha256');
    let nodes = 0;
    for (const n of t.list) {
      if (isJobNode(n.rel)) continue;
      nodes++;
      let data = n.data.toString('utf8');
      if (/^\/apps\/\d+$/.test(n.rel)) {
        const app = JSON.parse(data) as Record<string, unknown>;
        delete app.duplicating;
        delete app.is_bulk_loading;
        data = JSON.stringify(app);
      }
      h.update(`${n.rel}\0${data}\0`);
    }
    return { nodes, digest: `jobs-ignored:${h.digest('hex')}` };
  } finally {
    s.close();
  }
}

/** Taken before a run starts. */
export interface Baseline {
  source: string;
  target: string;
  root: string;
  /** The fingerprints ignore job nodes (a cell whose fault starts a duplication or bulk load). */
  ignoreJobs?: boolean;
  old: DataPrint;
  tables: TableView[];
  /** Meta config path → its bytes before the run. */
  configs: Record<string, Buffer>;
}

export async function baseline(source: string, target: string, root: string, configFiles: string[], ignoreJobs = false): Promise<Baseline> {
  return {
    source,
    target,
    root,
    ignoreJobs,
    old: await dataPrint(source, root, ignoreJobs),
    tables: await tableView(source, root),
    configs: Object.fromEntries(configFiles.map((f) => [f, fs.readFileSync(f)])),
  };
}

export interface DataCheck {
  /** The old tree's digest and node count are what they were before the run. */
  oldTreeUnchanged: boolean;
  /** The tables of the tree the cluster serves from equal the tables before the run. */
  tablesKept: boolean;
  /** Completed runs: the new tree's tables equal the old tree's (and, for copy, the same number of persistent nodes). undefined when the run did not complete. */
  newTreeEqual: boolean | undefined;
  problems: string[];
}

export async function checkData(b: Baseline, servingZk: string, completed: boolean, method: 'copy' | 'recover'): Promise<DataCheck> {
  const problems: string[] = [];
  const oldNow = await dataPrint(b.source, b.root, b.ignoreJobs ?? false);
  const oldTreeUnchanged = oldNow.digest === b.old.digest && oldNow.nodes === b.old.nodes;
  if (!oldTreeUnchanged) problems.push(`old tree on ${b.source} changed: ${b.old.nodes} nodes ${b.old.digest.slice(0, 12)} → ${oldNow.nodes} nodes ${oldNow.digest.slice(0, 12)}`);
  const serving = await tableView(servingZk, b.root).catch((e: Error) => e);
  const tablesKept = !(serving instanceof Error) && sameTables(serving, b.tables);
  if (!tablesKept) problems.push(`tables served from ${servingZk} differ from before: ${serving instanceof Error ? serving.message : diffTables(b.tables, serving)}`);
  let newTreeEqual: boolean | undefined;
  if (completed) {
    const nt = await tableView(b.target, b.root).catch((e: Error) => e);
    newTreeEqual = !(nt instanceof Error) && sameTables(nt, b.tables);
    if (!newTreeEqual) problems.push(`new tree's tables differ from the old tree's: ${nt instanceof Error ? nt.message : diffTables(b.tables, nt)}`);
    if (method === 'copy') {
      const nf = await dataPrint(b.target, b.root, b.ignoreJobs ?? false);
      if (nf.nodes !== b.old.nodes) {
        newTreeEqual = false;
        problems.push(`copy: new tree has ${nf.nodes} persistent nodes, old had ${b.old.nodes}`);
      }
    }
  }
  return { oldTreeUnchanged, tablesKept, newTreeEqual, problems };
}

function sameTables(a: TableView[], b: TableView[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function diffTables(before: TableView[], after: TableView[]): string {
  const fmt = (t: TableView): string => `${t.id}:${t.name}/${t.status}/${t.partitionCount}p/${t.partitionNodes}n`;
  const a = new Set(before.map(fmt));
  const b = new Set(after.map(fmt));
  return `missing [${[...a].filter((x) => !b.has(x)).join(' ')}] extra [${[...b].filter((x) => !a.has(x)).join(' ')}]`;
}

/** The versions of one meta config a migration may leave: as before, or pointed at the target (recover may also leave recover_from_replica_server = false behind). */
export function allowedConfigVersions(old: Buffer, target: string): Buffer[] {
  const text = old.toString('utf8');
  const hosts = applyEdits(text, [{ section: 'zookeeper', key: 'hosts_list', value: target }]).content;
  const hostsNoRecover = applyEdits(text, [
    { section: 'zookeeper', key: 'hosts_list', value: target },
    { section: 'meta_server', key: 'recover_from_replica_server', value: 'false' },
  ]).content;
  return [old, Buffer.from(hosts), Buffer.from(hostsNoRecover)];
}

export interface ConfigCheck {
  /** Every file is byte-identical to an allowed version and parses without problems. */
  ok: boolean;
  /** Every config's `[zookeeper] hosts_list` (they must all be one ensemble). */
  hostsLists: string[];
  problems: string[];
}

export function checkConfigs(b: Baseline): ConfigCheck {
  const problems: string[] = [];
  const hostsLists: string[] = [];
  for (const [file, old] of Object.entries(b.configs)) {
    const now = fs.readFileSync(file);
    if (!allowedConfigVersions(old, b.target).some((v) => v.equals(now))) problems.push(`${file} is neither the old nor the new version`);
    const doc = parseIni(now.toString('utf8'));
    if (doc.problems.length > 0) problems.push(`${file} does not parse: ${doc.problems.map((p) => `line ${p.line}: ${p.message}`).join('; ')}`);
    hostsLists.push(pegasusSettings(doc).zkHostsList);
  }
  return { ok: problems.length === 0, hostsLists, problems };
}

export interface ClusterCheck {
  /** Exactly one meta leads, every config names the ensemble it leads on. */
  oneEnsemble: boolean;
  serving: string | undefined;
  problems: string[];
}

/** One leader now, on the ensemble every config names. */
export async function checkOneEnsemble(metas: string[], hostsLists: string[]): Promise<ClusterCheck> {
  const leaders = await sampleLeaders(metas);
  const problems: string[] = [];
  if (leaders.length !== 1) problems.push(`${leaders.length} metas claim leadership: ${leaders.map((l) => `${l.meta}@${l.zk ?? '?'}`).join(', ')}`);
  const serving = leaders[0]?.zk;
  const named = [...new Set(hostsLists)];
  if (named.length !== 1) problems.push(`the meta configs name ${named.length} ensembles: ${named.join(' | ')}`);
  else if (serving && named[0] !== serving) problems.push(`the leader serves from ${serving} but the configs name ${named[0]}`);
  return { oneEnsemble: problems.length === 0, serving, problems };
}

export interface StaleCheck {
  /** The journal records the point of no return. */
  pastNoReturn: boolean;
  /** Never back on the old tree after it (issue 14 §1). */
  ok: boolean;
  problems: string[];
}

/**
 * "Never rolled back to a stale tree": a run that passed the point of no return (its journal says
 * so) must end on the target; no rollback may have been decided as if it had not (rollback-decision
 * past = false after the note), and no meta may have served from the old ensemble after that moment
 * (`lastServed`: when the leader watch last saw a leader on each ensemble, leader-monitor.ts).
 */
export function checkNoStaleRollback(entries: readonly JournalEntry[], endedOn: 'source' | 'target' | 'unknown', lastServed: Readonly<Record<string, number>>, source: string): StaleCheck {
  const ponr = ponrNote(entries);
  if (!ponr) return { pastNoReturn: false, ok: true, problems: [] };
  const problems: string[] = [];
  const at = Date.parse(ponr.ts);
  if (endedOn !== 'target') problems.push(`passed the point of no return at ${ponr.ts} (${ponr.reason}) but ends on ${endedOn === 'source' ? `the old ensemble ${source}` : 'no ensemble'}`);
  const decided = entries.find((e) => e.kind === 'note' && e.text === ROLLBACK_DECISION_NOTE);
  if (decided && decided.kind === 'note' && decided.data?.past !== true) problems.push(`a rollback was decided as before the point of no return (${String(decided.data?.why ?? '')}) after it was passed at ${ponr.ts}`);
  const seen = lastServed[source];
  if (seen !== undefined && seen >= at) problems.push(`a meta served from the old ensemble ${source} ${seen - at} ms after the point of no return`);
  return { pastNoReturn: true, ok: problems.length === 0, problems };
}
