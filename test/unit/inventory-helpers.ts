import * as path from 'node:path';
import type { Inventory } from '../../coordinator/lib/inventory';
import { repoRoot } from './shell-fixtures';

/** Path of an inventory fixture (test/fixtures/inventory). */
export function inventoryFixture(name: string): string {
  return path.join(repoRoot(), 'test/fixtures/inventory', name);
}

/** What two-clusters.ini and two-clusters.yml must resolve to. */
export const TWO_CLUSTERS = (file: string, format: 'ini' | 'yaml'): Inventory => {
  const DIR = path.dirname(inventoryFixture('two-clusters.ini'));
  const tls = (serverName: string, token?: string) => ({
    caFile: path.join(DIR, 'certs/ca.pem'),
    certFile: path.join(DIR, 'certs/coordinator.pem'),
    keyFile: path.join(DIR, 'certs/coordinator.key'),
    ...(token ? { tokenFile: token } : {}),
    serverName,
  });
  const c1 = [1, 2, 3].map((i) => ({
    name: `meta${i}.example.com`,
    address: `meta${i}.example.com`,
    metaPort: 34601,
    metaAddress: `meta${i}.example.com:34601`,
    agentPort: 9443,
    agentAddress: `meta${i}.example.com:9443`,
    metaConfig: '/home/work/app/pegasus/meta/config.ini',
    metaService: 'pegasus-meta-c1',
    tls: tls(`meta${i}.example.com`),
  }));
  const c2 = [1, 2].map((i) => ({
    name: `c2-meta${i}`,
    address: `10.0.1.${i}`,
    metaPort: 34611,
    metaAddress: `10.0.1.${i}:34611`,
    agentPort: 9443,
    agentAddress: `10.0.1.${i}:9443`,
    metaConfig: '/home/work/app/pegasus/meta/config.ini',
    metaService: 'pegasus-meta',
    tls: tls(`10.0.1.${i}`, i === 2 ? '/etc/zkmig/c2.token' : undefined),
  }));
  const shell = (list: string) => ({ template: '/opt/pegasus/run.sh shell --cluster {meta_servers}', argv: ['/opt/pegasus/run.sh', 'shell', '--cluster', list] });
  const l1 = c1.map((m) => m.metaAddress).join(',');
  const l2 = c2.map((m) => m.metaAddress).join(',');
  return {
    file,
    format,
    clusters: [
      { name: 'c1', metas: c1, metaServers: l1, shell: shell(l1) },
      { name: 'c2', metas: c2, metaServers: l2, shell: shell(l2) },
    ],
    groups: {
      all: [...c1, ...c2].map((m) => m.name),
      ungrouped: [],
      pegasus: [...c1, ...c2].map((m) => m.name),
      c1: c1.map((m) => m.name),
      c2: c2.map((m) => m.name),
    },
    hosts: [...c1, ...c2].map((m) => m.name),
    warnings: [],
  };
};

