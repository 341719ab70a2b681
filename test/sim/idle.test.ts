import { describe, expect, it } from 'vitest';
import { scenarioSuite } from './suite.ts';
import { runScenario } from './scenarios.ts';

describe('PBFT simulator: an idle chain with never-executable txs in every pool', () => {
  scenarioSuite(['idle-nonce-gap']);

  it('the run really idles: only the valid workload makes blocks, and the first one is prompt', () => {
    const r = runScenario('idle-nonce-gap', 4, 0);
    expect(r.violations).toEqual([]);
    // nothing was proposed during the 20 s idle start: the first proposal follows the first valid tx
    expect(r.latencies.length).toBeGreaterThan(0);
    expect(r.endTime).toBeGreaterThan(20_000);
    expect(r.endTime).toBeLessThan(20_000 + 3 * 600);
  });
});
