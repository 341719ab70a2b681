import { expect, it } from 'vitest';
import { HIT_SHARE, SCENARIO_FAULTS, faultLine, replayCommand, runSeeds } from './scenarios.ts';

/** Seeds per scenario and n in `npm test` (override with SIM_SEEDS for longer local runs). */
export const SUITE_SEEDS = Number(process.env.SIM_SEEDS ?? 100);
export const SUITE_NS = [4, 7];

/**
 * One test per (scenario, n): SUITE_SEEDS seeds, each checked after every step for
 * agreement, validity and no honest double vote, and for liveness after the faults stopped
 * (two heights past the highest honest one at the heal). At least HIT_SHARE of the seeds
 * must actually have injected the scenario's faults (SCENARIO_FAULTS).
 * A failure names every failing seed with its replay command.
 */
export function scenarioSuite(names: readonly string[]): void {
  for (const name of names) {
    for (const n of SUITE_NS) {
      it(`${name}, n = ${n}: ${SUITE_SEEDS} seeds, no violation`, () => {
        const s = runSeeds(name, n, 0, SUITE_SEEDS);
        const report = s.violations.map((v) => `seed ${v.seed}: ${v.message}\n  replay: ${replayCommand(name, n, v.seed)}`).join('\n');
        expect(s.seeds).toBe(SUITE_SEEDS);
        expect(report).toBe('');
        // the faults the scenario is about were injected in at least HIT_SHARE of the seeds
        if ((SCENARIO_FAULTS[name] ?? []).length > 0) expect(s.hitSeeds / s.seeds, faultLine(s)).toBeGreaterThanOrEqual(HIT_SHARE);
        // sealers voting both ways in front of one honest node leave checked evidence
        if (name === 'byz-bad-votes') expect(s.evidence, faultLine(s)).toBeGreaterThanOrEqual(s.seeds);
        // … and the honest sealers take it to the chain (docs/CONSENSUS.md "Evidence on chain"): every
        // run checks each record accuses a Byzantine sealer once; here, most runs end with evidence on chain
        if (name === 'byz-bad-votes') expect(s.evidenceOnChainSeeds / s.seeds, faultLine(s)).toBeGreaterThanOrEqual(HIT_SHARE);
        if (name === 'wal-crash' && n === 4 && SUITE_SEEDS >= 100) {
          // a crash was injected at every kind of WAL write, durable and not
          for (const kind of ['prePrepare', 'prepare', 'commit', 'viewChange', 'newView']) {
            expect(s.crashPoints[`${kind}/durable`]).toBeGreaterThan(0);
            expect((s.crashPoints[`${kind}/lost`] ?? 0) + (s.crashPoints[`${kind}/torn`] ?? 0)).toBeGreaterThan(0);
          }
        }
        // CPU-bound, no speed claim: byz-bad-votes at n = 7 (with the evidence txs through the real
        // ledgers) took 61 s on the shared 2-core machine at load 9, past the 60 s default
      }, 300_000);
    }
  }
}
