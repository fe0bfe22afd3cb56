/**
 * `npm run bench -- agent [--edits=N] [--facts=N] [--dir=D]`: a real zkmig-agent process over mutual TLS on
 * loopback, measured from outside.
 * - idle RSS of the agent process after start and a few calls (target ≤ 60 MB);
 * - EditConfig round trip on the stock Pegasus config.ini, alternating two values so every call
 *   really writes (backup + temp file + fsync + rename + directory fsync): p50/p95/p99 (target
 *   p99 ≤ 20 ms);
 * - memory across sequential GetFacts calls (target: no growth): RSS samples of the production
 *   process, and the heap retained after a full GC, from the same agent run again through
 *   _agent-heap-probe.ts (RSS alone rises while V8 defers major GCs, leak or not).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeTestPki } from '../test/harness/certs';
import { agentNodeFlags, TestAgent, stopAllAgents } from '../test/harness/agent';
import { waitFor } from '../test/harness/tmp';
import { PEGASUS_CONFIG_FIXTURE } from '../test/harness/fixtures';

function arg(args: string[], name: string, dflt: number): number {
  const a = args.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split('=')[1]) : dflt;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : NaN;
}

function pct(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round((sorted[Math.max(0, i)] ?? NaN) * 100) / 100;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Heap after a full GC (MB), sampled every tenth of `calls` sequential facts calls. */
async function heapAcrossFacts(config: string, port: number, calls: number, client: TestAgent['client']): Promise<number[]> {
  const probe = path.join(__dirname, '_agent-heap-probe.js');
  const proc = spawn(process.execPath, ['--expose-gc', ...agentNodeFlags(), probe, '--config', config, '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  const lines: number[] = [];
  let buf = '';
  proc.stderr.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const m = /^HEAP (\d+)$/.exec(buf.slice(0, i));
      if (m) lines.push(Number(m[1]) / 1048576);
      buf = buf.slice(i + 1);
    }
  });
  const sample = async (): Promise<number> => {
    const n = lines.length;
    proc.kill('SIGUSR2');
    await waitFor('a heap sample', () => lines.length > n, 10000, 5);
    return Math.round((lines[lines.length - 1] as number) * 100) / 100;
  };
  try {
    const c = client({ retry: { maxAttempts: 20, initialBackoffMs: 50, maxBackoffMs: 200 } });
    await waitFor('the probe agent to serve', async () => (await c.health()) === 'SERVING', 20000, 50);
    for (let i = 0; i < 100; i++) await c.facts();
    const out = [await sample()];
    const step = Math.max(1, Math.floor(calls / 10));
    for (let i = 1; i <= calls; i++) {
      await c.facts();
      if (i % step === 0) out.push(await sample());
    }
    c.close();
    return out;
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
  }
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const edits = arg(args, 'edits', 1000);
  const factsCalls = arg(args, 'facts', 1000);
  const load0 = os.loadavg()[0] ?? 0;
  // --dir=/dev/shm takes the disk's fsync latency out, to separate the agent's own cost from a
  // disk that other work is hammering; the default measures what an operator gets.
  const base = args.find((x) => x.startsWith('--dir='))?.slice(6) || os.tmpdir();
  const dir = fs.mkdtempSync(path.join(base, 'zkmig-bench-agent-'));
  const pki = makeTestPki();
  const conf = path.join(dir, 'conf', 'config.ini');
  fs.mkdirSync(path.dirname(conf));
  fs.copyFileSync(PEGASUS_CONFIG_FIXTURE, conf);
  try {
    const agent = await TestAgent.start({
      dir,
      pki,
      files: [conf],
      extra: { backups: { keep: 20 } },
      services: [{ name: 'meta', backend: 'command', configFile: conf, command: { start: [process.execPath, '-e', 'setInterval(() => {}, 1000)'] } }],
    });
    const pid = agent.proc?.pid as number;
    const c = agent.client();
    const rssAfterStart = rssMb(pid);
    await c.facts();
    await sleep(2000);
    const idleRss = rssMb(pid);

    process.stderr.write(`bench agent: ${edits} edits\n`);
    const lat: number[] = [];
    for (let i = 0; i < edits; i++) {
      const t0 = process.hrtime.bigint();
      const r = await c.editConfig({ path: conf, edits: [{ section: 'zookeeper', key: 'hosts_list', value: i % 2 ? 'zk-a:2181,zk-b:2181' : 'zk-c:2181,zk-d:2181' }] });
      lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (!r.changed) throw new Error('edit did not change the file: the benchmark would measure nothing');
    }
    lat.sort((a, b) => a - b);

    process.stderr.write(`bench agent: ${factsCalls} facts calls\n`);
    for (let i = 0; i < 100; i++) await c.facts(); // warm-up: JIT, TLS session, buffers
    const samples: number[] = [rssMb(pid)];
    const step = Math.max(1, Math.floor(factsCalls / 10));
    const f0 = Date.now();
    for (let i = 1; i <= factsCalls; i++) {
      await c.facts();
      if (i % step === 0) samples.push(rssMb(pid));
    }
    const factsMs = Date.now() - f0;
    await sleep(1000);
    const after = rssMb(pid);
    c.close();
    const port = agent.port;
    await agent.stop();
    const growth = Math.round((after - (samples[0] ?? after)) * 10) / 10;
    process.stderr.write(`bench agent: ${factsCalls} facts calls, heap after full GC\n`);
    const heap = await heapAcrossFacts(agent.configPath, port, factsCalls, (o) => agent.client(o));
    const heapGrowth = Math.round(((heap[heap.length - 1] ?? 0) - (heap[0] ?? 0)) * 100) / 100;
    return {
      node: process.version,
      // Other work on the machine (a shared CI box, other test suites) shows up in the tail latencies.
      loadAvg1m: { before: Math.round(load0 * 100) / 100, after: Math.round((os.loadavg()[0] ?? 0) * 100) / 100 },
      cpus: os.cpus().length,
      dir: base,
      nodeFlags: agentNodeFlags().join(' '),
      rssAfterStartMb: rssAfterStart,
      idleRssMb: idleRss,
      idleRssOk: idleRss <= 60,
      edits,
      editMs: { p50: pct(lat, 50), p95: pct(lat, 95), p99: pct(lat, 99), max: pct(lat, 100) },
      editP99Ok: pct(lat, 99) <= 20,
      factsCalls,
      factsPerSecond: Math.round((factsCalls / factsMs) * 1000),
      factsRssSamplesMb: samples,
      factsRssAfterMb: after,
      // RSS rises while V8 defers major GCs; the retained heap is what says "leak or not".
      factsRssGrowthMb: growth,
      factsHeapAfterGcMb: heap,
      factsHeapGrowthMb: heapGrowth,
      // "No growth": within 1 MB of retained heap (a 1 KB-per-call leak would show 1 MB).
      factsNoGrowthOk: heapGrowth <= 1,
    };
  } finally {
    await stopAllAgents();
    pki.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
