import { ZkSession, zk } from '../../shared/zk/client';

/**
 * A steady write load on a ZooKeeper tree, like the metas' partition-config updates and DDL during
 * a live pre-copy: about `rate` writes per second, a mix of setData on existing nodes (`update`),
 * creates and deletes of nodes of its own under `<root>/live`. Requests are pipelined (not one
 * round trip each), so the rate holds on a busy machine.
 */
export interface LiveWriter {
  /** Stop writing and wait for the writes in flight; returns what was written. */
  stop(): Promise<{ sets: number; creates: number; deletes: number; errors: number; seconds: number }>;
  /** Writes acknowledged so far. */
  readonly done: number;
}

export async function startLiveWriter(hosts: string, root: string, o: { rate: number; update?: readonly string[] }): Promise<LiveWriter> {
  const s = await ZkSession.connect(hosts, { sessionTimeoutMs: 10000 });
  const live = `${root}/live`;
  await s.mkdirp(live);
  const mine: string[] = [];
  const counts = { sets: 0, creates: 0, deletes: 0, errors: 0 };
  let inflight = 0;
  let seq = 0;
  let stopped = false;
  const t0 = Date.now();
  let issued = 0;
  const state = { done: 0 };
  const finish = (kind: 'sets' | 'creates' | 'deletes') => (err: unknown) => {
    inflight--;
    if (err) counts.errors++;
    else counts[kind]++;
    state.done++;
  };
  const one = (): void => {
    const r = seq++ % 10;
    inflight++;
    const data = Buffer.from(`{"ballot":${seq},"at":${Date.now()}}`);
    if (r < 4 && o.update && o.update.length > 0) {
      s.client.setData(o.update[seq % o.update.length]!, data, -1, finish('sets'));
    } else if (r < 8 || mine.length < 20) {
      const p = `${live}/n${seq}`;
      mine.push(p);
      s.client.create(p, data, zk.CreateMode.PERSISTENT, finish('creates'));
    } else {
      const p = mine.splice(Math.floor((seq * 7919) % mine.length), 1)[0]!;
      s.client.remove(p, -1, finish('deletes'));
    }
  };
  const timer = setInterval(() => {
    if (stopped) return;
    // Catch up with the schedule (timers fire late on a loaded machine).
    const due = Math.floor(((Date.now() - t0) / 1000) * o.rate);
    while (issued < due && inflight < 500) {
      issued++;
      one();
    }
  }, 10);
  return {
    get done() {
      return state.done;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      const deadline = Date.now() + 20000;
      while (inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      s.close();
      return { ...counts, seconds: (Date.now() - t0) / 1000 };
    },
  };
}
