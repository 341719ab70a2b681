import { describe, expect, it } from 'vitest';
import { MUTANTS } from '../../src/consensus/types.ts';
import { SCENARIO_NAMES, runSeeds, scenarioConfig } from './scenarios.ts';
import { BYZ_KINDS, Simulation } from './sim.ts';

describe('PBFT simulator: teeth and coverage', () => {
  // Each deliberately broken engine must be caught, for n = 4 and n = 7, within the first
  // seeds of the scenario built to expose it, and by the violation that the bug causes.
  const expected: Record<string, { scenario: string; violation: RegExp }> = {
    'quorum-f-plus-1': { scenario: 'byz-split', violation: /^validity: .* invalid certificate \(CERT_NO_QUORUM\)/ },
    'prepare-f-plus-1': { scenario: 'byz-split', violation: /^agreement: / },
    'no-locking': { scenario: 'partition-commit', violation: /^agreement: / },
    'nv-no-check': { scenario: 'byz-lock', violation: /^agreement: / },
    'cert-dup-sealers': { scenario: 'byz-lock', violation: /^agreement: / },
    'sync-no-cert': { scenario: 'byz-sync', violation: /^validity: .* invalid certificate/ },
  };
  it('every mutant has a scenario that must catch it', () => {
    expect(Object.keys(expected).sort()).toEqual([...MUTANTS].sort());
  });
  for (const mutant of MUTANTS) {
    const { scenario, violation } = expected[mutant];
    for (const n of [4, 7]) {
      it(`mutant ${mutant} is caught by ${scenario}, n = ${n}, as ${violation.source.split(':')[0].replace('^', '')}`, () => {
        const s = runSeeds(scenario, n, 0, 30, { mutant, stopOnViolation: true });
        expect(s.violations.length, `not caught in 30 seeds`).toBe(1);
        expect(s.violations[0].message).toMatch(violation);
      });
    }
  }
  it('without the double-sign guard, a sealer restarted with a wiped data dir signs a second proposal (caught as a double vote)', () => {
    for (const n of [4, 7]) {
      const found: string[] = [];
      for (let seed = 0; seed < 30 && found.length === 0; seed++) {
        const c = scenarioConfig('wipe-restart', n, seed);
        c.noGuard = true;
        const r = new Simulation(c).run();
        if (r.violations.length) found.push(r.violations[0]);
      }
      expect(found[0]).toMatch(/^double vote: honest sealer \d+ signed prePrepare for two blocks/);
    }
  });

  it('every Byzantine kind and every fault family has a scenario in the suites', () => {
    for (const k of BYZ_KINDS) expect(SCENARIO_NAMES).toContain('byz-' + k);
    for (const s of ['normal', 'lossy', 'partition-minority', 'partition-split', 'partition-leader', 'crash-restart', 'crash-all', 'wal-crash', 'wipe-restart', 'compact-fetch', 'mixed']) expect(SCENARIO_NAMES).toContain(s);
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
