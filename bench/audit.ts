/**
 * `npm run bench -- audit`: `zkmig audit` over 10 and 100 agents on loopback (issue 6: ≤ 2 s at
 * 100, coordinator memory flat with the number of hosts).
 *
 * Setup: the real Pegasus config.ini (test/fixtures/pegasus, placeholders rendered) on every host; 10
 * metas per cluster; real agent servers with mutual TLS (bench/_audit-farm.ts, one process for all
 * of them); each cluster's `pegasus_shell` prints a recorded cluster_info (`cat FILE`), so the
 * figure is zkmig's own cost, not a Pegasus shell's. Each audit runs as a fresh process
 * (bench/_audit-run.ts), `--forks 64`; runs per size: `--runs N` (default 3), median reported.
 *
 * Sizes: 10, 100, 300 and 1000 hosts (`--sizes=10,100`), forks: the CLI default (`--forks=N`).
 *
 * Output: per size, median and all audit wall times, the coordinator process's peak RSS (median)
 * and its live heap after a forced GC at the end (what the audit retained: the report, which
 * names every host), the ratios of peak RSS between consecutive sizes, and what each added host
 * cost between two sizes (`addedPerHost`, KiB of peak RSS and of live heap). Peak RSS includes
 * garbage V8 has not collected yet, so it rises while V8 sizes its heap for the allocation rate
 * and then levels off; the per-host slope beyond a few hundred hosts shows whether anything is
 * kept per host. The agents read only the keys the audit needs (ReadConfig `only_keys`), which
 * is what keeps that slope small: whole files and their parses were ~150 KB of garbage per host.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import YAML from 'yaml';
import { cliNodeFlags } from './_node-flags';
import { makeTestPki } from '../test/harness/certs';
import { tempDir } from '../test/harness/tmp';
import { PEGASUS_CONFIG_FIXTURE } from '../test/harness/fixtures';

const SIZES = [10, 100, 300, 1000];
const PER_CLUSTER = 10;
const FIXTURE = PEGASUS_CONFIG_FIXTURE;

interface RunStats {
  exitCode: number;
  auditMs: number;
  maxRssMiB: number;
  heapUsedMiB: number;
  rssBeforeMiB: number;
  recap: unknown;
  counts: unknown;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function startFarm(specFile: string): Promise<{ proc: ChildProcess; ports: number[] }> {
  const proc = spawn(process.execPath, [path.join(__dirname, '_audit-farm.js'), specFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = readline.createInterface({ input: proc.stdout! });
    rl.once('line', resolve);
    proc.once('exit', (c) => reject(new Error(`agent farm exited with ${c}`)));
  });
  return { proc, ports: (JSON.parse(line) as { ports: number[] }).ports };
}

function runAudit(inventory: string, forks: string | undefined): Promise<RunStats> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...cliNodeFlags(), '--expose-gc', path.join(__dirname, '_audit-run.js'), inventory, ...(forks ? [forks] : [])], { maxBuffer: 1 << 20 }, (err, stdout) => {
      if (err) reject(err);
      else resolve(JSON.parse(stdout) as RunStats);
    });
  });
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const opt = (name: string): string | undefined => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const runs = Number(opt('runs') ?? 3);
  const forks = opt('forks');
  const sizes = (opt('sizes') ?? SIZES.join(',')).split(',').map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < PER_CLUSTER || n % PER_CLUSTER !== 0)) throw new Error(`--sizes: multiples of ${PER_CLUSTER} only`);
  if (!FIXTURE) throw new Error('test/fixtures/pegasus/config.ini not found');
  const tmp = tempDir('zkmig-bench-audit-');
  const pki = makeTestPki();
  const results: Record<string, unknown> = {};
  try {
    const template = fs.readFileSync(FIXTURE, 'utf8');
    for (const n of sizes) {
      const dir = path.join(fs.realpathSync(tmp.dir), `n${n}`);
      fs.mkdirSync(dir);
      const clusters = Array.from({ length: n / PER_CLUSTER }, (_, c) => `bench${c}`);
      const files: string[] = [];
      const metaPort = (c: number, i: number): number => 40000 + c * 100 + i;
      clusters.forEach((name, c) => {
        const metas = Array.from({ length: PER_CLUSTER }, (_, i) => `127.0.0.1:${metaPort(c, i)}`).join(',');
        for (let i = 0; i < PER_CLUSTER; i++) {
          const f = path.join(dir, `${name}-meta${i}.ini`);
          const values: Record<string, string> = { 'cluster.name': name, 'meta.server.list': metas, 'zk.server.list': 'zk1:2181,zk2:2181,zk3:2181', 'app.dir': '/home/work/app', 'data.dirs': '/home/work/ssd', 'home.dir': '/home/work', hdfs_service_args: '' };
          fs.writeFileSync(f, template.replace(/%\{([^}]+)\}/g, (m, k: string) => values[k] ?? m));
          files.push(f);
        }
        fs.writeFileSync(
          path.join(dir, `${name}.cluster_info`),
          `[cluster_info]\nmeta_servers                  : ${metas}\nprimary_meta_server           : 127.0.0.1:${metaPort(c, 0)}\nzookeeper_hosts               : zk1:2181,zk2:2181,zk3:2181\nzookeeper_root                : /pegasus/${name}\nmeta_function_level           : steady\nbalance_operation_count       : move_pri=0,copy_pri=0,copy_sec=0,total=0\nprimary_replica_count_stddev  : 0.00\ntotal_replica_count_stddev    : 0.00\ncluster_name                  : ${name}\n`,
        );
      });
      const specFile = path.join(dir, 'farm.json');
      fs.writeFileSync(specFile, JSON.stringify({ pki: { ca: pki.ca, cert: pki.agent.cert, key: pki.agent.key }, files, stateDir: dir }));
      process.stderr.write(`bench audit: starting ${n} agents\n`);
      const farm = await startFarm(specFile);
      try {
        const children: Record<string, unknown> = {};
        clusters.forEach((name, c) => {
          const hosts: Record<string, unknown> = {};
          for (let i = 0; i < PER_CLUSTER; i++) {
            hosts[`${name}-m${i}`] = { ansible_host: '127.0.0.1', meta_port: metaPort(c, i), agent_port: farm.ports[c * PER_CLUSTER + i], meta_config: files[c * PER_CLUSTER + i] };
          }
          children[name] = { hosts, vars: { pegasus_shell: `cat ${path.join(dir, `${name}.cluster_info`)}` } };
        });
        const inventory = path.join(dir, 'inventory.yml');
        fs.writeFileSync(inventory, YAML.stringify({ all: { vars: { agent_ca_file: pki.ca, agent_cert_file: pki.coordinator.cert, agent_key_file: pki.coordinator.key, agent_server_name: 'localhost' }, children } }));
        const stats: RunStats[] = [];
        for (let r = 0; r < runs; r++) {
          const s = await runAudit(inventory, forks);
          if (s.exitCode !== 0) throw new Error(`audit of ${n} hosts exited ${s.exitCode}: ${JSON.stringify(s)}`);
          stats.push(s);
          process.stderr.write(`bench audit: ${n} hosts: ${s.auditMs} ms, peak RSS ${s.maxRssMiB} MiB\n`);
        }
        results[`hosts${n}`] = {
          hosts: n,
          clusters: clusters.length,
          auditMsMedian: median(stats.map((s) => s.auditMs)),
          auditMsAll: stats.map((s) => s.auditMs),
          maxRssMiBMedian: median(stats.map((s) => s.maxRssMiB)),
          liveHeapMiBAfterGc: median(stats.map((s) => s.heapUsedMiB)),
          recap: stats[0]!.recap,
        };
      } finally {
        farm.proc.kill('SIGTERM');
        await new Promise((r) => farm.proc.once('exit', r));
      }
    }
  } finally {
    pki.cleanup();
    tmp.cleanup();
  }
  type R = { maxRssMiBMedian: number; auditMsMedian: number; liveHeapMiBAfterGc: number };
  const at100 = results.hosts100 as R | undefined;
  const ratios: Record<string, number> = {};
  const perHost: Record<string, { peakRssKiB: number; liveHeapKiB: number }> = {};
  for (let i = 1; i < sizes.length; i++) {
    const a = results[`hosts${sizes[i - 1]}`] as R;
    const b = results[`hosts${sizes[i]}`] as R;
    const added = sizes[i]! - sizes[i - 1]!;
    ratios[`${sizes[i]}vs${sizes[i - 1]}`] = Math.round((b.maxRssMiBMedian / a.maxRssMiBMedian) * 100) / 100;
    // What each host added between two sizes: the growth curve's slope, which is what "flat with
    // the number of hosts" is about (a fixed start-up cost does not count against it).
    perHost[`${sizes[i - 1]}to${sizes[i]}`] = {
      peakRssKiB: Math.round(((b.maxRssMiBMedian - a.maxRssMiBMedian) * 1024) / added),
      liveHeapKiB: Math.round(((b.liveHeapMiBAfterGc - a.liveHeapMiBAfterGc) * 1024) / added),
    };
  }
  return {
    forks: forks ?? 'default',
    ...results,
    peakRssRatios: ratios,
    addedPerHost: perHost,
    target: { auditMsAt100: 2000 },
    ...(at100 ? { pass: at100.auditMsMedian <= 2000 } : {}),
  };
}
