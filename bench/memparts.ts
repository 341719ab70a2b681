import { readFileSync } from 'node:fs';

/**
 * Where a node process's resident memory is, from `/proc/<pid>/smaps` (docs/PERFORMANCE.md,
 * "Memory: round 8"). The classes, in MB of resident memory:
 *
 * - `mainArena`: glibc's main malloc arena, the `[heap]` mapping. Node's ArrayBuffer backing
 *   stores and most other native allocations of the main thread come from here; memory freed
 *   inside it stays resident until the top of the heap is free (glibc trims only the top).
 * - `threadArenas`: glibc's per-thread arenas — anonymous mappings that start on a 64 MiB
 *   boundary and are at most 64 MiB long (glibc's `HEAP_MAX_SIZE` on 64-bit).
 * - `files`: file-backed mappings (the node binary, shared libraries, LevelDB's mapped files).
 * - `otherAnon`: every other anonymous mapping: V8's heap pages (its committed heap, and pages
 *   it freed but has not yet given back), thread stacks, large mmapped allocations.
 *
 * The arena rule is a heuristic: a V8 mapping that happens to be 64-MiB aligned and small is
 * counted as an arena. On the soaks measured it moved nothing (the arena class stayed at
 * 24–31 MB while the others grew by hundreds).
 */
export interface MemoryParts {
  mainArena: number;
  threadArenas: number;
  files: number;
  otherAnon: number;
}

/** glibc's HEAP_MAX_SIZE on 64-bit: a thread arena's alignment and largest size. */
const ARENA = 64n * 1024n * 1024n;

/** Classifies the text of a smaps file (pure: tested on a fixed sample). */
export function classifySmaps(text: string): MemoryParts {
  const kb = { mainArena: 0, threadArenas: 0, files: 0, otherAnon: 0 };
  let cls: keyof MemoryParts | null = null;
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (m) {
      const start = BigInt('0x' + m[1]);
      const end = BigInt('0x' + m[2]);
      const name = m[4].trim();
      if (name === '[heap]') cls = 'mainArena';
      else if (m[3] !== '0' || name.startsWith('/')) cls = 'files';
      else if (start % ARENA === 0n && end - start <= ARENA && name === '') cls = 'threadArenas';
      else cls = 'otherAnon';
      continue;
    }
    if (cls && line.startsWith('Rss:')) kb[cls] += Number(line.split(/\s+/)[1]);
  }
  const mb = (x: number) => Math.round((x / 1024) * 10) / 10;
  return { mainArena: mb(kb.mainArena), threadArenas: mb(kb.threadArenas), files: mb(kb.files), otherAnon: mb(kb.otherAnon) };
}

/** The parts of a live process, or null when it is gone. */
export function memoryParts(pid: number): MemoryParts | null {
  try {
    return classifySmaps(readFileSync(`/proc/${pid}/smaps`, 'utf8'));
  } catch {
    return null;
  }
}

/** Least-squares slope of (seconds, MB) points, in MB per minute; NaN with fewer than two distinct times. */
export function growthPerMinute(pts: readonly (readonly [number, number])[]): number {
  const n = pts.length;
  if (n < 2) return NaN;
  const mx = pts.reduce((a, p) => a + p[0], 0) / n;
  const my = pts.reduce((a, p) => a + p[1], 0) / n;
  const num = pts.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0);
  const den = pts.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
  return den > 0 ? (num / den) * 60 : NaN;
}
