/**
 * One measured run of the copy benchmark, in its own process so that its peak RSS is its own:
 *   node dist/bench/_copy-child.js '{"kind":"copy"|"floor", "source": ..., "target": ..., ...}'
 * Prints one JSON line. (Files starting with "_" are not benchmarks of their own; see run.ts.)
 */
import { copyTree } from '../coordinator/lib/zk';
import { ZkConn } from '../coordinator/lib/zk/conn';
import { parseEndpoint } from '../shared/zk/endpoint';
import { loadSecurity } from '../shared/zk/security';
import { corked, getACL, getChildren, getData, multi, MULTI_OVERHEAD, MultiOp, multiOpBytes, multiReadData, NodeStat, RawAcl } from '../coordinator/lib/zk/wire';

interface Args {
  kind: 'copy' | 'floor';
  source: string;
  target: string;
  readSessions: number;
  window?: number;
  verify?: 'target' | 'full' | 'none';
  multiRead?: boolean;
  /** TLS files for both sides (the TLS comparison). */
  tls?: { ca: string; cert: string; key: string };
}

/**
 * The floor: the least work any faithful copy must do with this client. Data and ACL of every node
 * (children only where the Stat says there are some), over the same sessions and window as the copy,
 * streamed into bare multi creates of the same byte budget. No hashing, no index, no consistency
 * check, no backpressure, no recovery, no verify.
 */
async function floor(a: Args): Promise<{ nodes: number; ms: number }> {
  const src = parseEndpoint(a.source);
  const dst = parseEndpoint(a.target);
  const lanes = await Promise.all(Array.from({ length: a.readSessions }, () => ZkConn.open(src.hosts)));
  const out = await ZkConn.open(dst.hosts);
  const window = a.window ?? (a.multiRead ? 300 : 100);
  const t0 = Date.now();
  let nodes = 0;
  await new Promise<void>((resolve, reject) => {
    const queue = [src.path];
    const inflight = lanes.map(() => 0);
    let busyNodes = 0;
    let batch: MultiOp[] = [];
    let bytes = MULTI_OVERHEAD;
    let multis = 0;
    let readDone = false;
    const flushBatch = (): void => {
      if (batch.length === 0) return;
      const ops = batch;
      batch = [];
      bytes = MULTI_OVERHEAD;
      multis++;
      multi(out.client, ops, (err) => {
        if (err) return reject(err);
        multis--;
        if (multis === 0) flushBatch();
        if (readDone && multis === 0 && batch.length === 0) resolve();
      });
    };
    // Same batching policy as the copy's writer: full batches, or whatever is there when no multi is in flight.
    const write = (op: MultiOp): void => {
      const b = multiOpBytes(op);
      if (bytes + b > 256 * 1024) flushBatch();
      batch.push(op);
      bytes += b;
    };
    let scheduled = false;
    const batch_: { path: string; onData: (d: Buffer | null, s: NodeStat) => void }[] = [];
    const pump = (): void => {
      scheduled = false;
      lanes.forEach((lane, i) =>
        corked(lane.client, () => {
          while (inflight[i]! + 3 <= window && queue.length > 0) {
            const path = queue.pop()!;
            busyNodes++;
            let left = 2;
            let data: Buffer | null = null;
            let acl: RawAcl[] = [];
            let children: string[] = [];
            const settle = (): void => {
              if (--left > 0) return;
              busyNodes--;
              nodes++;
              const rel = path === src.path ? '' : path.slice(src.path.length);
              write({ kind: 'create', path: dst.path + rel, data, acl });
              for (const c of children) queue.push(`${path}/${c}`);
              if (!scheduled) {
                scheduled = true;
                process.nextTick(pump);
              }
            };
            inflight[i]! += 2;
            const onData = (d: Buffer | null, stat: NodeStat): void => {
              inflight[i]!--;
              data = d;
              if (stat.numChildren > 0) {
                left++;
                inflight[i]!++;
                getChildren(lane.client, path, (e2, c) => {
                  inflight[i]!--;
                  if (e2) return reject(e2);
                  children = c!.children;
                  settle();
                });
              }
              settle();
            };
            if (a.multiRead) batch_.push({ path, onData });
            else getData(lane.client, path, (err, r) => (err ? reject(err) : onData(r!.data, r!.stat)));
            getACL(lane.client, path, (err, r) => {
              inflight[i]!--;
              if (err) return reject(err);
              acl = r!.acl;
              settle();
            });
          }
          while (batch_.length > 0) {
            const part = batch_.splice(0, 128);
            multiReadData(
              lane.client,
              part.map((p) => p.path),
              (err, rs) => {
                if (err) return reject(err);
                part.forEach((p, k) => {
                  const r = rs![k]!;
                  if ('err' in r) return reject(new Error(`multiRead ${p.path}: ${r.err}`));
                  p.onData(r.data, r.stat);
                });
              },
            );
          }
        }),
      );
      if (queue.length === 0 && busyNodes === 0) readDone = true;
      if (multis === 0 || readDone) flushBatch();
      if (readDone && multis === 0) resolve();
    };
    pump();
  });
  const ms = Date.now() - t0;
  for (const l of lanes) l.close();
  out.close();
  return { nodes, ms };
}

async function main(): Promise<void> {
  const a = JSON.parse(process.argv[2] ?? '{}') as Args;
  if (a.kind === 'floor') {
    const r = await floor(a);
    process.stdout.write(JSON.stringify({ ...r, maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024) }) + '\n');
    return;
  }
  const security = a.tls ? loadSecurity({ tlsCa: a.tls.ca, tlsCert: a.tls.cert, tlsKey: a.tls.key }) : undefined;
  const s = await copyTree({
    source: a.source,
    target: a.target,
    readSessions: a.readSessions,
    window: a.window,
    verify: a.verify ?? 'target',
    ...(security ? { sourceSecurity: security, targetSecurity: security } : {}),
  });
  process.stdout.write(
    JSON.stringify({
      nodes: s.nodes,
      bytes: s.bytes,
      copyMs: s.copyMs,
      verifyMs: s.verify?.ms ?? 0,
      totalMs: s.durationMs,
      verifyOk: s.verify?.ok ?? null,
      digestMatch: s.verify ? s.verify.targetDigest === s.digest : null,
      multis: s.stats.multis,
      maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    }) + '\n',
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 2;
});
