/** The chaos runner's schedule is a pure function of its seed, and a short run covers every kind. */
import { describe, it, expect } from 'vitest';
import { schedule, KINDS, type Step } from './runner.ts';

const take = (next: () => Step, n: number) => Array.from({ length: n }, () => next());

describe('chaos schedule', () => {
  it('replays exactly for a seed and differs between seeds', () => {
    expect(take(schedule(30, KINDS, 5, [2, 8]), 50)).toEqual(take(schedule(30, KINDS, 5, [2, 8]), 50));
    expect(take(schedule(31, KINDS, 5, [2, 8]), 50)).not.toEqual(take(schedule(30, KINDS, 5, [2, 8]), 50));
  });

  it('uses every kind once in its first steps, then stays within the kinds, nodes and fault window', () => {
    for (let seed = 0; seed < 50; seed++) {
      const steps = take(schedule(seed, KINDS, 5, [2, 8]), 40);
      expect(new Set(steps.slice(0, KINDS.length).map((s) => s.kind))).toEqual(new Set(KINDS));
      for (const s of steps) {
        expect(KINDS).toContain(s.kind);
        expect(s.target).toBeGreaterThanOrEqual(0);
        expect(s.target).toBeLessThan(5);
        expect(s.faultMs).toBeGreaterThanOrEqual(2000);
        expect(s.faultMs).toBeLessThanOrEqual(8000);
      }
    }
    const sub = take(schedule(7, ['pause', 'cut'], 5, [2, 8]), 20);
    expect(new Set(sub.map((s) => s.kind))).toEqual(new Set(['pause', 'cut']));
  });
});
