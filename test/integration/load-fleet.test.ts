/**
 * Issue 9, load: one coordinator process driving 100 real agents (10 clusters × 10 metas) over
 * mutual TLS on loopback, all hosts in flight at once, keeps every call within its deadline:
 * `zkmig audit` and `zkmig config set --check` on every cluster at the same time. Every host must
 * be ok on the first attempt (no retry, no DEADLINE_EXCEEDED / UNAVAILABLE), every duration under
 * the deadline, and check mode must change no file.
 *
 * The 100 agents run as 10 processes of 10 agent servers each (test/harness/agent-farm.ts): 100
 * separate Node processes take 25-60 s just to start on 2 busy cores, too much for `npm test`;
 * `npm run bench -- load` runs the 100-process shape and reports its figures.
 */
import anyTest, { TestFn } from 'ava';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { killAllFarms } from '../harness/agent-farm';
import { makeTestPki, REPO_ROOT, TestPki } from '../harness/certs';
import { runCoordinator } from '../harness/coordinator-run';
import { summarise } from '../harness/latency';
import { LoadFleet, LOAD_ZK, startLoadFleet } from '../harness/load-fleet';
import { tempDir, waitFor } from '../harness/tmp';

interface Ctx {
  pki: TestPki;
  tmp: { dir: string; cleanup: () => void };
  fleet: LoadFleet;
}

const test = anyTest as TestFn<Ctx>;

/** `--timeout 10s`: the read deadline; check-mode edits get max(10 s, 30 s) (commandPool). */
const READ_DEADLINE_MS = 10_000;
const EDIT_DEADLINE_MS = 30_000;
const CLUSTERS = 10;
const PER_CLUSTER = 10;
const NEW_ZK = 'newzk1:2181,newzk2:2181,newzk3:2181';
const CLI = path.join(REPO_ROOT, 'dist', 'coordinator', 'cli.js');
/** --timeout of the stuck-agent audit: long enough that healthy agents answer on a loaded machine. */
const TIMEOUT_S = 5;

interface Host {
  cluster?: string;
  host: string;
  status: string;
  durationMs: number;
  retries: number;
  error?: unknown;
}

test.before(async (t) => {
  const tmp = tempDir('zkmig-load-fleet-');
  const pki = makeTestPki();
  t.context.tmp = tmp;
  t.context.pki = pki;
  t.context.fleet = await startLoadFleet({ dir: path.join(tmp.dir, 'fleet'), pki, clusters: CLUSTERS, perCluster: PER_CLUSTER, perProcess: 10 });
  t.log(`${CLUSTERS * PER_CLUSTER} agents in ${t.context.fleet.farm.pids.length} processes started in ${t.context.fleet.farm.startMs} ms`);
});

test.after.always(async (t) => {
  await t.context.fleet?.farm.stop().catch(() => undefined);
  killAllFarms();
  t.context.pki?.cleanup();
  t.context.tmp?.cleanup();
});

function assertFirstTimeWithin(t: import('ava').ExecutionContext<Ctx>, hosts: Host[], deadlineMs: number, what: string): void {
  t.is(hosts.length, CLUSTERS * PER_CLUSTER, `${what}: one outcome per host`);
  const bad = hosts.filter((h) => !['ok', 'changed'].includes(h.status) || h.error !== undefined);
  t.deepEqual(bad, [], `${what}: every host answered (no DEADLINE_EXCEEDED, no UNAVAILABLE)`);
  t.deepEqual(hosts.filter((h) => h.retries !== 0).map((h) => h.host), [], `${what}: every call succeeded on its first attempt`);
  t.deepEqual(hosts.filter((h) => !(h.durationMs >= 0 && h.durationMs < deadlineMs)).map((h) => `${h.host}: ${h.durationMs} ms`), [], `${what}: every call within ${deadlineMs} ms`);
  t.log(`${what}: per-host ms ${JSON.stringify(summarise(hosts.map((h) => h.durationMs)))} (deadline ${deadlineMs})`);
}

test.serial('zkmig audit over 100 agents, all at once: every host read first time within the deadline', async (t) => {
  const { fleet } = t.context;
  const before = fleet.hashes();
  const { runs, maxRssMiB } = await runCoordinator([['audit', '-i', fleet.inventory, '--json', '--forks', '100', '--timeout', '10s']]);
  const r = runs[0]!;
  t.is(r.code, 0, r.err);
  const report = JSON.parse(r.out) as { clean: boolean; clusters: { cluster: string; hosts: Host[] }[]; recap: { totals: Record<string, number> } };
  t.true(report.clean, 'the rendered fixture has no finding');
  t.is(report.clusters.length, CLUSTERS);
  assertFirstTimeWithin(t, report.clusters.flatMap((c) => c.hosts), READ_DEADLINE_MS, 'audit');
  t.is(report.recap.totals.ok, CLUSTERS * PER_CLUSTER);
  t.deepEqual(fleet.hashes(), before, 'an audit writes nothing');
  t.log(`audit: ${r.ms} ms wall, coordinator peak RSS ${maxRssMiB} MiB`);
});

test.serial('zkmig config set --check on every cluster at once: first time, within the deadline, nothing written, diffs where values differ', async (t) => {
  const { fleet } = t.context;
  const before = fleet.hashes();
  // Half the clusters are asked for the value they already have (no change), half for a new one.
  const differs = (ci: number): boolean => ci >= CLUSTERS / 2;
  const argvs = fleet.clusters.map((c, ci) => ['config', 'set', '-i', fleet.inventory, '--cluster', c.name, '--check', '--json', '--forks', String(PER_CLUSTER), '--timeout', '10s', `zookeeper.hosts_list=${differs(ci) ? NEW_ZK : LOAD_ZK}`]);
  const { runs, maxRssMiB } = await runCoordinator(argvs);
  const all: Host[] = [];
  runs.forEach((r, ci) => {
    const name = fleet.clusters[ci]!.name;
    // config set exits 0 whether or not check mode found changes.
    t.is(r.code, 0, `${name}: ${r.err}`);
    const res = JSON.parse(r.out) as { cluster: string; checkMode: boolean; hosts: (Host & { value?: { path: string; changed: boolean; checkMode: boolean; diff: string; beforeSha256: string; afterSha256: string; backupFile: string } })[] };
    t.is(res.cluster, name);
    t.true(res.checkMode);
    for (const h of res.hosts) {
      const v = h.value;
      if (!v) continue; // reported by assertFirstTimeWithin
      t.true(v.checkMode, `${h.host}: answered in check mode`);
      t.is(v.backupFile, '', `${h.host}: no backup in check mode`);
      t.is(v.beforeSha256, before.get(v.path) ?? `no file ${v.path}`, `${h.host}: before-hash is the file's`);
      if (differs(ci)) {
        t.is(h.status, 'changed', `${h.host}: would change`);
        t.true(v.changed);
        t.not(v.afterSha256, v.beforeSha256);
        t.regex(v.diff, new RegExp(`^-\\s*hosts_list = ${LOAD_ZK}$`, 'm'), `${h.host}: diff shows the old value`);
        t.regex(v.diff, new RegExp(`^\\+\\s*hosts_list = ${NEW_ZK}$`, 'm'), `${h.host}: diff shows the new value`);
      } else {
        t.is(h.status, 'ok', `${h.host}: nothing to change`);
        t.false(v.changed);
        t.is(v.diff, '');
        t.is(v.afterSha256, v.beforeSha256);
      }
    }
    all.push(...res.hosts);
  });
  assertFirstTimeWithin(t, all, EDIT_DEADLINE_MS, 'config set --check');
  t.deepEqual(fleet.hashes(), before, 'check mode wrote nothing');
  const backups = fleet.files.flatMap((f) => fs.readdirSync(path.dirname(f)).filter((n) => n.includes('.zkmig-backup')));
  t.deepEqual(backups, [], 'check mode made no backup');
  t.log(`config set --check ×${CLUSTERS}: slowest command ${Math.max(...runs.map((r) => r.ms))} ms, coordinator peak RSS ${maxRssMiB} MiB`);
});

test.serial('a stuck agent process costs its own hosts their deadline, not the others theirs, and zkmig still exits', async (t) => {
  const { fleet } = t.context;
  // SIGSTOP one process of 10 agents: the kernel still accepts their connections, nothing answers.
  const stuck = fleet.farm.pids[3]!;
  const stuckHosts = new Set(fleet.clusters[3]!.hosts);
  process.kill(stuck, 'SIGSTOP');
  try {
    // The real `zkmig` binary: the bug this guards against was the process never exiting.
    const proc = spawn(process.execPath, [CLI, 'audit', '-i', fleet.inventory, '--json', '--forks', '100', '--timeout', `${TIMEOUT_S}s`, '--no-running'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    try {
      // Two attempts of TIMEOUT_S each for the stuck hosts, then the report; a minute is far beyond that.
      await waitFor('zkmig audit to exit', () => proc.exitCode !== null, 60_000, 100);
    } finally {
      if (proc.exitCode === null) proc.kill('SIGKILL');
    }
    t.is(proc.exitCode, 1, `unreachable agents are findings: ${err}`);
    const hosts = (JSON.parse(out) as { clusters: { hosts: (Host & { error?: string })[] }[] }).clusters.flatMap((c) => c.hosts);
    const others = hosts.filter((h) => !stuckHosts.has(h.host));
    t.is(others.length, CLUSTERS * PER_CLUSTER - PER_CLUSTER);
    t.deepEqual(others.filter((h) => h.status !== 'ok' || h.retries !== 0).map((h) => h.host), [], 'the other agents answered first time');
    t.deepEqual(others.filter((h) => h.durationMs >= TIMEOUT_S * 1000).map((h) => `${h.host}: ${h.durationMs} ms`), [], 'within their deadline');
    for (const h of hosts.filter((x) => stuckHosts.has(x.host))) {
      t.is(h.status, 'unreachable', h.host);
      t.regex(h.error ?? '', /DEADLINE_EXCEEDED/, h.host);
      // A read is tried twice (commandPool), each attempt with its own deadline, which held both times.
      t.is(h.retries, 1, h.host);
      t.true(h.durationMs >= 2 * TIMEOUT_S * 1000, `${h.host}: waited out both deadlines (${h.durationMs} ms)`);
    }
  } finally {
    process.kill(stuck, 'SIGCONT');
  }
});
