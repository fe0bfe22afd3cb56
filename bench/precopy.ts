/**
 * `npm run bench -- precopy`: the live pre-copy engine (coordinator/lib/zk/follow.ts, issue 15) on
 * Pegasus-shaped trees of about 10,000 and 100,000 znodes between two local standalone ZooKeeper
 * 3.8 servers, with a steady write load on the source (setData on partition nodes, creates and
 * deletes; default 250 writes/s) while the pre-copy runs.
 *
 * Reported per size and change detection (`watch`: addWatch; `sweep`: the fallback for ZooKeeper
 * < 3.6): the initial copy and full comparison (outside the freeze), the catch-up lag (time from a
 * change being reported to the round that settled it) and outstanding delta over `--catchup-s`
 * seconds of rounds under load, then, with the writer stopped (the freeze), finalize split into the
 * final delta, the ACL check and the proof. `freezeMs` is finalize's total: the part that would sit
 * inside the write freeze. Every run is checked afterwards by an independent full diff of both trees.
 *
 * Flags: --sizes 10000,100000 (approximate znodes; 400 partitions per table), --rate N (writes/s),
 * --catchup-s N, --modes watch,sweep.
 */
import * as path from 'node:path';
import { diffTrees, pegasusTreeSize, seedPegasusTree, TreeFollower } from '../coordinator/lib/zk';
import type { ChangeDetection } from '../coordinator/lib/zk';
import { ZkEnsemble } from '../coordinator/lib/zk-server';
import { startLiveWriter } from '../test/harness/zk-live-writer';
import { tempDir } from '../test/harness/tmp';

function flag(args: string[], name: string, dflt: string): string {
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return dflt;
  const a = args[i]!;
  return a.includes('=') ? a.slice(a.indexOf('=') + 1) : (args[i + 1] ?? dflt);
}

const sec = (ms: number): number => Math.round(ms) / 1000;

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

export async function run(argv: string[]): Promise<Record<string, unknown>> {
  const sizes = flag(argv, 'sizes', '10000,100000').split(',').map(Number);
  const rate = Number(flag(argv, 'rate', '250'));
  const catchupS = Number(flag(argv, 'catchup-s', '10'));
  const modes = flag(argv, 'modes', 'watch,sweep').split(',') as ChangeDetection[];
  const log = (m: string): void => void process.stderr.write(`precopy bench: ${m}\n`);
  const tmp = tempDir('zkmig-bench-precopy-');
  const [a, b] = await Promise.all([
    ZkEnsemble.start({ baseDir: path.join(tmp.dir, 'a'), marker: `bench-${process.pid}` }),
    ZkEnsemble.start({ baseDir: path.join(tmp.dir, 'b'), marker: `bench-${process.pid}` }),
  ]);
  const runs: Record<string, unknown>[] = [];
  try {
    for (const size of sizes) {
      const apps = Math.max(1, Math.round(size / 400));
      for (const mode of modes) {
        const spec = { root: `/pegasus/p${size}${mode}`, apps, partitions: 400 };
        const znodes = pegasusTreeSize(spec);
        log(`${mode}, ${znodes.toLocaleString('en-US')} znodes: seeding`);
        await seedPegasusTree(a.connectString, spec);
        const update = Array.from({ length: 2000 }, (_, i) => `${spec.root}/apps/${1 + (i % apps)}/${i % 400}`);
        const writer = await startLiveWriter(a.connectString, spec.root, { rate, update });
        let f: TreeFollower | undefined;
        try {
          const t0 = Date.now();
          f = await TreeFollower.start({ source: `${a.connectString}${spec.root}`, target: `${b.connectString}${spec.root}`, changeDetection: mode });
          const startMs = Date.now() - t0;
          log(`${mode}: copy ${f.timings.copyMs} ms, full comparison ${f.timings.compareMs} ms; catching up for ${catchupS} s`);
          const lags: number[] = [];
          const outstanding: number[] = [];
          const roundMs: number[] = [];
          const writesBefore = writer.done;
          const tc = Date.now();
          // Rounds back to back, as a pre-copy waiting for its delta to fall below a threshold would run them.
          while (Date.now() - tc < catchupS * 1000) {
            const r = await f.catchUp();
            if (r.paths > 0) lags.push(r.maxLagMs);
            outstanding.push(r.outstanding);
            roundMs.push(r.ms);
            if (r.paths === 0) await new Promise((res) => setTimeout(res, 20));
          }
          const writesPerS = (writer.done - writesBefore) / ((Date.now() - tc) / 1000);
          const w = await writer.stop();
          // The freeze starts here: the source has no writer left.
          const outstandingAtFreeze = f.outstanding();
          const fin = await f.finalize();
          log(`${mode}: finalize ${fin.ms.total} ms (delta ${fin.ms.finalDelta}, ACL check ${fin.ms.aclCheck}, proof ${fin.ms.proof}); checking with a full diff`);
          const d = await diffTrees({ a: `${a.connectString}${spec.root}`, b: `${b.connectString}${spec.root}` });
          if (!d.equal) throw new Error(`the pre-copy bench target differs from its source: ${JSON.stringify(d.differences.slice(0, 5))}`);
          runs.push({
            mode,
            znodes: fin.nodes,
            writesPerSecond: Math.round(writesPerS),
            writerErrors: w.errors,
            preCopy: { startSeconds: sec(startMs), copySeconds: sec(f.timings.copyMs), fullCompareSeconds: sec(f.timings.compareMs) },
            catchUp: {
              rounds: roundMs.length,
              lagMsP50: pct(lags, 50),
              lagMsP95: pct(lags, 95),
              lagMsMax: Math.max(0, ...lags),
              outstandingP50: pct(outstanding, 50),
              outstandingMax: Math.max(0, ...outstanding),
              roundMsP50: pct(roundMs, 50),
            },
            freeze: {
              outstandingAtFreeze,
              finalizeSeconds: sec(fin.ms.total),
              finalDeltaSeconds: sec(fin.ms.finalDelta),
              aclCheckSeconds: sec(fin.ms.aclCheck),
              proofSeconds: sec(fin.ms.proof),
              withoutAclCheckSeconds: sec(fin.ms.total - fin.ms.aclCheck),
              rounds: fin.rounds,
              proof: fin.proof,
              compared: fin.compared,
            },
            verifiedEqual: d.equal,
            resyncs: f.resyncs,
            gaps: f.gaps,
          });
        } finally {
          if (writer) await writer.stop().catch(() => undefined);
          f?.close();
        }
      }
    }
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    tmp.cleanup();
  }
  return { rate, catchupSeconds: catchupS, runs };
}
