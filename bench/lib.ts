/** Small timing helpers shared by the benchmarks (benchmarks only: tests never time anything). */

/** Calls fn(i) repeatedly for about `ms` milliseconds (after a short warm-up) and returns calls per second. */
export function measureRate(ms: number, fn: (i: number) => unknown): number {
  for (let i = 0; i < 200; i++) fn(i);
  let n = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(ms) * 1_000_000n;
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let k = 0; k < 64; k++) fn(n++);
    elapsed = process.hrtime.bigint() - start;
  }
  return Math.round(n / (Number(elapsed) / 1e9));
}

/** Percentile of a sorted or unsorted sample (nearest rank). */
export function percentile(sample: readonly number[], p: number): number {
  if (sample.length === 0) return NaN;
  const s = [...sample].sort((a, b) => a - b);
  const idx = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[idx];
}

export function nowUs(): number {
  return Number(process.hrtime.bigint()) / 1000;
}
