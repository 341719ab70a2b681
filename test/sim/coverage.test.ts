import { describe, expect, it } from 'vitest';
import { MUTANTS } from '../../src/consensus/types.ts';
import { SCENARIO_NAMES, runSeeds } from './scenarios.ts';
import { BYZ_KINDS } from './sim.ts';

describe('PBFT simulator: teeth and coverage', () => {
  // The suites must find a violation against each deliberately broken engine.
  const hunt: Record<string, string[]> = {
    'quorum-f-plus-1': ['byz-equivocate', 'normal'],
    'no-locking': ['partition-commit', 'lossy', 'mixed'],
  };
  for (const mutant of MUTANTS) {
    it(`mutant ${mutant} is caught by the suites`, () => {
      const found: string[] = [];
      for (const name of hunt[mutant]) {
        for (const n of [4, 7]) {
          if (found.length) break;
          const s = runSeeds(name, n, 0, 100, { mutant, stopOnViolation: true });
          if (s.violations.length) found.push(`${name} n=${n} seed=${s.violations[0].seed}: ${s.violations[0].message}`);
        }
      }
      expect(found).toHaveLength(1);
      expect(found[0]).toMatch(/agreement|validity|double vote/);
    });
  }

  it('every Byzantine kind and every fault family has a scenario in the suites', () => {
    for (const k of BYZ_KINDS) expect(SCENARIO_NAMES).toContain('byz-' + k);
    for (const s of ['normal', 'lossy', 'partition-minority', 'partition-split', 'partition-leader', 'crash-restart', 'crash-all', 'wal-crash', 'mixed']) expect(SCENARIO_NAMES).toContain(s);
  });

  it('a seed replays exactly (same result, event for event)', () => {
    const a = runSeeds('mixed', 4, 7, 1);
    const b = runSeeds('mixed', 4, 7, 1);
    expect(b).toEqual(a);
  });

  it('larger sealer sets (n = 1, 10, 16) stay safe and live', () => {
    // seeds per n: as many as the CI budget allows (n = 16 costs the most per seed)
    for (const [n, seeds] of [[1, 25], [10, 8], [16, 5]] as const) {
      for (const name of ['normal', 'lossy', 'byz-equivocate', 'crash-all']) {
        const s = runSeeds(name, n, 0, seeds);
        expect(s.seeds).toBe(seeds);
        expect(s.violations).toEqual([]);
      }
    }
  });
});
