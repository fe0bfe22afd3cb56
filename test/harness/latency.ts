/** Summaries of per-call durations for load tests and benchmarks. */

export interface LatencySummary {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of `ms` (empty input: all zero). */
export function summarise(ms: readonly number[]): LatencySummary {
  const s = [...ms].sort((a, b) => a - b);
  const at = (p: number): number => (s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!);
  return { n: s.length, p50: at(50), p99: at(99), max: s.length === 0 ? 0 : s[s.length - 1]! };
}
