import test from 'ava';
import { mapLimit } from '../../coordinator/lib/fleet';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('never more than `limit` tasks in flight, results in input order, failures kept per item', async (t) => {
  let running = 0;
  let peak = 0;
  const progress: number[] = [];
  const items = Array.from({ length: 25 }, (_, i) => i);
  const r = await mapLimit(
    items,
    4,
    async (i) => {
      running++;
      peak = Math.max(peak, running);
      for (let k = 0; k < (i % 3) + 1; k++) await tick();
      running--;
      if (i % 7 === 0) throw new Error(`item ${i}`);
      return i * 2;
    },
    (done, total) => progress.push(done * 100 + total),
  );
  t.is(peak, 4);
  t.is(r.length, 25);
  r.forEach((s, i) => {
    if (i % 7 === 0) t.is(s.status === 'rejected' && (s.reason as Error).message, `item ${i}`);
    else t.deepEqual(s, { status: 'fulfilled', value: i * 2 });
  });
  t.deepEqual(progress, items.map((i) => (i + 1) * 100 + 25));
});

test('fewer items than the limit, none at all, and a bad limit', async (t) => {
  t.deepEqual(await mapLimit([1], 10, async (x) => x + 1), [{ status: 'fulfilled', value: 2 }]);
  t.deepEqual(await mapLimit([], 3, async (x: number) => x), []);
  await t.throwsAsync(mapLimit([1], 0, async (x) => x), { instanceOf: RangeError });
});
