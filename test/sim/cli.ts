/**
 * The consensus simulator CLI (`npm run sim -- …`, or `npx node test/sim/cli.ts …`):
 *   --scenario <name|all>   scenario to run (default all); see docs/CONSENSUS.md for the list
 *   --seed <n>              replay exactly one seed (prints the run's details)
 *   --seeds <count>         seeds per scenario and n (default 100), starting at --from (default 0)
 *   --n <list>              sealer counts, comma-separated (default 4,7)
 *   --mutant <name>         run against a deliberately broken engine; exit 0 only if it is caught
 * One summary line per scenario and n: seeds run, violations, mean/p99 virtual commit
 * latency, messages per block; then the faults line: how many seeds actually injected the
 * scenario's faults, and the totals injected by kind. A violation prints its seed, scenario and replay command.
 */
import { MUTANTS, type Mutant } from '../../src/consensus/types.ts';
import { SCENARIO_NAMES, faultLine, replayCommand, runSeeds, scenarioConfig, summaryLine } from './scenarios.ts';
import { Simulation } from './sim.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const scenarioArg = arg('scenario') ?? 'all';
const names = scenarioArg === 'all' ? SCENARIO_NAMES : scenarioArg.split(',');
for (const s of names) {
  if (!SCENARIO_NAMES.includes(s)) {
    console.error(`unknown scenario "${s}"; known: ${SCENARIO_NAMES.join(', ')}`);
    process.exit(2);
  }
}
const ns = (arg('n') ?? '4,7').split(',').map(Number);
const mutantArg = arg('mutant');
if (mutantArg !== undefined && !MUTANTS.includes(mutantArg as Mutant)) {
  console.error(`unknown mutant "${mutantArg}"; known: ${MUTANTS.join(', ')}`);
  process.exit(2);
}
const mutant = mutantArg as Mutant | undefined;
const seedArg = arg('seed');

if (seedArg !== undefined) {
  const seed = Number(seedArg);
  let bad = false;
  for (const name of names) {
    for (const n of ns) {
      const cfg = scenarioConfig(name, n, seed, mutant);
      const sim = new Simulation(cfg);
      const t0 = performance.now();
      const r = sim.run();
      const wall = performance.now() - t0;
      console.log(`scenario=${name} n=${n} seed=${seed}${mutant ? ' mutant=' + mutant : ''}`);
      console.log(`  faults: byzantine=${JSON.stringify(cfg.byzantine)} crashes=${JSON.stringify(cfg.crashes)} partitions=${JSON.stringify(cfg.partitions)}${cfg.walCrash ? ' walCrash=' + JSON.stringify(cfg.walCrash) : ''}`);
      console.log(`  heights=${JSON.stringify(r.heights)} virtual=${r.endTime.toFixed(0)}ms steps=${r.steps} messages=${r.messages} wall=${wall.toFixed(0)}ms`);
      console.log(`  injected: ${JSON.stringify(r.faults)}; ${r.healHeight === null ? 'ended before the heal' : `heal at height ${r.healHeight}, liveness target ${r.liveTarget}`}`);
      console.log(`  commit latencies (virtual ms): ${r.latencies.map((l) => l.toFixed(0)).join(' ')}`);
      if (r.violations.length) {
        bad = true;
        for (const v of r.violations) console.log(`  VIOLATION: ${v}`);
        console.log(`  replay: ${replayCommand(name, n, seed, mutant)}`);
      } else console.log('  ok');
    }
  }
  process.exit(mutant ? (bad ? 0 : 1) : bad ? 1 : 0);
}

const count = Number(arg('seeds') ?? 100);
const first = Number(arg('from') ?? 0);
let total = 0;
let caughtBy: string | null = null;
const t0 = performance.now();
for (const name of names) {
  for (const n of ns) {
    const s = runSeeds(name, n, first, count, { mutant, stopOnViolation: !!mutant });
    total += s.violations.length;
    console.log(summaryLine(s));
    console.log(faultLine(s));
    for (const v of s.violations.slice(0, 3)) {
      console.log(`  VIOLATION seed=${v.seed}: ${v.message}\n  replay: ${replayCommand(name, n, v.seed, mutant)}`);
      caughtBy ??= `${name} n=${n} seed=${v.seed}`;
    }
  }
}
console.log(`total violations: ${total} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
if (mutant) {
  console.log(caughtBy ? `mutant ${mutant}: CAUGHT (${caughtBy})` : `mutant ${mutant}: NOT caught`);
  process.exit(caughtBy ? 0 : 1);
}
process.exit(total > 0 ? 1 : 0);
