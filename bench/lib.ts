/** Small timing helpers shared by the benchmarks (benchmarks only: tests never time anything). */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const CLOCK_TICKS_PER_S = 100;

/** User + system CPU seconds of a process so far (or of its thread `tid`), from /proc; 0 if unknown. */
export function cpuSeconds(pid: number | undefined, tid?: number): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS_PER_S; // utime, stime (fields 14, 15)
  } catch {
    return 0;
  }
}

/**
 * Runs `fn`; a SIGINT/SIGTERM meanwhile calls `kill` (synchronous: kill the processes the
 * bench started) and exits 130. The handlers are removed when `fn` settles.
 */
export async function killOnInterrupt<T>(kill: () => void, fn: () => Promise<T>): Promise<T> {
  const onSig = () => {
    kill();
    process.exit(130);
  };
  process.once('SIGINT', onSig);
  process.once('SIGTERM', onSig);
  try {
    return await fn();
  } finally {
    process.off('SIGINT', onSig);
    process.off('SIGTERM', onSig);
  }
}

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

/**
 * CPU time of this process so far, µs (user + system): the bench's thread and the GC's helper
 * threads, which do part of every scavenge in parallel (a thread's own time misses them).
 */
export function processCpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/**
 * CPU µs of one OpenSSL Ed25519 verification (process CPU), measured now (the yardstick of
 * issue 16: costs per tx are also given in units of it, which travel between machines).
 */
export async function ed25519VerifyCpuUs(n = 2000): Promise<number> {
  const { keyPairFromLabel, sign, verify } = await import('../src/crypto/keys.ts');
  const kp = keyPairFromLabel('bench-yardstick');
  const msgs = Array.from({ length: 64 }, (_, i) => new TextEncoder().encode('yardstick ' + i + ' '.repeat(120)));
  const sigs = msgs.map((m) => sign(m, kp.secretKey));
  for (let i = 0; i < 200; i++) verify(sigs[i & 63], msgs[i & 63], kp.publicKey);
  const t0 = processCpuUs();
  for (let i = 0; i < n; i++) if (!verify(sigs[i & 63], msgs[i & 63], kp.publicKey)) throw new Error('yardstick signature does not verify');
  return (processCpuUs() - t0) / n;
}
