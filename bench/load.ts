/**
 * `npm run bench -- load`: one coordinator process driving 100 real agents over mutual TLS on
 * loopback (issue 9, load). By default every agent is its own `zkmig-agent` process, as deployed
 * (`--per-process=N` packs N agent servers per process, the shape `npm test` uses).
 *
 * Per run: `zkmig audit --forks 100` over the whole fleet, then `zkmig config set --check` on every
 * cluster at once (half the clusters would change, half not), both with `--timeout 10s`.
 *
 * Output: agent start time (bounded parallel, `--start-concurrency`, default 8) and agent RSS;
 * per-host call durations (p50/p99/max) against the deadline, retries and failures over all runs;
 * each command's wall time and the coordinator's peak RSS. `pass` is false when any call failed,
 * retried or exceeded its deadline, or check mode wrote a file.
 *
 * Options: --clusters=10 --per-cluster=10 --per-process=1 --start-concurrency=8 --runs=3
 */
import * as path from 'node:path';
import { killAllFarms } from '../test/harness/agent-farm';
import { makeTestPki } from '../test/harness/certs';
import { runCoordinator } from '../test/harness/coordinator-run';
import { summarise } from '../test/harness/latency';
import { LOAD_ZK, startLoadFleet } from '../test/harness/load-fleet';
import { tempDir } from '../test/harness/tmp';

const READ_DEADLINE_MS = 10_000;
/** commandPool: check-mode edits get max(--timeout, 30 s). */
const EDIT_DEADLINE_MS = 30_000;

interface Host {
  host: string;
  status: string;
  durationMs: number;
  retries: number;
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const opt = (name: string, d: number): number => {
    const v = args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
    const n = v === undefined ? d : Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: a positive integer, got ${v}`);
    return n;
  };
  const clusters = opt('clusters', 10);
  const perCluster = opt('per-cluster', 10);
  const perProcess = opt('per-process', 1);
  const runs = opt('runs', 3);
  const hosts = clusters * perCluster;
  const tmp = tempDir('zkmig-bench-load-');
  const pki = makeTestPki();
  try {
    process.stderr.write(`bench load: starting ${hosts} agents, ${perProcess} per process\n`);
    const fleet = await startLoadFleet({ dir: path.join(tmp.dir, 'fleet'), pki, clusters, perCluster, perProcess, startConcurrency: opt('start-concurrency', 8) });
    try {
      const agentRss = fleet.farm.rssMiB();
      const before = fleet.hashes();
      const audit = { ms: [] as number[], wallMs: [] as number[], rssMiB: [] as number[], retries: 0, failed: 0 };
      const check = { ms: [] as number[], wallMs: [] as number[], rssMiB: [] as number[], retries: 0, failed: 0, changed: 0 };
      const tally = (into: typeof audit, hs: Host[]): void => {
        into.ms.push(...hs.map((h) => h.durationMs));
        into.retries += hs.reduce((s, h) => s + h.retries, 0);
        into.failed += hs.filter((h) => h.status !== 'ok' && h.status !== 'changed').length + (hosts - hs.length);
      };
      for (let r = 0; r < runs; r++) {
        const a = await runCoordinator([['audit', '-i', fleet.inventory, '--json', '--forks', String(hosts), '--timeout', '10s']]);
        const ar = a.runs[0]!;
        if (ar.code !== 0) throw new Error(`audit exited ${ar.code}: ${ar.err}`);
        tally(audit, (JSON.parse(ar.out) as { clusters: { hosts: Host[] }[] }).clusters.flatMap((c) => c.hosts));
        audit.wallMs.push(ar.ms);
        audit.rssMiB.push(a.maxRssMiB);

        const c = await runCoordinator(
          fleet.clusters.map((cl, ci) => ['config', 'set', '-i', fleet.inventory, '--cluster', cl.name, '--check', '--json', '--forks', String(perCluster), '--timeout', '10s', `zookeeper.hosts_list=${ci % 2 ? 'newzk1:2181,newzk2:2181' : LOAD_ZK}`]),
        );
        const hs: Host[] = [];
        for (const cr of c.runs) {
          if (cr.code !== 0) throw new Error(`config set --check exited ${cr.code}: ${cr.err}`);
          hs.push(...(JSON.parse(cr.out) as { hosts: Host[] }).hosts);
        }
        tally(check, hs);
        check.changed += hs.filter((h) => h.status === 'changed').length;
        check.wallMs.push(Math.max(...c.runs.map((x) => x.ms)));
        check.rssMiB.push(c.maxRssMiB);
        process.stderr.write(`bench load: run ${r + 1}: audit ${ar.ms} ms, config check ${Math.max(...c.runs.map((x) => x.ms))} ms\n`);
      }
      const after = fleet.hashes();
      const filesChanged = [...before].filter(([f, h]) => after.get(f) !== h).length;
      const stat = (x: typeof audit, deadlineMs: number) => {
        const s = summarise(x.ms);
        return { calls: s.n, perHostMs: { p50: s.p50, p99: s.p99, max: s.max }, deadlineMs, overDeadline: x.ms.filter((m) => m >= deadlineMs).length, retries: x.retries, failed: x.failed, commandWallMs: x.wallMs, coordinatorPeakRssMiB: x.rssMiB };
      };
      const a = stat(audit, READ_DEADLINE_MS);
      const c = stat(check, EDIT_DEADLINE_MS);
      return {
        hosts,
        clusters,
        agentProcesses: fleet.farm.pids.length,
        agentStartMs: fleet.farm.startMs,
        agentRssMiB: { total: Math.round(agentRss.reduce((s, x) => s + x, 0)), perProcess: summarise(agentRss) },
        runs,
        audit: a,
        configCheck: { ...c, changedHosts: check.changed },
        filesChangedByCheckMode: filesChanged,
        pass: [a, c].every((x) => x.overDeadline === 0 && x.retries === 0 && x.failed === 0) && filesChanged === 0,
      };
    } finally {
      await fleet.farm.stop();
    }
  } finally {
    killAllFarms();
    pki.cleanup();
    tmp.cleanup();
  }
}
