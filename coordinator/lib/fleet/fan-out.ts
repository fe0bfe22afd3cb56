/**
 * Bounded parallelism: run one task per item with at most `limit` in flight (Ansible's `forks`).
 * Results keep the input order. A task that throws does not stop the others; turning errors into
 * per-host outcomes is the caller's job (runOnHosts does it).
 */

/** Defaults of the fan-out. */
export const FAN_OUT_DEFAULTS = {
  /**
   * Tasks in flight at once. Agent calls are small and mostly waiting on the network, so this is
   * well above Ansible's 5 forks; it bounds open TLS connections and memory, not CPU.
   */
  limit: 32,
} as const;

/**
 * Run `task` over `items` with at most `limit` running at once; resolves when all have settled.
 * `onSettled` is called as each one finishes (progress reporting).
 */
export async function mapLimit<I, O>(
  items: readonly I[],
  limit: number,
  task: (item: I, index: number) => Promise<O>,
  onSettled?: (done: number, total: number) => void,
): Promise<PromiseSettledResult<O>[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`fan-out limit must be a positive integer, got ${limit}`);
  const results: PromiseSettledResult<O>[] = new Array(items.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      try {
        results[i] = { status: 'fulfilled', value: await task(items[i] as I, i) };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
      done++;
      onSettled?.(done, items.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
