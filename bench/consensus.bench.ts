/**
 * Consensus benchmark: the PBFT engine in the simulator on a calm network with real
 * Ed25519 signatures (no memoized verification), for n = 4, 7, 10, 16 sealers.
 * Figures: virtual commit latency (first proposal → first finalization, mean and p99),
 * messages and bytes per block (every transmission to every peer), engine steps/s (wall).
 * Run alone: `npx node bench/consensus.bench.ts [--quick]`.
 */
import { pathToFileURL } from 'node:url';
import { scenarioConfig } from '../test/sim/scenarios.ts';
import { Simulation } from '../test/sim/sim.ts';

export async function run(opts: { quick: boolean }): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const heights = opts.quick ? 5 : 30;
  const seeds = opts.quick ? 1 : 3;
  for (const n of [4, 7, 10, 16]) {
    const lat: number[] = [];
    let msgs = 0;
    let bytes = 0;
    let blocks = 0;
    let steps = 0;
    let wall = 0;
    for (let seed = 0; seed < seeds; seed++) {
      const cfg = scenarioConfig('normal', n, seed);
      cfg.observers = 0;
      cfg.target = heights;
      cfg.realVerify = true;
      const t0 = performance.now();
      const r = new Simulation(cfg).run();
      wall += performance.now() - t0;
      if (r.violations.length) throw new Error(`consensus bench n=${n} seed=${seed}: ${r.violations[0]}`);
      lat.push(...r.latencies);
      msgs += r.messages;
      bytes += r.bytes;
      blocks += r.blocks;
      steps += r.steps;
    }
    lat.sort((a, b) => a - b);
    out[`consensus.n${n}.commit_latency_ms_mean`] = round(lat.reduce((a, b) => a + b, 0) / lat.length);
    out[`consensus.n${n}.commit_latency_ms_p99`] = round(lat[Math.min(lat.length - 1, Math.floor(lat.length * 0.99))]);
    out[`consensus.n${n}.messages_per_block`] = round(msgs / blocks);
    out[`consensus.n${n}.bytes_per_block`] = Math.round(bytes / blocks);
    out[`consensus.n${n}.engine_steps_per_s`] = Math.round(steps / (wall / 1000));
  }
  return out;
}

const round = (x: number) => Math.round(x * 10) / 10;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const res = await run({ quick: process.argv.includes('--quick') });
  for (const [k, v] of Object.entries(res)) console.log(`${k.padEnd(40)} ${v}`);
}
