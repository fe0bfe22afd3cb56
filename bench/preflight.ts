/**
 * `npm run bench -- preflight`: the migration preflight (what `zkmig plan` and `zkmig migrate` run
 * before anything changes) on the sandbox's production-size tree (`--profile large`, ~100,000
 * znodes). Goal: <= 2 s. Reports, per run, the preflight's total and the time between its progress
 * messages (the phases it announces: agent configs, then the audit while the tree read starts,
 * cluster health and the shell, what is left of the tree read, the authentication probes, the
 * target); then the source tree read alone (`readTree` with data and ACLs, with the preflight's
 * sessions and with readTree's default) and `fingerprint` alone; and the
 * machine's load average, since the machine is shared.
 *
 * Flags: --profile=NAME (large), --runs=N (3), --sandbox=DIR (use a sandbox already up in DIR
 * instead of starting one; it is left running), --keep (leave the started sandbox running).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadCluster, openEnv } from '../coordinator/lib/migrate/env';
import { resolveParams } from '../coordinator/lib/migrate/params';
import { preflight, PREFLIGHT_READ } from '../coordinator/lib/migrate/preflight';
import { withRunZkSecurity } from '../coordinator/lib/migrate/zk-security';
import { sandboxUp } from '../coordinator/lib/sandbox';
import { readState } from '../coordinator/lib/sandbox/state';
import { fingerprint, readTree, ReadTreeOptions } from '../coordinator/lib/zk/tree-read';
import { judgedNode } from '../coordinator/lib/migrate/losses';
import { ZkSession } from '../shared/zk/client';
import { teardownBenchSandbox } from './_sandbox-teardown';

function flag(args: string[], name: string, def: string): string {
  const a = args.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : def;
}

const load = (): number[] => os.loadavg().map((l) => Math.round(l * 100) / 100);

/** One preflight: its total and the time from each progress message to the next (or to the end). */
async function onePreflight(inventory: string, cluster: string, to: string): Promise<{ totalMs: number; phases: Record<string, number>; nodes: number }> {
  const params = resolveParams({ inventory, cluster, to, method: 'copy', dryRun: true });
  const c = loadCluster(params, process.env);
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkmig-bench-preflight-state-'));
  const env = openEnv({ run: 'bench', params, cluster: c, journal: undefined, emit: () => undefined, stateDir, env: process.env });
  const marks: { what: string; at: number }[] = [];
  const t0 = Date.now();
  try {
    // The message's first words name the phase ("asking the 3 agents ...", "reading /x on ...").
    const facts = await withRunZkSecurity(c, to, () => preflight(env, {}, (m) => marks.push({ what: m.split(' ').slice(0, 2).join(' '), at: Date.now() })));
    const end = Date.now();
    const phases: Record<string, number> = {};
    marks.forEach((m, i) => (phases[m.what] = (marks[i + 1]?.at ?? end) - m.at));
    return { totalMs: end - t0, phases, nodes: facts.size.nodes };
  } finally {
    env.pool.close();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

async function treeReadMs(hosts: string, root: string, o: ReadTreeOptions = {}): Promise<number> {
  const s = await ZkSession.connect(hosts, { sessionTimeoutMs: 10000 });
  try {
    const t0 = Date.now();
    await readTree(s, root, { keepData: true, ...o });
    return Date.now() - t0;
  } finally {
    s.close();
  }
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const runs = Number(flag(args, 'runs', '3'));
  const given = flag(args, 'sandbox', '');
  const base = given ? '' : fs.mkdtempSync(path.join(os.tmpdir(), 'zkmig-bench-preflight-'));
  const dir = given || path.join(base, 'sandbox');
  const say = (m: string): void => void process.stderr.write(`  ${m}\n`);
  try {
    if (!given) await sandboxUp({ dir, profile: flag(args, 'profile', 'large'), progress: say });
    const st = readState(dir);
    if (!st) throw new Error(`no sandbox in ${dir}`);
    const oldZk = st.zk.old!.connectString;
    const newZk = st.zk.new!.connectString;
    const before = load();
    const preflights = [];
    for (let i = 0; i < runs; i++) {
      const p = await onePreflight(st.inventory, st.cluster, newZk);
      say(`preflight ${i + 1}: ${p.totalMs} ms ${JSON.stringify(p.phases)}`);
      preflights.push(p);
    }
    const reads: number[] = [];
    const withAcls: number[] = [];
    const defaults: number[] = [];
    const prints: number[] = [];
    for (let i = 0; i < runs; i++) {
      // What the preflight reads (preflight.ts readSource): data and stats, no ACL, no digest; and
      // with every ACL, as it reads with --no-precopy.
      reads.push(await treeReadMs(oldZk, st.clusterRoot, { ...PREFLIGHT_READ, keepData: judgedNode, digest: false, readAcl: false }));
      withAcls.push(await treeReadMs(oldZk, st.clusterRoot, { ...PREFLIGHT_READ, digest: false }));
      defaults.push(await treeReadMs(oldZk, st.clusterRoot));
      const t0 = Date.now();
      await fingerprint(oldZk, st.clusterRoot);
      prints.push(Date.now() - t0);
      say(`tree read ${reads.at(-1)} ms (as the preflight reads it), ${withAcls.at(-1)} ms (with every ACL, --no-precopy), ${defaults.at(-1)} ms (readTree's default: ACLs and digest), fingerprint ${prints.at(-1)} ms`);
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    return {
      znodes: preflights[0]?.nodes ?? 0,
      preflightMs: { median: median(preflights.map((p) => p.totalMs)), runs: preflights },
      treeReadMs: { median: median(reads), runs: reads, ...PREFLIGHT_READ },
      treeReadWithAclsMs: { median: median(withAcls), runs: withAcls },
      treeReadDefaultMs: { median: median(defaults), runs: defaults },
      fingerprintMs: { median: median(prints), runs: prints },
      machine: { cpus: os.cpus().length, loadavgBefore: before, loadavgAfter: load() },
    };
  } finally {
    if (!given) await teardownBenchSandbox(args, dir, base, say);
  }
}
