/**
 * A fleet for load tests: C clusters of P metas, each meta's config.ini rendered from the real
 * Pegasus fixture (placeholders filled as a deployment would), one real agent per meta
 * (agent-farm.ts), and a YAML inventory pointing at them. Each cluster's `pegasus_shell` prints a
 * recorded `cluster_info` (`cat FILE`), so an audit measures zkmig and its agents, not a shell.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatArgv } from '../../coordinator/lib/shell/argv';
import { AgentFarm, startAgentFarm } from './agent-farm';
import type { TestPki } from './certs';
import { writeInventory } from './fleet';
import { PEGASUS_CONFIG_FIXTURE } from './fixtures';

/** The fixture every meta config is rendered from (never modified). */
export const META_FIXTURE = PEGASUS_CONFIG_FIXTURE;

/** The ensemble every rendered config points at. */
export const LOAD_ZK = 'zk1:2181,zk2:2181,zk3:2181';

export interface LoadCluster {
  name: string;
  /** `host:port,...` of its metas. */
  metas: string;
  /** Inventory host names, in order. */
  hosts: string[];
  /** Their config files, in order. */
  files: string[];
}

export interface LoadFleet {
  clusters: LoadCluster[];
  /** Every config file, cluster by cluster. */
  files: string[];
  inventory: string;
  farm: AgentFarm;
  /** sha256 of every config file now, by path. */
  hashes(): Map<string, string>;
}

export interface LoadFleetOptions {
  /** Created if missing; the caller removes it. */
  dir: string;
  pki: TestPki;
  clusters: number;
  perCluster: number;
  /** Passed to startAgentFarm. @default 10 */
  perProcess?: number;
  /** Passed to startAgentFarm. @default 8 */
  startConcurrency?: number;
}

/** Meta ports are never listened on: the audit reads configs through agents and cluster_info from a file. */
const metaPort = (c: number, i: number): number => 40000 + c * 100 + i;

export function renderMetaConfig(template: string, cluster: string, metas: string): string {
  const values: Record<string, string> = { 'cluster.name': cluster, 'meta.server.list': metas, 'zk.server.list': LOAD_ZK, 'app.dir': '/home/work/app', 'data.dirs': '/home/work/ssd', 'home.dir': '/home/work', hdfs_service_args: '' };
  return template.replace(/%\{([^}]+)\}/g, (m, k: string) => values[k] ?? m);
}

export async function startLoadFleet(o: LoadFleetOptions): Promise<LoadFleet> {
  if (!META_FIXTURE) throw new Error('test/fixtures/pegasus/config.ini not found');
  const template = fs.readFileSync(META_FIXTURE, 'utf8');
  fs.mkdirSync(o.dir, { recursive: true });
  const dir = fs.realpathSync(o.dir);
  const clusters: LoadCluster[] = [];
  for (let c = 0; c < o.clusters; c++) {
    const name = `load${c}`;
    const metas = Array.from({ length: o.perCluster }, (_, i) => `127.0.0.1:${metaPort(c, i)}`).join(',');
    const cdir = path.join(dir, name);
    fs.mkdirSync(cdir);
    const files = Array.from({ length: o.perCluster }, (_, i) => {
      const f = path.join(cdir, `meta${i}.ini`);
      fs.writeFileSync(f, renderMetaConfig(template, name, metas));
      return f;
    });
    fs.writeFileSync(
      path.join(cdir, 'cluster_info'),
      `[cluster_info]\nmeta_servers                  : ${metas}\nprimary_meta_server           : 127.0.0.1:${metaPort(c, 0)}\nzookeeper_hosts               : ${LOAD_ZK}\nzookeeper_root                : /pegasus/${name}\nmeta_function_level           : steady\nbalance_operation_count       : move_pri=0,copy_pri=0,copy_sec=0,total=0\nprimary_replica_count_stddev  : 0.00\ntotal_replica_count_stddev    : 0.00\ncluster_name                  : ${name}\n`,
    );
    clusters.push({ name, metas, hosts: files.map((_, i) => `${name}-m${i}`), files });
  }
  const files = clusters.flatMap((c) => c.files);
  const farm = await startAgentFarm({ dir: path.join(dir, 'agents'), pki: o.pki, files, perProcess: o.perProcess ?? 10, startConcurrency: o.startConcurrency ?? 8 });
  const inventory = writeInventory(
    path.join(dir, 'inventory.yml'),
    o.pki,
    clusters.map((c, ci) => ({
      name: c.name,
      shell: formatArgv(['cat', path.join(dir, c.name, 'cluster_info')]),
      hosts: c.files.map((f, i) => ({ name: c.hosts[i]!, metaPort: metaPort(ci, i), agentPort: farm.ports[ci * o.perCluster + i]!, metaConfig: f })),
    })),
  );
  const hashes = (): Map<string, string> => new Map(files.map((f) => [f, crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex')]));
  return { clusters, files, inventory, farm, hashes };
}
