import { describe, it, expect } from 'vitest';
import { SIM_PARAMS, Simulation, type GovStep, type SimConfig } from './sim.ts';

/**
 * Sealer-set changes by governance in the simulator (docs/GOVERNANCE.md): the set grows
 * 4 → 5 → 6 → 7 and shrinks 7 → 6 → 5 → 4 by votes of the consortium's company, on the real
 * ledger, state and engines, while faults straddle the boundaries: a partition, crashes and a
 * Byzantine sealer. Every step of every run is checked for agreement, validity and no honest
 * double vote (the simulator's checks, each certificate against the set of its own height),
 * and per boundary: the change passed, took effect, an added sealer signed a certificate of
 * the new set and a removed one signed none, and every honest node (members, the sealers
 * waiting to be voted in, those voted out, an observer) reached a height past the last change.
 */

const CALM = { drop: 0, dup: 0, delayMin: 5, delayMean: 15 };
const GAP = 40;

function steps(faults: boolean): GovStep[] {
  const at = (i: number) => 20 + GAP * i;
  return [
    { action: 'add', sealer: 4, atHeight: at(0), ...(faults ? { partition: { groups: [[3], [0, 1, 2, 4, 5, 6, 7]], forMs: 800 } } : {}) },
    { action: 'add', sealer: 5, atHeight: at(1), ...(faults ? { crash: { node: 2, forMs: 1500 } } : {}) },
    { action: 'add', sealer: 6, atHeight: at(2) },
    { action: 'remove', sealer: 1, atHeight: at(3), ...(faults ? { crash: { node: 4, forMs: 1500 } } : {}) },
    { action: 'remove', sealer: 5, atHeight: at(4), ...(faults ? { partition: { groups: [[6, 3], [0, 1, 2, 4, 5, 7]], forMs: 800 } } : {}) },
    { action: 'remove', sealer: 3, atHeight: at(5) },
  ];
}

function config(seed: number, opts: { faults: boolean; byzantine: boolean }): SimConfig {
  return {
    scenario: `gov${opts.faults ? '-faults' : ''}${opts.byzantine ? '-byz' : ''}`,
    n: 4,
    seed,
    observers: 1,
    target: 20 + GAP * 6 + 10,
    params: SIM_PARAMS,
    net: CALM,
    calm: CALM,
    faultsEnd: 0,
    livenessBound: 600_000,
    partitions: [],
    crashes: [],
    byzantine: opts.byzantine ? [{ node: 0, kind: 'bad-votes' }] : [],
    skewMax: 200,
    txEvery: 40,
    gov: { maxSealers: 7, steps: steps(opts.faults) },
  };
}

function check(seed: number, opts: { faults: boolean; byzantine: boolean }) {
  const r = new Simulation(config(seed, opts)).run();
  expect(r.violations, `seed ${seed}`).toEqual([]);
  const g = r.gov!;
  expect(g.receipts.map((x) => [x.status, x.reason]), `seed ${seed}`).toEqual(g.receipts.map(() => [0, '']));
  expect(g.history).toEqual([4, 5, 6, 7, 6, 5, 4]);
  // each change in effect two heights after the block that passed it
  for (const x of g.receipts) expect(x.effectiveAt).toBe(x.height! + 2);
  expect(g.crossed, `seed ${seed}: added sealers signed after their effect height, removed ones did not`).toEqual([true, true, true, true, true, true]);
  return r;
}

describe('PBFT simulator: the sealer set changes by governance (4 → 5 → 6 → 7 → 6 → 5 → 4)', () => {
  it('calm network', () => {
    check(1, { faults: false, byzantine: false });
  });

  it('a partition and crashes straddling the boundaries, 2 seeds', () => {
    for (const seed of [1, 2]) {
      const r = check(seed, { faults: true, byzantine: false });
      expect(r.faults.crash ?? 0).toBeGreaterThanOrEqual(2);
      expect(r.faults.partitioned ?? 0).toBeGreaterThan(0);
    }
  });

  it('a Byzantine sealer (conflicting votes) through every change, with the partition and crashes, 2 seeds', () => {
    for (const seed of [1, 2]) {
      const r = check(seed, { faults: true, byzantine: true });
      expect(r.faults.byzantine ?? 0).toBeGreaterThan(0);
    }
  });
});
